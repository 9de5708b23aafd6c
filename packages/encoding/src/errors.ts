/**
 * The one error family of rlist. Every package throws `RlistError` with a stable
 * errno-style `code`, so callers can branch on `err.code` the way kernel code
 * branches on `-ERANGE` / `-EINVAL`.
 */
import { formatValue } from "./format.js";

export type RlistErrorCode =
  /** A value does not fit its field or is not a safe integer (like -ERANGE). */
  | "ERANGE"
  /** Malformed input: bad argument, corrupt words, wrong state (like -EINVAL). */
  | "EINVAL"
  /** No room and allocation is not allowed (like -ENOSPC in the prototype's no_alloc mode). */
  | "ENOSPC"
  /** Out of a resource: pool, IOVA space, bounce slots (like -ENOMEM). */
  | "ENOMEM"
  /** Peer-to-peer DMA between these two devices is not supported (like -EREMOTEIO). */
  | "EREMOTEIO"
  /** An address or position outside what exists (like -EFAULT). */
  | "EFAULT"
  /** The object is busy or already released (like -EBUSY). */
  | "EBUSY"
  /** The operation is not supported for this configuration (like -EOPNOTSUPP). */
  | "EOPNOTSUPP"
  /** An I/O-level failure, e.g. a DMA fault on an untranslated address (like -EIO). */
  | "EIO"
  /** The call would have to block or split and the caller asked it not to (like -EAGAIN). */
  | "EAGAIN";

/** Every code, as a record so that a code added to the type above must be added here too. */
const CODES: Readonly<Record<RlistErrorCode, true>> = {
  ERANGE: true,
  EINVAL: true,
  ENOSPC: true,
  ENOMEM: true,
  EREMOTEIO: true,
  EFAULT: true,
  EBUSY: true,
  EOPNOTSUPP: true,
  EIO: true,
  EAGAIN: true,
};

export class RlistError extends Error {
  override readonly name = "RlistError";
  readonly code: RlistErrorCode;

  constructor(code: RlistErrorCode, message: string, options?: { cause?: unknown }) {
    // Built from any arguments without throwing: a message that is not a string is shown by
    // formatValue (a Symbol in a template literal would throw a TypeError instead).
    const c = typeof code === "string" ? code : formatValue(code);
    super(`${c}: ${typeof message === "string" ? message : formatValue(message)}`, options);
    this.code = code;
  }
}

/**
 * True when `err` is an `RlistError`, optionally with the given code. A `code` that is not one
 * of the codes above is `EINVAL` (a misspelt code would otherwise make the test false forever).
 */
export function isRlistError(err: unknown, code?: RlistErrorCode): err is RlistError {
  if (code !== undefined && !(typeof code === "string" && Object.hasOwn(CODES, code))) {
    throw new RlistError("EINVAL", `isRlistError: ${formatValue(code)} is not an rlist error code`);
  }
  return err instanceof RlistError && (code === undefined || err.code === code);
}
