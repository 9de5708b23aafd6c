/**
 * What an argument may be: a small schema, derived from the TypeScript parameter types by
 * surface.ts and refined by hand where the type says less than the API (a `number` that must be
 * a safe integer >= 0). `isValid` is the harness's notion of "valid input": a value outside its
 * kind must be refused with `RlistError`; a value inside it may be accepted or refused with a
 * typed error (the API can have rules the kind does not know, like "count <= list.count").
 */
import type { Rng } from "./rng.js";

export type Kind =
  /** A number; finite unless `nonFinite` (NaN and ±Infinity are never a count, size or address). */
  | { t: "number"; int?: boolean; min?: number; max?: number; nonFinite?: boolean }
  | { t: "bigint"; min?: bigint; max?: bigint }
  | { t: "boolean" }
  | { t: "string" }
  | { t: "literal"; values: readonly (string | number | boolean)[] }
  /** An instance of an rlist class, `pkg:Class` (e.g. `dma:DmaDevice`). */
  | { t: "instance"; cls: string }
  /** A typed array or buffer of the given constructor name (`Uint32Array`). */
  | { t: "typed"; cls: string }
  /**
   * A non-null object; its fields are mutated one at a time. `name` (`dma:DmaEntryCursor`) lets
   * a world offer real implementations of an interface.
   */
  | { t: "object"; fields: Readonly<Record<string, Kind>>; name?: string }
  | { t: "array"; of: Kind }
  | { t: "function" }
  | { t: "any" }
  | { t: "union"; of: readonly Kind[] }
  | { t: "undefined" }
  | { t: "null" };

export const any: Kind = { t: "any" };
export const nat: Kind = { t: "number", int: true, min: 0, max: Number.MAX_SAFE_INTEGER };
export const int: Kind = {
  t: "number",
  int: true,
  min: -Number.MAX_SAFE_INTEGER,
  max: Number.MAX_SAFE_INTEGER,
};
export const u32: Kind = { t: "number", int: true, min: 0, max: 0xffff_ffff };
export const num: Kind = { t: "number" };
export const u64: Kind = { t: "bigint", min: 0n, max: (1n << 64n) - 1n };
export const bool: Kind = { t: "boolean" };
export const str: Kind = { t: "string" };
export const fn: Kind = { t: "function" };
export const u32words: Kind = { t: "typed", cls: "Uint32Array" };
export const bytes: Kind = { t: "typed", cls: "Uint8Array" };
export const opt = (k: Kind): Kind => ({ t: "union", of: [k, { t: "undefined" }] });
export const nullable = (k: Kind): Kind => ({ t: "union", of: [k, { t: "null" }] });
export const oneOf = (...values: (string | number | boolean)[]): Kind => ({ t: "literal", values });
export const obj = (fields: Record<string, Kind>): Kind => ({ t: "object", fields });
export const instance = (cls: string): Kind => ({ t: "instance", cls });
export const natMax = (max: number): Kind => ({ t: "number", int: true, min: 0, max });

/** Resolves `pkg:Class` to its constructor (built by the runner from the packages' exports). */
export type ClassLookup = (cls: string) => (abstract new (...args: never[]) => unknown) | undefined;

function typedName(v: unknown): string | undefined {
  try {
    if (v instanceof ArrayBuffer) return "ArrayBuffer";
    if (!ArrayBuffer.isView(v)) return undefined;
    return Object.prototype.toString.call(v).slice(8, -1);
  } catch {
    return undefined; // a Proxy whose traps throw is no typed array
  }
}

/** True when `v` is inside `kind` (no user code runs: Proxies and getters are not touched). */
export function isValid(kind: Kind, v: unknown, classes: ClassLookup): boolean {
  switch (kind.t) {
    case "number": {
      if (typeof v !== "number") return false;
      if (!kind.nonFinite && !Number.isFinite(v)) return false;
      if (kind.int && !Number.isInteger(v)) return false;
      if (kind.min !== undefined && v < kind.min) return false;
      return kind.max === undefined || v <= kind.max;
    }
    case "bigint":
      return (
        typeof v === "bigint" &&
        (kind.min === undefined || v >= kind.min) &&
        (kind.max === undefined || v <= kind.max)
      );
    case "boolean":
      return typeof v === "boolean";
    case "string":
      return typeof v === "string";
    case "literal":
      return kind.values.includes(v as string);
    case "instance": {
      const C = classes(kind.cls);
      if (C === undefined) return typeof v === "object" && v !== null;
      try {
        return v instanceof C;
      } catch {
        return false; // a Proxy whose getPrototypeOf throws is no instance
      }
    }
    case "typed":
      return typedName(v) === kind.cls;
    case "object":
      return typeof v === "object" && v !== null;
    case "array":
      try {
        return Array.isArray(v);
      } catch {
        return false; // a revoked Proxy
      }
    case "function":
      return typeof v === "function";
    case "any":
      return true;
    case "union":
      return kind.of.some((k) => isValid(k, v, classes));
    case "undefined":
      return v === undefined;
    case "null":
      return v === null;
  }
}

/** The object kind inside `kind` whose fields can be mutated (an object, or an optional one). */
export function objectKind(kind: Kind): Extract<Kind, { t: "object" }> | undefined {
  if (kind.t === "object") return Object.keys(kind.fields).length > 0 ? kind : undefined;
  if (kind.t === "union") {
    const objects = kind.of.filter((k) => k.t === "object");
    const rest = kind.of.filter((k) => k.t !== "object" && k.t !== "undefined" && k.t !== "null");
    if (objects.length === 1 && rest.length === 0) return objectKind(objects[0] as Kind);
  }
  return undefined;
}

/** Context a sampler draws instances from. */
export interface InstanceSource {
  instancesOf(cls: string): readonly object[];
}

const SMALL_NUMBERS = [0, 1, 2, 3, 8, 16, 512, 4096, 0x2000, 0x1_0000];

/**
 * A value inside `kind` (a plausible valid argument when nothing better is known). `undefined`
 * members of unions are chosen last; an instance kind with no instance at hand gives `undefined`.
 */
export function sample(kind: Kind, rng: Rng, src: InstanceSource, depth = 0): unknown {
  switch (kind.t) {
    case "number": {
      const lo = kind.min ?? 0;
      const hi = kind.max ?? 0x1_0000;
      const pick = rng.pick(SMALL_NUMBERS);
      return pick >= lo && pick <= hi ? pick : Math.max(lo, Math.min(hi, 0));
    }
    case "bigint": {
      const pick = rng.pick([0n, 1n, 4096n]);
      const lo = kind.min ?? 0n;
      return pick >= lo && (kind.max === undefined || pick <= kind.max) ? pick : lo;
    }
    case "boolean":
      return rng.bool();
    case "string":
      return "";
    case "literal":
      return rng.pick(kind.values);
    case "instance":
      return rng.pick([...src.instancesOf(kind.cls), undefined]) ?? src.instancesOf(kind.cls)[0];
    case "typed":
      return kind.cls === "ArrayBuffer" ? new ArrayBuffer(64) : newTyped(kind.cls);
    case "object": {
      const made = kind.name === undefined ? [] : src.instancesOf(kind.name);
      if (made.length > 0) return rng.pick(made);
      const out: Record<string, unknown> = {};
      if (depth > 3) return out;
      for (const [key, k] of Object.entries(kind.fields)) {
        if (isValid(k, undefined, () => undefined) && rng.int(3) !== 0) continue; // optional: mostly left out
        out[key] = sample(k, rng, src, depth + 1);
      }
      return out;
    }
    case "array": {
      const k = kind.of;
      if (k.t === "object" && k.name !== undefined) return src.instancesOf(k.name).slice(0, 2);
      if (k.t === "instance") return src.instancesOf(k.cls).slice(0, 2);
      return [];
    }
    case "function":
      return () => undefined;
    case "any":
      return 0;
    case "union": {
      const defined = kind.of.filter((k) => k.t !== "undefined");
      if (defined.length === 0) return undefined;
      return sample(rng.pick(defined), rng, src, depth);
    }
    case "undefined":
      return undefined;
    case "null":
      return null;
  }
}

function newTyped(cls: string): unknown {
  const C = (globalThis as Record<string, unknown>)[cls];
  return typeof C === "function" ? new (C as new (n: number) => unknown)(16) : new Uint8Array(16);
}

export const array = (of: Kind): Kind => ({ t: "array", of });
export const union = (...of: Kind[]): Kind => ({ t: "union", of });
