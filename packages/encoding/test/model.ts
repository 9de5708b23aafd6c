/**
 * Test-only reference model: the layouts written straight from the tables in
 * docs/prototype.md#the-three-forms with bigint bit arithmetic, independent of the codecs' u32 splitting,
 * plus fast-check arbitraries biased to the form boundaries.
 */
import fc from "fast-check";
import type { RangeEntry, RangeEntryBig } from "../src/index.js";

const M28 = (1n << 28n) - 1n;
const M32 = (1n << 32n) - 1n;

/** Does `e` fit the given variable form? (docs/prototype.md#the-three-forms limits, one predicate per form.) */
export function fitsForm(form: 8 | 16 | 24, e: RangeEntryBig): boolean {
  if (form === 8) return e.length < 1n << 28n && e.base < 1n << 32n && e.offset === 0 && e.extra === 0;
  if (form === 16) return e.length < 1n << 36n && e.offset < 2 ** 24 && e.extra === 0;
  return true;
}

/** Smallest variable form that fits. */
export function refForm(e: RangeEntryBig): 8 | 16 | 24 {
  const forms = [8, 16, 24] as const;
  return forms.filter((f) => fitsForm(f, e)).reduce((a, b) => Math.min(a, b) as 8 | 16 | 24);
}

function header(enc: number, e: RangeEntryBig): number {
  return Number(BigInt(enc) | (BigInt(e.type) << 2n) | ((e.length & M28) << 4n));
}

/** The words the variable codec must write for `e`. */
export function refVariableWords(e: RangeEntryBig): number[] {
  const baseLo = Number(e.base & M32);
  const baseHi = Number(e.base >> 32n);
  const lenHi = e.length >> 28n;
  switch (refForm(e)) {
    case 8:
      return [header(0, e), baseLo];
    case 16:
      return [header(1, e), Number(lenHi | (BigInt(e.offset) << 8n)), baseLo, baseHi];
    case 24:
      return [header(2, e), e.offset, baseLo, baseHi, Number(lenHi), e.extra];
  }
}

/** The words the fixed16 codec must write for `e` (offset and extra must be 0). */
export function refFixed16Words(e: RangeEntryBig): number[] {
  return [header(0, e), Number(e.length >> 28n), Number(e.base & M32), Number(e.base >> 32n)];
}

export function toBig(e: RangeEntry): RangeEntryBig {
  return { ...e, length: BigInt(e.length), base: BigInt(e.base) };
}

export function toNumber(e: RangeEntryBig): RangeEntry {
  return { ...e, length: Number(e.length), base: Number(e.base) };
}

export function blankEntry(): RangeEntry {
  return { type: 0, length: 0, base: 0, offset: 0, extra: 0 };
}

export function blankEntryBig(): RangeEntryBig {
  return { type: 0, length: 0n, base: 0n, offset: 0, extra: 0 };
}

/** 2^p - 1, 2^p, 2^p + 1 for every form boundary power, clipped to `max`. */
export function boundaryValues(max: bigint): bigint[] {
  const out = new Set<bigint>([0n, 1n, max, max - 1n]);
  for (const p of [24n, 28n, 32n, 36n, 53n, 60n, 64n]) {
    for (const v of [(1n << p) - 1n, 1n << p, (1n << p) + 1n]) if (v <= max) out.add(v);
  }
  return [...out].filter((v) => v >= 0n).sort((a, b) => (a < b ? -1 : 1));
}

/** Values in 0..max: boundaries, log-uniform magnitudes, and uniform. */
export function arbUnsigned(max: bigint): fc.Arbitrary<bigint> {
  const maxBits = max.toString(2).length;
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...boundaryValues(max)) },
    {
      weight: 4,
      arbitrary: fc
        .integer({ min: 0, max: maxBits })
        .chain((bits) => fc.bigInt({ min: 0n, max: bits === 0 ? 0n : (1n << BigInt(bits)) - 1n }))
        .map((v) => (v > max ? max : v)),
    },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max }) },
  );
}

/** u32 field biased to 0 (so small forms are common) and to the 2^24 offset boundary. */
export function arbU32(zeroWeight: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: zeroWeight, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.constantFrom(1, 2 ** 24 - 1, 2 ** 24, 2 ** 24 + 1, 2 ** 32 - 1) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 2 ** 32 - 1 }) },
  );
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export interface EntryArbOptions {
  /** Cap length and base to 2^53-1 (the number API). */
  safe?: boolean;
  /** Only entries with offset = extra = 0 (fixed16). */
  noOffsetExtra?: boolean;
}

export function arbEntryBig(opts: EntryArbOptions = {}): fc.Arbitrary<RangeEntryBig> {
  const lenMax = opts.safe ? MAX_SAFE : (1n << 60n) - 1n;
  const baseMax = opts.safe ? MAX_SAFE : (1n << 64n) - 1n;
  return fc.record({
    type: fc.integer({ min: 0, max: 3 }),
    length: arbUnsigned(lenMax),
    base: arbUnsigned(baseMax),
    offset: opts.noOffsetExtra ? fc.constant(0) : arbU32(3),
    extra: opts.noOffsetExtra ? fc.constant(0) : arbU32(6),
  });
}

export function arbEntry(opts: Omit<EntryArbOptions, "safe"> = {}): fc.Arbitrary<RangeEntry> {
  return arbEntryBig({ ...opts, safe: true }).map(toNumber);
}

/** A sentinel-filled array big enough for any entry at `at`, with `slack` spare units after it. */
export function sentinelWords(size: number, fill = 0xdeadbeef): Uint32Array {
  return new Uint32Array(size).fill(fill);
}
