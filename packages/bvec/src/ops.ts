import { formatValue, RlistError } from "@rlist/encoding";

/** `REQ_OP_*`, the operations the model knows. */
export type BioOp = "READ" | "WRITE" | "FLUSH" | "DISCARD" | "SECURE_ERASE" | "WRITE_ZEROES";

const BIO_OPS: readonly unknown[] = ["READ", "WRITE", "FLUSH", "DISCARD", "SECURE_ERASE", "WRITE_ZEROES"];

/** @internal `EINVAL` unless `op` is a {@link BioOp}. */
export function checkBioOp(what: string, op: unknown): asserts op is BioOp {
  if (!BIO_OPS.includes(op)) throw new RlistError("EINVAL", `${what} ${formatValue(op)} is not a bio op`);
}

/** True for the ops that carry data pages (the others only have a size: `bio_no_advance_iter`). */
export function opHasData(op: BioOp): boolean {
  checkBioOp("op", op);
  return op === "READ" || op === "WRITE";
}
