/**
 * Errors shared by the list and its cursors (RlistError with a stable code). The argument checks
 * themselves (`checkSafe`, `checkBig`) are `@rlist/encoding`'s exact-number helpers.
 */
import { RlistError } from "@rlist/encoding";

export function unsafeField(field: string): RlistError {
  return new RlistError(
    "ERANGE",
    `${field} is above 2^53-1 and cannot be exact in a number: read ${field}Big instead`,
  );
}
