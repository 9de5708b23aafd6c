/**
 * Argument checks for the library's entry points: a wrong type is `EINVAL`, a number outside its
 * range `ERANGE`, each an `RlistError` naming the value, thrown before the call changes anything.
 * The study's own callers pass checked values; these guard what a library user hands in.
 */
import { formatValue, RlistError } from "@rlist/encoding";

/** `EINVAL` unless `value` is a non-null object (arrays excluded). */
export function checkObject(what: string, value: unknown): asserts value is object {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RlistError("EINVAL", `${what} must be an object, got ${formatValue(value)}`);
  }
}

/** `EINVAL` unless `value` is an array (each element checked by `each`, if given). */
export function checkArray<T = unknown>(
  what: string,
  value: unknown,
  each?: (what: string, v: unknown) => void,
): asserts value is readonly T[] {
  if (!Array.isArray(value))
    throw new RlistError("EINVAL", `${what} must be an array, got ${formatValue(value)}`);
  if (each !== undefined) for (let i = 0; i < value.length; i++) each(`${what}[${i}]`, value[i]);
}

/** `EINVAL` unless `value` is a string. */
export function checkString(what: string, value: unknown): asserts value is string {
  if (typeof value !== "string") {
    throw new RlistError("EINVAL", `${what} must be a string, got ${formatValue(value)}`);
  }
}

/** `EINVAL` unless `value` is a boolean. */
export function checkBoolean(what: string, value: unknown): asserts value is boolean {
  if (typeof value !== "boolean") {
    throw new RlistError("EINVAL", `${what} must be a boolean, got ${formatValue(value)}`);
  }
}

/** `EINVAL` unless `value` is a function. */
export function checkFunction(what: string, value: unknown): asserts value is (...args: never[]) => unknown {
  if (typeof value !== "function") {
    throw new RlistError("EINVAL", `${what} must be a function, got ${formatValue(value)}`);
  }
}

/** `EINVAL` unless `value` is one of `values`. */
export function checkOneOf<T extends string | number>(
  what: string,
  value: unknown,
  values: readonly T[],
): asserts value is T {
  if (!(values as readonly unknown[]).includes(value)) {
    throw new RlistError("EINVAL", `${what} must be one of ${values.join(", ")}, got ${formatValue(value)}`);
  }
}

/** `EINVAL` for a non-number, `ERANGE` unless `value` is an integer in `min..max`. */
export function checkInteger(
  what: string,
  value: unknown,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): asserts value is number {
  if (typeof value !== "number") {
    throw new RlistError("EINVAL", `${what} must be a number, got ${formatValue(value)}`);
  }
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RlistError("ERANGE", `${what} must be an integer in ${min}..${max}, got ${formatValue(value)}`);
  }
}

/** `EINVAL` for a non-number, `ERANGE` unless `value` is finite and at least `min`. */
export function checkFinite(
  what: string,
  value: unknown,
  min = Number.NEGATIVE_INFINITY,
): asserts value is number {
  if (typeof value !== "number") {
    throw new RlistError("EINVAL", `${what} must be a number, got ${formatValue(value)}`);
  }
  if (!Number.isFinite(value) || value < min) {
    throw new RlistError("ERANGE", `${what} must be a finite number >= ${min}, got ${formatValue(value)}`);
  }
}

/** `EINVAL` unless `value` is a `ctor` instance. */
export function checkInstance<T>(
  what: string,
  value: unknown,
  ctor: abstract new (...args: never[]) => T,
): asserts value is T {
  if (!(value instanceof ctor)) {
    throw new RlistError("EINVAL", `${what} must be a ${ctor.name}, got ${formatValue(value)}`);
  }
}

/** An optional boolean: `undefined` gives `fallback`, anything but a boolean is `EINVAL`. */
export function optionalBoolean(what: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  checkBoolean(what, value);
  return value;
}
