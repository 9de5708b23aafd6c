/**
 * The wrong-typed-argument sweeps of the typed-error tests (issue 12 item 11), shared by every
 * package: a fixed set of hostile values (NaN, 2^64, bigints, numeric strings, Symbols, getters
 * that throw, ...) put in each argument position in turn. A call may return or throw an
 * `RlistError`; anything else is a defect, listed as `name, argument N = value: error`. Imported
 * by relative path like `expect-code.ts`: test code is never published.
 */
import { isRlistError } from "../packages/encoding/src/index.js";

/** What the hostile getter throws: the caller's own error, which may pass through. */
const GETTER = new Error("the caller's getter");
export const hostile = (): unknown[] => [
  undefined,
  null,
  Number.NaN,
  -1,
  0.5,
  2 ** 53 + 1,
  2 ** 64,
  5n,
  "0x10",
  Symbol("s"),
  {},
  [],
  () => 0,
  -0,
  Number.POSITIVE_INFINITY,
  Object.defineProperty({}, "x", {
    get() {
      throw GETTER;
    },
  }),
];

function shown(v: unknown): string {
  return typeof v === "symbol" ? "Symbol" : typeof v === "bigint" ? `${v}n` : String(v);
}

/**
 * `fn(...base)` with each argument of `base` (at least the first) in turn replaced by each hostile
 * value: the calls that threw something other than an `RlistError` (or the getter's own error).
 */
export function hostileArgumentDefects(
  name: string,
  fn: (...args: unknown[]) => unknown,
  base: unknown[],
): string[] {
  const defects: string[] = [];
  for (let pos = 0; pos < Math.max(base.length, 1); pos++) {
    for (const v of hostile()) {
      const args = [...base];
      args[pos] = v;
      try {
        fn(...args);
      } catch (e) {
        if (e === GETTER || isRlistError(e)) continue;
        defects.push(`${name}, argument ${pos} = ${shown(v)}: ${String(e)}`);
      }
    }
  }
  return defects;
}

/**
 * Every exported function and class (the table above picks valid base calls; this catches an
 * export the table does not name yet): each of its first four arguments in turn replaced by each
 * hostile value, the others undefined. It may return, or throw an RlistError, nothing else.
 */
export function sweepExports(exports: Record<string, unknown>): string[] {
  const defects: string[] = [];
  for (const [name, fn] of Object.entries(exports)) {
    if (typeof fn !== "function") continue;
    const isClass = /^class\b/.test(Function.prototype.toString.call(fn));
    for (let pos = 0; pos < 4; pos++) {
      for (const v of hostile()) {
        const args: unknown[] = [undefined, undefined, undefined, undefined];
        args[pos] = v;
        try {
          if (isClass) new (fn as new (...a: unknown[]) => unknown)(...args);
          else (fn as (...a: unknown[]) => unknown)(...args);
        } catch (e) {
          if (e === GETTER || isRlistError(e)) continue;
          defects.push(`${name}, argument ${pos} = ${shown(v)}: ${String(e)}`);
          break;
        }
      }
    }
  }
  return defects;
}
