/**
 * The one way a test asserts an rlist error, for every package: `expectCode(fn, code)` for one
 * call, `codeOf(fn)` for tables of calls. Both accept only an `RlistError` (an `Error` with a
 * `code`, or a `TypeError`, is a failure). Imported by relative path
 * (`../../../scripts/expect-code.js`), like the fast-check seed: test code is never published.
 *
 * `RlistError` comes from `@rlist/encoding`'s source, the same module the `@rlist/source`
 * condition gives every package, so `instanceof` holds for errors any package throws.
 */
import { expect } from "vitest";
import { isRlistError, type RlistError, type RlistErrorCode } from "../packages/encoding/src/index.js";

/** `Name: message` of whatever was thrown, for failure messages. */
function describeThrown(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  try {
    return `${typeof err} ${String(err)}`;
  } catch {
    return typeof err;
  }
}

/**
 * Runs `fn`, expects it to throw an `RlistError` with `code`, and returns the error (to check its
 * message or fields). `message` says which case failed, in tables and loops.
 */
export function expectCode(fn: () => unknown, code: RlistErrorCode, message?: string): RlistError {
  const where = message === undefined ? "" : `${message}: `;
  try {
    fn();
  } catch (err) {
    expect(isRlistError(err), `${where}expected an RlistError ${code}, got ${describeThrown(err)}`).toBe(
      true,
    );
    expect((err as RlistError).code, `${where}${describeThrown(err)}`).toBe(code);
    return err as RlistError;
  }
  expect.fail(`${where}expected an RlistError ${code}, but the call returned`);
}

/**
 * Runs `fn` and returns the code of the `RlistError` it throws; anything else comes back as a
 * string no code equals: "no error" when it returns, "not an RlistError: Name: message" when it
 * throws something else. For `expect(codeOf(() => ...)).toBe("EINVAL")` in tables.
 */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isRlistError(err) ? err.code : `not an RlistError: ${describeThrown(err)}`;
  }
  return "no error";
}
