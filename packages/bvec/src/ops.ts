/** `REQ_OP_*`, the operations the model knows. */
export type BioOp = "READ" | "WRITE" | "FLUSH" | "DISCARD" | "SECURE_ERASE" | "WRITE_ZEROES";

/** True for the ops that carry data pages (the others only have a size: `bio_no_advance_iter`). */
export function opHasData(op: BioOp): boolean {
  return op === "READ" || op === "WRITE";
}
