import { isRlistError } from "@rlist/encoding";
import { expect } from "vitest";

/** Runs `fn`, expects an `RlistError` with `code`, and returns it. */
export function expectCode(fn: () => unknown, code: string): Error {
  try {
    fn();
  } catch (err) {
    expect(isRlistError(err), String(err)).toBe(true);
    expect((err as { code: string }).code).toBe(code);
    return err as Error;
  }
  throw new Error(`expected an RlistError ${code}`);
}
