/**
 * `canon`: a value as a short, exact string, for before/after comparison of state. Runs no user
 * code beyond what the value's own data properties hold: getters are not invoked (only plain
 * data properties are read), typed arrays are hashed, long arrays are summarised.
 */

function fnv(bytes: Uint8Array): string {
  let h = 0x811c_9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] as number), 0x0100_0193);
  return (h >>> 0).toString(16);
}

export function canon(v: unknown, depth = 0): string {
  switch (typeof v) {
    case "number":
      return Object.is(v, -0) ? "-0" : String(v);
    case "bigint":
      return `${v}n`;
    case "string":
      return JSON.stringify(v.length > 200 ? `${v.slice(0, 200)}…${v.length}` : v);
    case "undefined":
      return "undefined";
    case "boolean":
      return String(v);
    case "symbol":
      return "symbol";
    case "function":
      return "fn";
    default:
      break;
  }
  if (v === null) return "null";
  if (depth > 4) return "…";
  try {
    if (ArrayBuffer.isView(v)) {
      const b = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      return `${Object.prototype.toString.call(v).slice(8, -1)}(${v.byteLength}:${fnv(b)})`;
    }
    if (Array.isArray(v)) {
      const head = v.slice(0, 64).map((x) => canon(x, depth + 1));
      return `[${head.join(",")}${v.length > 64 ? `,…${v.length}` : ""}]`;
    }
    if (v instanceof Map || v instanceof Set) return `${v.constructor.name}(${v.size})`;
    const parts: string[] = [];
    const descriptors = Object.getOwnPropertyDescriptors(v);
    for (const key of Object.keys(descriptors).sort()) {
      const d = descriptors[key] as PropertyDescriptor;
      if ("value" in d) parts.push(`${key}:${canon(d.value, depth + 1)}`);
    }
    return `{${parts.join(",")}}`;
  } catch {
    return "?"; // a Proxy: not ours to describe
  }
}
