/**
 * The one error family of rlist. Every package throws `RlistError` with a stable
 * errno-style `code`, so callers can branch on `err.code` the way kernel code
 * branches on `-ERANGE` / `-EINVAL`.
 */
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

export class RlistError extends Error {
  override readonly name = "RlistError";
  readonly code: RlistErrorCode;

  constructor(code: RlistErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
  }
}

/** True when `err` is an `RlistError`, optionally with the given code. */
export function isRlistError(err: unknown, code?: RlistErrorCode): err is RlistError {
  return err instanceof RlistError && (code === undefined || err.code === code);
}
