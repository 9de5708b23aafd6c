/**
 * Test-only reference model of a RangeList: a plain array of exact (bigint) entries, with
 * every rule restated from docs/design.md#range-list, docs/prototype.md#choosing-a-form and
 * docs/vectors.md#chunk-packing / #seek-and-empty in the simplest way
 * (bigint arithmetic, linear scans), plus fast-check arbitraries biased to the form limits.
 */
import type { RangeEntry, RangeEntryBig } from "@rlist/encoding";
import fc from "fast-check";

export const MAX_LEN = (1n << 60n) - 1n;
export const MAX_U64 = (1n << 64n) - 1n;
export const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export type CodecName = "variable" | "fixed16";

/** Stored size in units (docs/prototype.md#choosing-a-form for variable; always 4 for fixed16). */
export function unitsOf(codec: CodecName, e: RangeEntryBig): number {
  if (codec === "fixed16") return 4;
  if (e.length < 1n << 28n && e.base < 1n << 32n && e.offset === 0 && e.extra === 0) return 2;
  if (e.length < 1n << 36n && e.offset < 2 ** 24 && e.extra === 0) return 4;
  return 6;
}

/** Greedy packing (no straddling, no back-filling): used units of each chunk. */
export function layout(codec: CodecName, chunkBytes: number, entries: readonly RangeEntryBig[]): number[] {
  const cap = chunkBytes / 4 - 2;
  const used: number[] = [];
  for (const e of entries) {
    const u = unitsOf(codec, e);
    const last = used.length - 1;
    if (last >= 0 && (used[last] as number) + u <= cap) used[last] = (used[last] as number) + u;
    else used.push(u);
  }
  return used;
}

export function isSafe(e: RangeEntryBig): boolean {
  return e.length <= SAFE && e.base <= SAFE;
}

export function toBig(e: RangeEntry): RangeEntryBig {
  return { type: e.type, length: BigInt(e.length), base: BigInt(e.base), offset: e.offset, extra: e.extra };
}

export function toNum(e: RangeEntryBig): RangeEntry {
  return { type: e.type, length: Number(e.length), base: Number(e.base), offset: e.offset, extra: e.extra };
}

/** The default merge rule of the brief. */
export function defaultCanMerge(prev: RangeEntryBig, next: RangeEntryBig): boolean {
  return (
    prev.type === next.type &&
    prev.extra === next.extra &&
    prev.offset === 0 &&
    next.offset === 0 &&
    prev.base + prev.length === next.base
  );
}

export class Model {
  entries: RangeEntryBig[] = [];

  constructor(
    readonly codec: CodecName,
    readonly chunkBytes: number,
    public merge = false,
    readonly canMerge: (p: RangeEntryBig, n: RangeEntryBig) => boolean = defaultCanMerge,
  ) {}

  total(): bigint {
    let t = 0n;
    for (const e of this.entries) t += e.length;
    return t;
  }

  /** Throws "ERANGE" like the list when the total would pass 2^64-1. */
  append(e: RangeEntryBig): "merged" | "appended" {
    if (this.total() + e.length > MAX_U64) throw new Error("ERANGE");
    const prev = this.entries[this.entries.length - 1];
    if (this.merge && prev && this.canMerge(prev, e) && prev.length + e.length <= MAX_LEN) {
      this.entries[this.entries.length - 1] = { ...prev, length: prev.length + e.length };
      return "merged";
    }
    this.entries.push({ ...e });
    return "appended";
  }

  chunks(): number[] {
    return layout(this.codec, this.chunkBytes, this.entries);
  }

  positions(): bigint[] {
    const out: bigint[] = [];
    let p = 0n;
    for (const e of this.entries) {
      out.push(p);
      p += e.length;
    }
    return out;
  }

  /** INTENDED seek: the entry with pos <= t < pos + length, or null past the end. */
  seek(t: bigint): { index: number; pos: bigint } | null {
    let p = 0n;
    for (let i = 0; i < this.entries.length; i++) {
      const len = (this.entries[i] as RangeEntryBig).length;
      if (p <= t && t < p + len) return { index: i, pos: p };
      p += len;
    }
    return null;
  }

  /** Entries intersecting [from, to), trimmed; zero-length ones kept when from <= pos < to. */
  slice(from: bigint, to: bigint, how: "offset" | "base"): RangeEntryBig[] {
    const out: RangeEntryBig[] = [];
    if (from === to) return out;
    let p = 0n;
    for (const e of this.entries) {
      const end = p + e.length;
      const hit = e.length === 0n ? from <= p && p < to : p < to && end > from;
      if (hit) {
        const s = p > from ? p : from;
        const t = end < to ? end : to;
        const front = s - p;
        const c = { ...e, length: t - s };
        if (how === "offset") c.offset = e.offset + Number(front);
        else c.base = e.base + front;
        out.push(c);
      }
      p = end;
    }
    return out;
  }
}

// ---------------------------------------------------------------- arbitraries

/** Lengths concentrated at the form limits (2^28, 2^36, 2^53, 2^60). */
export function arbLength(big: boolean): fc.Arbitrary<bigint> {
  const edges = [0n, 1n, 4096n, (1n << 28n) - 1n, 1n << 28n, (1n << 36n) - 1n, 1n << 36n, SAFE];
  const opts: fc.Arbitrary<bigint>[] = [
    fc.bigInt(0n, 5000n),
    fc.constantFrom(...edges),
    fc.bigInt(0n, (1n << 36n) + 10n),
    fc.bigInt(0n, SAFE),
  ];
  if (big) opts.push(fc.bigInt(SAFE, MAX_LEN), fc.constant(MAX_LEN));
  return fc.oneof(...opts);
}

export function arbBase(big: boolean): fc.Arbitrary<bigint> {
  const opts: fc.Arbitrary<bigint>[] = [
    fc.bigInt(0n, 100_000n),
    fc.constantFrom(0n, (1n << 32n) - 1n, 1n << 32n, SAFE),
    fc.bigInt(0n, (1n << 33n) - 1n),
    fc.bigInt(0n, SAFE),
  ];
  if (big) opts.push(fc.bigInt(SAFE, MAX_U64), fc.constant(MAX_U64));
  return fc.oneof(...opts);
}

export function arbEntry(codec: CodecName, big: boolean): fc.Arbitrary<RangeEntryBig> {
  const small = codec === "fixed16";
  return fc.record({
    type: fc.integer({ min: 0, max: 3 }),
    length: arbLength(big),
    base: arbBase(big),
    offset: small
      ? fc.constant(0)
      : fc.oneof(
          { weight: 4, arbitrary: fc.constant(0) },
          fc.integer({ min: 0, max: 2 ** 24 }),
          fc.constantFrom(2 ** 24 - 1, 2 ** 24, 2 ** 32 - 1),
        ),
    extra: small
      ? fc.constant(0)
      : fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, fc.integer({ min: 0, max: 2 ** 32 - 1 })),
  });
}

/** An operation on a list; `cont` appends an entry that continues the previous one. */
export type Op =
  | { op: "append"; e: RangeEntryBig }
  | { op: "cont"; length: bigint }
  | { op: "truncate"; frac: number }
  | { op: "clear" }
  | { op: "check"; frac: number };

/** A fraction in [0, 1], uniform (fc.double is biased to the ends). */
const arbFrac = fc.integer({ min: 0, max: 1000 }).map((x) => x / 1000);

export function arbOps(codec: CodecName, big: boolean, maxLength = 120): fc.Arbitrary<Op[]> {
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 10, arbitrary: arbEntry(codec, big).map((e) => ({ op: "append" as const, e })) },
    { weight: 6, arbitrary: arbLength(big).map((length) => ({ op: "cont" as const, length })) },
    { weight: 1, arbitrary: arbFrac.map((frac) => ({ op: "truncate" as const, frac })) },
    { weight: 1, arbitrary: fc.constant({ op: "clear" as const }) },
    { weight: 2, arbitrary: arbFrac.map((frac) => ({ op: "check" as const, frac })) },
  );
  return fc.array(op, { maxLength, size: "max" });
}
