import { fixed16Codec, type RangeEntry, type RangeEntryBig, variableCodec } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeOf } from "../../../scripts/expect-code.js";
import { ChunkPool, RangeList } from "../src/index.js";
import {
  newRaw,
  type Raw,
  rawContiguous,
  rawFromBigFields,
  rawFromFields,
  readFixed16,
  readVariable,
  variableUnits,
  writeFixed16,
  writeVariable,
} from "../src/raw.js";
import { expectSnapshot, snapshot } from "./helpers.js";
import { arbEntry, MAX_U64, toNum, unitsOf } from "./model.js";

const e = (length: number, base = 0, type = 0, offset = 0, extra = 0): RangeEntry => ({
  type,
  length,
  base,
  offset,
  extra,
});

function rawOf(x: RangeEntryBig): Raw {
  const r = newRaw();
  expect(rawFromBigFields(x.type, x.length, x.base, x.offset, x.extra, r)).toBe(true);
  return r;
}

describe("inline layouts match @rlist/encoding word for word", () => {
  it("variable and fixed16, write and read, all forms", () => {
    fc.assert(
      fc.property(arbEntry("variable", true), (x) => {
        const r = rawOf(x);
        const mine = new Uint32Array(8);
        const theirs = new Uint32Array(8);
        const units = writeVariable(mine, 1, r);
        expect(units).toBe(variableCodec.encodeBig(theirs, 1, x));
        expect(units).toBe(variableUnits(r));
        expect(units).toBe(unitsOf("variable", x));
        expect([...mine]).toEqual([...theirs]);
        const back = newRaw();
        expect(readVariable(mine, 1, back)).toBe(units);
        expect(back).toEqual(r);
        const f: RangeEntryBig = { ...x, offset: 0, extra: 0 };
        const rf = rawOf(f);
        mine.fill(0);
        theirs.fill(0);
        expect(writeFixed16(mine, 2, rf)).toBe(fixed16Codec.encodeBig(theirs, 2, f));
        expect([...mine]).toEqual([...theirs]);
        expect(readFixed16(mine, 2, back)).toBe(4);
        expect(back).toEqual(rf);
      }),
      { numRuns: 500 },
    );
  });

  it("rawFromFields / rawFromBigFields accept exactly what the codec accepts, with the same bits", () => {
    const KEYS = ["type", "length", "base", "offset", "extra"] as const;
    const junk = [Number.NaN, -1, -0, 1.5, 2 ** 53, 2 ** 64, 4, 1n, -1n, 1n << 64n, "1", null, Symbol("x")];
    /** Whether the codec's own check (`check`) accepts `fields`. */
    const accepts = (check: (e: never) => number, fields: Record<string, unknown>) => {
      try {
        check(fields as never);
        return true;
      } catch {
        return false;
      }
    };
    const cut = (f: typeof rawFromFields, e: Record<string, unknown>, r: Raw) =>
      f(e.type, e.length, e.base, e.offset, e.extra, r);
    /** `r` with -0 read as 0 (a length of -0 is the length 0; typed arrays store it as 0). */
    const plain = (r: Raw) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v + 0]));
    fc.assert(
      fc.property(
        arbEntry("variable", true),
        fc.constantFrom(...KEYS),
        fc.option(fc.constantFrom(...junk)),
        (x, key, bad) => {
          // `x` as it is, or with one field replaced by a value of the wrong type or range
          const big: Record<string, unknown> = bad === null ? { ...x } : { ...x, [key]: bad };
          const r = newRaw();
          const okBig = accepts(variableCodec.unitsForBig, big);
          expect(cut(rawFromBigFields, big, r)).toBe(okBig);
          if (okBig) expect(plain(r)).toEqual(plain(rawOf(big as unknown as RangeEntryBig)));
          if (x.length > BigInt(Number.MAX_SAFE_INTEGER) || x.base > BigInt(Number.MAX_SAFE_INTEGER)) return;
          const num: Record<string, unknown> = bad === null ? { ...toNum(x) } : { ...toNum(x), [key]: bad };
          const okNum = accepts(variableCodec.unitsFor, num);
          expect(cut(rawFromFields, num, r)).toBe(okNum);
          if (!okNum) return;
          const asBig = { ...num, length: BigInt(num.length as number), base: BigInt(num.base as number) };
          expect(plain(r)).toEqual(plain(rawOf(asBig as unknown as RangeEntryBig)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("rawContiguous is exact over 64 bits", () => {
    fc.assert(
      fc.property(arbEntry("variable", true), arbEntry("variable", true), (a, b) => {
        const r = rawOf(a);
        const n = rawOf({ ...b, base: (a.base + a.length) & MAX_U64 });
        expect(rawContiguous(r, n)).toBe(a.base + a.length <= MAX_U64);
        const m = rawOf(b);
        expect(rawContiguous(r, m)).toBe(a.base + a.length === b.base);
      }),
      { numRuns: 300 },
    );
  });
});

describe("append validation: bad entries throw and change nothing", () => {
  const bad: [unknown, string][] = [
    [null, "EINVAL"],
    [42, "EINVAL"],
    [{ ...e(1), type: 4 }, "ERANGE"],
    [{ ...e(1), type: 1.5 }, "ERANGE"],
    [{ ...e(1), type: "1" }, "EINVAL"],
    [e(-1), "ERANGE"],
    [e(0.5), "ERANGE"],
    [e(2 ** 53), "ERANGE"],
    [e(Number.NaN), "ERANGE"],
    [e(1, -1), "ERANGE"],
    [e(1, 2 ** 53), "ERANGE"],
    [e(1, 0, 0, -1), "ERANGE"],
    [e(1, 0, 0, 2 ** 32), "ERANGE"],
    [e(1, 0, 0, 0, 2 ** 32), "ERANGE"],
    [{ type: 0, length: 1n, base: 0n, offset: 0, extra: 0 }, "EINVAL"],
    [{ type: 0, length: 1, offset: 0, extra: 0 }, "EINVAL"],
  ];
  for (const merge of [false, true]) {
    it(`number API (merge ${merge})`, () => {
      for (const codec of ["variable", "fixed16"] as const) {
        const list = RangeList.from([e(3, 4)], { codec, merge, pool: new ChunkPool() });
        const before = snapshot(list);
        for (const [x, code] of bad) {
          expect(codeOf(() => list.append(x as RangeEntry))).toBe(code);
          expectSnapshot(list, before);
        }
      }
    });
  }

  it("bigint API", () => {
    const list = RangeList.from([e(3, 4)], { pool: new ChunkPool() });
    const before = snapshot(list);
    const ok: RangeEntryBig = { type: 0, length: 1n, base: 0n, offset: 0, extra: 0 };
    for (const [x, code] of [
      [{ ...ok, length: 1n << 60n }, "ERANGE"],
      [{ ...ok, length: -1n }, "ERANGE"],
      [{ ...ok, base: 1n << 64n }, "ERANGE"],
      [{ ...ok, base: 1 }, "EINVAL"],
      [{ ...ok, type: -1 }, "ERANGE"],
    ] as [RangeEntryBig, string][]) {
      expect(codeOf(() => list.appendBig(x))).toBe(code);
      expectSnapshot(list, before);
    }
  });

  it("fixed16 has no offset or extra: ERANGE", () => {
    const list = new RangeList({ codec: "fixed16", pool: new ChunkPool() });
    expect(codeOf(() => list.append(e(1, 0, 0, 1)))).toBe("ERANGE");
    expect(codeOf(() => list.append(e(1, 0, 0, 0, 1)))).toBe("ERANGE");
    expect(list.count).toBe(0);
  });

  it("the total is a u64: an append past 2^64-1 is ERANGE", () => {
    const list = new RangeList({ pool: new ChunkPool() });
    const max: RangeEntryBig = { type: 0, length: (1n << 60n) - 1n, base: 0n, offset: 0, extra: 0 };
    for (let i = 0; i < 16; i++) list.appendBig(max);
    list.appendBig({ ...max, length: 15n });
    expect(list.totalLengthBig).toBe(MAX_U64);
    const before = snapshot(list);
    expect(codeOf(() => list.append(e(1)))).toBe("ERANGE");
    expectSnapshot(list, before);
    list.append(e(0));
    expect(list.count).toBe(18);
  });

  it("options are checked", () => {
    expect(codeOf(() => new RangeList({ codec: "nope" as "variable" }))).toBe("EINVAL");
    expect(codeOf(() => new RangeList({ chunkBytes: 1024 as 512 }))).toBe("EINVAL");
    expect(codeOf(() => new RangeList({ pool: {} as ChunkPool }))).toBe("EINVAL");
    expect(codeOf(() => new RangeList({ canMerge: 1 as unknown as () => boolean }))).toBe("EINVAL");
    const list = new RangeList({ pool: new ChunkPool() });
    expect(codeOf(() => list.reserve(-1))).toBe("ERANGE");
    expect(codeOf(() => list.reserve(1, 12))).toBe("EINVAL");
    expect(codeOf(() => list.truncate(1))).toBe("ERANGE");
    expect(codeOf(() => list.slice(0, 1))).toBe("ERANGE");
  });
});

describe("merge", () => {
  it("default rule: same type and extra, offsets 0, contiguous; extends in place", () => {
    const list = new RangeList({ pool: new ChunkPool(), merge: true });
    list.append(e(0x1000, 0x10000, 3));
    list.append(e(0x1000, 0x11000, 3)); // merges
    list.append(e(0x1000, 0x12000, 2)); // other type
    list.append(e(0x1000, 0x14000, 2)); // gap
    list.append(e(0x1000, 0x15000, 2, 0, 1)); // other extra
    list.append(e(0x1000, 0x16000, 2, 0, 1)); // merges (extra equal)
    list.append(e(0x1000, 0x17000, 2, 5, 1)); // offset != 0
    expect(list.toArray()).toEqual([
      e(0x2000, 0x10000, 3),
      e(0x1000, 0x12000, 2),
      e(0x1000, 0x14000, 2),
      e(0x2000, 0x15000, 2, 0, 1),
      e(0x1000, 0x17000, 2, 5, 1),
    ]);
  });

  it("never merges past a 60-bit length, and keeps the stored form smallest", () => {
    const list = new RangeList({ pool: new ChunkPool(), merge: true });
    const max = (1n << 60n) - 1n;
    list.appendBig({ type: 0, length: max - 1n, base: 0n, offset: 0, extra: 0 });
    list.appendBig({ type: 0, length: 1n, base: max - 1n, offset: 0, extra: 0 });
    list.appendBig({ type: 0, length: 1n, base: max, offset: 0, extra: 0 });
    expect(list.toArrayBig().map((x) => x.length)).toEqual([max, 1n]);
    const small = new RangeList({ pool: new ChunkPool(), merge: true });
    small.append(e(2 ** 28 - 2, 0));
    small.append(e(1, 2 ** 28 - 2));
    expect(small.stats().byForm).toEqual({ 8: 1, 16: 0, 24: 0 });
    small.append(e(1, 2 ** 28 - 1));
    expect(small.stats().byForm).toEqual({ 8: 0, 16: 1, 24: 0 });
    small.append(e(2 ** 36, 2 ** 28));
    expect(small.stats().byForm).toEqual({ 8: 0, 16: 0, 24: 1 });
    expect(small.toArray()).toEqual([e(2 ** 28 + 2 ** 36, 0)]);
  });

  it("merge is a settable property", () => {
    const list = new RangeList({ pool: new ChunkPool() });
    list.append(e(1, 0));
    list.append(e(1, 1));
    list.merge = true;
    list.append(e(1, 2));
    list.merge = false;
    list.append(e(1, 3));
    expect(list.toArray()).toEqual([e(1, 0), e(2, 1), e(1, 3)]);
  });
});

describe("slice", () => {
  const src = () =>
    RangeList.from([e(0x800, 0x1000, 1, 0x10), e(0x1000, 0x5000, 1), e(0, 7), e(0x300, 0x9000, 2, 0, 4)], {
      pool: new ChunkPool(),
    });

  it("trims the first and last entries; trimming the front adds to offset (default)", () => {
    const s = src().slice(0x400, 0x1a00);
    expect(s.toArray()).toEqual([
      e(0x400, 0x1000, 1, 0x410),
      e(0x1000, 0x5000, 1),
      e(0, 7),
      e(0x200, 0x9000, 2, 0, 4),
    ]);
    expect(s.totalLength).toBe(0x1600);
  });

  it('with trimFront: "base" the front trim moves base instead', () => {
    const s = src().slice(0x900, 0x1000, { trimFront: "base" });
    expect(s.toArray()).toEqual([e(0x700, 0x5100, 1)]);
    const f = RangeList.from([e(100, 1000)], { codec: "fixed16", pool: new ChunkPool() });
    expect(f.slice(10, 20, { trimFront: "base" }).toArray()).toEqual([e(10, 1010)]);
    expect(codeOf(() => f.slice(10, 20))).toBe("ERANGE");
    expect(f.slice(0, 20).toArray()).toEqual([e(20, 1000)]);
  });

  it("keeps zero-length entries with from <= pos < to; the source is untouched", () => {
    const list = src();
    const before = snapshot(list);
    const a = list.slice(0x1800, 0x1900);
    const b = list.slice(0x1000, 0x1800);
    const c = list.slice(5, 5);
    expect(a.toArray()).toEqual([e(0, 7), e(0x100, 0x9000, 2, 0, 4)]);
    expect(b.toArray()).toEqual([e(0x800, 0x5000, 1, 0x800)]);
    expect(c.isEmpty).toBe(true);
    expect(a.pool).toBe(list.pool);
    for (const s of [a, b, c]) s.clear();
    expectSnapshot(list, before);
  });

  it("offset overflow is ERANGE and allocates nothing", () => {
    const pool = new ChunkPool();
    const list = RangeList.from([e(10, 0, 0, 2 ** 32 - 5, 1)], { pool });
    const inUse = pool.stats().chunksInUse;
    expect(codeOf(() => list.slice(6, 8))).toBe("ERANGE");
    expect(pool.stats().chunksInUse).toBe(inUse);
    expect(codeOf(() => list.slice(5, 8))).toBe("ERANGE");
    expect(list.slice(4, 8).toArray()).toEqual([e(4, 0, 0, 2 ** 32 - 1, 1)]);
  });

  it("concatenated slices rebuild the byte ranges (splitting an I/O)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (lens, cuts) => {
          const list = RangeList.from(
            lens.map((len, i) => e(len, i * 10_000)),
            { pool: new ChunkPool({ chunkBytes: 128 }) },
          );
          const total = list.totalLength;
          const points = [...new Set([0, total, ...cuts.map((c) => c % (total + 1))])].sort((a, b) => a - b);
          const bytes: [number, number][] = [];
          for (let i = 0; i + 1 < points.length; i++) {
            for (const x of list.slice(points[i] as number, points[i + 1] as number, { trimFront: "base" })) {
              const last = bytes[bytes.length - 1];
              if (last && last[0] + last[1] === x.base) last[1] += x.length;
              else bytes.push([x.base, x.length]);
            }
          }
          const whole: [number, number][] = list.toArray().map((x) => [x.base, x.length]);
          expect(bytes).toEqual(whole);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("iteration helpers", () => {
  it("iterator and toArray yield copies; from() builds; entriesBig is exact", () => {
    const entries = [e(1, 2), e(3, 4, 3), e(5, 2 ** 40, 1, 6)];
    const list = RangeList.from(entries, { pool: new ChunkPool() });
    const a = [...list];
    expect(a).toEqual(entries);
    a[0] = e(99);
    expect(list.toArray()).toEqual(entries);
    expect(list.toArrayBig()).toEqual(
      entries.map((x) => ({ ...x, length: BigInt(x.length), base: BigInt(x.base) })),
    );
    expect([...list.entriesBig()].length).toBe(3);
  });

  it("from() releases what it built when an entry is bad", () => {
    const pool = new ChunkPool({ chunkBytes: 128 });
    const good = Array.from({ length: 50 }, (_, i) => e(1, i));
    expect(codeOf(() => RangeList.from([...good, e(-1)], { pool }))).toBe("ERANGE");
    expect(pool.stats().chunksInUse).toBe(0);
  });

  it("number and bigint appends of the same entry store the same words", () => {
    fc.assert(
      fc.property(fc.array(arbEntry("variable", false), { maxLength: 100 }), (xs) => {
        const a = new RangeList({ pool: new ChunkPool() });
        const b = new RangeList({ pool: new ChunkPool() });
        for (const x of xs) {
          a.append(toNum(x));
          b.appendBig(x);
        }
        expect(Buffer.from(a.toBytes()).equals(Buffer.from(b.toBytes()))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
