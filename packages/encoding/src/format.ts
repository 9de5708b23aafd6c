/**
 * `formatValue`: how every rlist error message shows a value the caller passed in.
 *
 * It is total: whatever it is given (a Symbol, a Proxy, a revoked Proxy, an object whose
 * `toString` or getters throw, a huge string) it returns a short string and never throws, so a
 * message template cannot turn a typed `RlistError` into a `TypeError`. It runs no user code where
 * it can avoid it (no `toString`/`valueOf`, no property reads on plain objects) and catches what
 * it cannot avoid.
 */

/** Longest string shown in full; longer ones are cut (a message must stay small). */
const MAX_STRING_SHOWN = 48;

/**
 * A short, exact rendering of `v` for an error message: numbers as JavaScript writes them
 * (`NaN`, `-0`, `Infinity`, `9007199254740993`), bigints with an `n` suffix, strings quoted,
 * symbols as `Symbol(desc)`, objects by kind (`an object`, `an array of 3`, `Uint32Array(8)`).
 */
export function formatValue(v: unknown): string {
  try {
    return formatUnsafe(v);
  } catch {
    return `a ${typeof v}`;
  }
}

function formatUnsafe(v: unknown): string {
  switch (typeof v) {
    case "number":
      return Object.is(v, -0) ? "-0" : String(v);
    case "bigint":
      return `${v}n`;
    case "string":
      return v.length <= MAX_STRING_SHOWN
        ? JSON.stringify(v)
        : `${JSON.stringify(v.slice(0, MAX_STRING_SHOWN))}... (${v.length} chars)`;
    case "symbol":
      return symbolText(v);
    case "boolean":
      return v ? "true" : "false";
    case "undefined":
      return "undefined";
    case "function":
      return "a function";
    default:
      return v === null ? "null" : objectText(v as object);
  }
}

function symbolText(s: symbol): string {
  const d = s.description;
  if (d === undefined) return "Symbol()";
  return `Symbol(${d.length <= MAX_STRING_SHOWN ? d : `${d.slice(0, MAX_STRING_SHOWN)}...`})`;
}

function objectText(o: object): string {
  // ArrayBuffer.isView and Array.isArray run no user code (a revoked Proxy makes isArray throw:
  // formatValue catches that).
  if (ArrayBuffer.isView(o)) {
    const tag = Object.prototype.toString.call(o).slice(8, -1);
    const length = (o as { length?: unknown }).length;
    return typeof length === "number" ? `${tag}(${length})` : tag;
  }
  if (Array.isArray(o)) return "an array";
  return "an object";
}
