/**
 * Argument checks shared by the public entry points: an argument of the wrong type (null for an
 * object, a string for a byte buffer, a Symbol, a number where a callback goes) is an `EINVAL`
 * `RlistError` naming the value, never a `TypeError` thrown half way through the call. Each check
 * runs before the call changes anything.
 */
import { formatValue, RlistError } from "@rlist/encoding";

/** `EINVAL` unless `value` is a non-null object (arrays excluded). */
export function checkObject(what: string, value: unknown): asserts value is object {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RlistError("EINVAL", `${what} must be an object, got ${formatValue(value)}`);
  }
}

/**
 * `EINVAL` unless every field in `keys` of the caller's output `out` can be assigned: an own
 * writable field or setter, an inherited writable field or setter, or a new field of an extensible
 * object. Checked before anything is written, so a frozen or read-only `out` gets nothing.
 */
export function checkWritableFields(what: string, out: object, keys: readonly string[]): void {
  for (const key of keys) {
    if (!isAssignable(out, key)) {
      throw new RlistError("EINVAL", `${what} is not writable: its field ${key} cannot be set`);
    }
  }
}

function isAssignable(out: object, key: string): boolean {
  for (let o: object | null = out; o !== null; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (d === undefined) continue;
    if (d.get !== undefined || d.set !== undefined) return d.set !== undefined;
    return d.writable === true && (o === out || Object.isExtensible(out));
  }
  return Object.isExtensible(out);
}

/**
 * An optional field's value, or `fallback` when it is absent (`undefined`). `null` is not absent:
 * the field is declared `field?: T`, so `null` is a wrong type, `EINVAL` (docs/conventions.md).
 */
export function orDefault<T>(what: string, value: T | undefined, fallback: T): T {
  if (value === undefined) return fallback;
  if (value === null) {
    throw new RlistError("EINVAL", `${what} must not be null (leave it out for the default)`);
  }
  return value;
}

/** An optional options object: `undefined` gives `{}`, anything but an object is `EINVAL`. */
export function optionsObject<T extends object>(
  what: string,
  value: T | undefined,
): T | Record<never, never> {
  if (value === undefined) return {};
  checkObject(what, value);
  return value;
}

/** `EINVAL` unless `value` is a function. */
export function checkFunction(what: string, value: unknown): asserts value is (...args: never[]) => unknown {
  if (typeof value !== "function") {
    throw new RlistError("EINVAL", `${what} must be a function, got ${formatValue(value)}`);
  }
}

/** `EINVAL` unless `value` is a `Uint8Array`. */
export function checkBytes(what: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new RlistError("EINVAL", `${what} must be a Uint8Array, got ${formatValue(value)}`);
  }
}

/** `EINVAL` unless `value` is a string. */
export function checkString(what: string, value: unknown): asserts value is string {
  if (typeof value !== "string") {
    throw new RlistError("EINVAL", `${what} must be a string, got ${formatValue(value)}`);
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

/** `EINVAL` unless `value` has the `reset()` / `next()` cursor protocol. */
export function checkCursor(what: string, value: unknown): void {
  const c = value as { reset?: unknown; next?: unknown } | null;
  if (typeof c !== "object" || c === null || typeof c.reset !== "function" || typeof c.next !== "function") {
    throw new RlistError(
      "EINVAL",
      `${what} must be a cursor (reset() and next()), got ${formatValue(value)}`,
    );
  }
}

/** `EINVAL` unless `value` is a boolean (or `undefined` when `optional`): a flag is never truthy-coerced. */
export function checkBoolean(what: string, value: unknown, optional = false): void {
  if (typeof value !== "boolean" && !(optional && value === undefined)) {
    throw new RlistError("EINVAL", `${what} must be a boolean, got ${formatValue(value)}`);
  }
}
