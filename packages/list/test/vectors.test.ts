/**
 * The exact vectors of docs/vectors.md: T-K1 (#kunit), chunk packing C1-C7 (#chunk-packing), the
 * seek table (INTENDED column) and empty semantics (#seek-and-empty), and the encoding vectors
 * E1-E10 stored through a list (#encoding-vectors).
 */
import { fixed16Codec, type RangeEntry, type RangeEntryBig, variableCodec } from "@rlist/encoding";
import { describe, expect, it } from "vitest";
import { type ChunkBytes, ChunkPool, HDR_USED, HEADER_UNITS, RangeList } from "../src/index.js";
import { checkInvariants } from "./helpers.js";

function entry(length: number, base = 0, type = 0, offset = 0, extra = 0): RangeEntry {
  return { type, length, base, offset, extra };
}

/** An entry of the given variable form (8, 16 or 24 bytes). */
function ofForm(form: 8 | 16 | 24, i: number): RangeEntry {
  if (form === 8) return entry(1 + i, 0x1000 + i);
  if (form === 16) return entry(1 + i, 2 ** 40 + i);
  return entry(1 + i, i, 0, 0, 7);
}

/** The entry area (all units) of the list's k-th chunk. */
function area(list: RangeList, k: number): Uint32Array {
  const id = list._ix.ids[k] as number;
  const base = list.pool.wordBase(id);
  return list.pool.words(id).subarray(base + HEADER_UNITS, base + HEADER_UNITS + list.unitsPerChunk);
}

function used(list: RangeList, k: number): number {
  const id = list._ix.ids[k] as number;
  return list.pool.words(id)[list.pool.wordBase(id) + HDR_USED] as number;
}

function build(forms: (8 | 16 | 24)[], chunkBytes: ChunkBytes = 512): RangeList {
  const list = new RangeList({ pool: new ChunkPool({ chunkBytes }) });
  for (const [i, f] of forms.entries()) list.append(ofForm(f, i));
  checkInvariants(list);
  return list;
}

const repeat = <T>(x: T, n: number): T[] => Array.from({ length: n }, () => x);

describe("chunk packing C1-C7, 126 units per 512-byte chunk (docs/vectors.md#chunk-packing)", () => {
  it("C1: 63 x 8 B fill one chunk exactly (no END); the 64th opens chunk 2, END at its unit 2", () => {
    const l63 = build(repeat(8 as const, 63));
    expect(l63.chunkCount).toBe(1);
    expect(used(l63, 0)).toBe(126);
    expect(l63.stats().bytesInUse).toBe(512);
    const l = build(repeat(8 as const, 64));
    expect(l.chunkCount).toBe(2);
    expect(used(l, 0)).toBe(126);
    expect(used(l, 1)).toBe(2);
    expect(area(l, 1)[2]).toBe(3);
    expect(l.stats().bytesInUse).toBe(1024);
  });

  it("C2: 31 x 16 B, END at unit 124; the 32nd goes to chunk 2, whose END is at unit 4", () => {
    const l31 = build(repeat(16 as const, 31));
    expect(l31.chunkCount).toBe(1);
    expect(used(l31, 0)).toBe(124);
    expect(area(l31, 0)[124]).toBe(3);
    const l = build(repeat(16 as const, 32));
    expect(l.chunkCount).toBe(2);
    expect(area(l, 0)[124]).toBe(3);
    expect(used(l, 1)).toBe(4);
    expect(area(l, 1)[4]).toBe(3);
  });

  it("C3: 21 x 24 B fill exactly one chunk; the 22nd opens chunk 2", () => {
    expect(build(repeat(24 as const, 21)).chunkCount).toBe(1);
    expect(used(build(repeat(24 as const, 21)), 0)).toBe(126);
    expect(build(repeat(24 as const, 22)).chunkCount).toBe(2);
  });

  it("C4: 62 x 8 B + 16 B pads chunk 1 at unit 124; a following 8 B is not back-filled", () => {
    const l = build([...repeat(8 as const, 62), 16, 8]);
    expect(l.chunkCount).toBe(2);
    expect(used(l, 0)).toBe(124);
    expect(area(l, 0)[124]).toBe(3);
    expect((area(l, 1)[0] as number) & 3).toBe(1); // the 16-byte entry at units 0-3
    expect((area(l, 1)[4] as number) & 3).toBe(0); // the 8-byte entry at units 4-5
    expect(used(l, 1)).toBe(6);
  });

  it("C5: 61 x 8 B + 16 B fit exactly (122 + 4 = 126): chunk full, no pad", () => {
    const l = build([...repeat(8 as const, 61), 16]);
    expect(l.chunkCount).toBe(1);
    expect(used(l, 0)).toBe(126);
  });

  it("C6: iteration returns entries in order, type 3 included (the AS-WRITTEN END_PAD bug)", () => {
    const list = RangeList.from([entry(1, 0, 0), entry(2, 0, 3), entry(3, 0, 0)], { pool: new ChunkPool() });
    expect(list.toArray()).toEqual([entry(1, 0, 0), entry(2, 0, 3), entry(3, 0, 0)]);
    const c = list.cursor();
    const positions: number[] = [];
    while (c.next()) positions.push(c.position);
    expect(positions).toEqual([0, 1, 3]);
    // type 3 at every unit of a chunk, across chunk boundaries
    const many = Array.from({ length: 200 }, (_, i) => entry(i, i, 3));
    expect(RangeList.from(many, { pool: new ChunkPool() }).toArray()).toEqual(many);
  });

  it("C7 (BASE_SMALL, 128-byte chunks = 30 units): 15 / 7 / 5 entries per chunk", () => {
    for (const [form, per] of [
      [8, 15],
      [16, 7],
      [24, 5],
    ] as const) {
      const one = build(repeat(form, per), 128);
      expect(one.chunkCount).toBe(1);
      expect(build(repeat(form, per + 1), 128).chunkCount).toBe(2);
    }
    const l7 = build(repeat(16 as const, 7), 128);
    expect(used(l7, 0)).toBe(28);
    expect(area(l7, 0)[28]).toBe(3);
  });

  it("4 KiB chunks (1022 units): 511 / 255 / 170 entries per chunk", () => {
    for (const [form, per] of [
      [8, 511],
      [16, 255],
      [24, 170],
    ] as const) {
      expect(build(repeat(form, per), 4096).chunkCount).toBe(1);
      expect(build(repeat(form, per + 1), 4096).chunkCount).toBe(2);
    }
  });

  it("memory figures (docs/vectors.md#memory-figures): 8.13 / 16.52 / 24.38 bytes per entry when full", () => {
    const per = (form: 8 | 16 | 24, n: number) => build(repeat(form, n)).stats();
    expect(per(8, 63 * 4).bytesPerEntry).toBeCloseTo(512 / 63, 10);
    expect(per(16, 31 * 4).bytesPerEntry).toBeCloseTo(512 / 31, 10);
    expect(per(24, 21 * 4).bytesPerEntry).toBeCloseTo(512 / 21, 10);
    expect(per(8, 63).efficiency).toBeCloseTo(504 / 512, 10);
    expect(per(16, 31).efficiency).toBeCloseTo(496 / 512, 10);
    expect(per(8, 32).bytesPerEntry).toBe(16); // half-full chunk
    expect(per(8, 63).byForm).toEqual({ 8: 63, 16: 0, 24: 0 });
  });

  it("fixed16 packs 31 per 512-byte chunk with END at unit 124", () => {
    const list = new RangeList({ codec: "fixed16", pool: new ChunkPool() });
    for (let i = 0; i < 32; i++) list.append(entry(i, i));
    expect(list.chunkCount).toBe(2);
    expect(area(list, 0)[124]).toBe(3);
    expect(list.stats().byForm).toEqual({ 8: 0, 16: 32, 24: 0 });
  });
});

describe("seek (INTENDED) and empty (docs/vectors.md#seek-and-empty)", () => {
  const table: [number, number | null, number][] = [
    [0, 0, 0],
    [9, 0, 0],
    [10, 1, 10],
    [15, 1, 10],
    [59, 2, 30],
    [60, null, 60],
  ];
  for (const codec of ["variable", "fixed16"] as const) {
    for (const chunkBytes of [128, 512, 4096] as const) {
      it(`lengths [10, 20, 30] (${codec}, ${chunkBytes}): pos <= t < pos + length, false at 60`, () => {
        const list = RangeList.from([entry(10, 1), entry(20, 2), entry(30, 3)], {
          codec,
          pool: new ChunkPool({ chunkBytes }),
        });
        const c = list.cursor();
        for (const [t, index, position] of table) {
          expect(c.seek(t)).toBe(index !== null);
          expect(c.index).toBe(index ?? 3);
          expect(c.position).toBe(position);
          expect(c.seekBig(BigInt(t))).toBe(index !== null);
          expect(c.index).toBe(index ?? 3);
        }
      });
    }
  }

  it("seek never lands on zero-length entries, and is flat across chunks", () => {
    const pool = new ChunkPool({ chunkBytes: 128 });
    const list = new RangeList({ pool });
    for (let i = 0; i < 100; i++) {
      list.append(entry(0, i));
      list.append(entry(5, i));
    }
    const c = list.cursor();
    for (let t = 0; t < 500; t++) {
      expect(c.seek(t)).toBe(true);
      expect(c.index).toBe(2 * Math.floor(t / 5) + 1);
      expect(c.length).toBe(5);
    }
    expect(c.seek(500)).toBe(false);
  });

  it("empty: a new list, after one append, after clear", () => {
    const list = new RangeList({ pool: new ChunkPool() });
    expect(list.isEmpty).toBe(true);
    expect(list.count).toBe(0);
    expect(list.cursor().reset()).toBe(false);
    expect(list.cursor().seek(0)).toBe(false);
    list.append(entry(10, 10));
    expect(list.isEmpty).toBe(false);
    list.clear();
    expect(list.isEmpty).toBe(true);
    expect(list.totalLength).toBe(0);
    expect(list.chunkCount).toBe(0);
    // a list of only zero-length entries is not empty, but nothing can be seeked
    list.append(entry(0, 1));
    expect(list.isEmpty).toBe(false);
    expect(list.cursor().seek(0)).toBe(false);
    expect(list.cursor().reset()).toBe(true);
  });
});

describe("T-K1 rlist.simple_test (docs/vectors.md#kunit)", () => {
  it("one 8-byte entry {0, 10, 10}: header 0xA0, base 0x0A, END at unit 2", () => {
    const list = new RangeList({ pool: new ChunkPool() });
    expect(list.isEmpty).toBe(true);
    expect(list.count).toBe(0);
    list.append({ type: 0, base: 10, length: 10, offset: 0, extra: 0 });
    expect(list.count).toBe(1);
    const c = list.cursor();
    expect(c.reset()).toBe(true);
    expect(c.read(entry(0))).toEqual({ type: 0, length: 10, base: 10, offset: 0, extra: 0 });
    expect([...area(list, 0).subarray(0, 3)]).toEqual([0xa0, 0x0a, 3]);
    list.clear();
    expect(list.isEmpty).toBe(true);
  });
});

describe("encoding vectors E1-E10, stored through the list (docs/vectors.md#encoding-vectors)", () => {
  const vectors: [RangeEntryBig, number[]][] = [
    [{ type: 0, base: 10n, length: 10n, offset: 0, extra: 0 }, [0xa0, 0x0a]],
    [{ type: 1, base: 0xffff_ffffn, length: 0x0fff_ffffn, offset: 0, extra: 0 }, [0xffff_fff4, 0xffff_ffff]],
    [{ type: 0, base: 1n << 32n, length: 1n, offset: 0, extra: 0 }, [0x11, 0, 0, 1]],
    [{ type: 0, base: 0n, length: 1n << 28n, offset: 0, extra: 0 }, [1, 1, 0, 0]],
    [{ type: 0, base: 0n, length: 0n, offset: 1, extra: 0 }, [1, 0x100, 0, 0]],
    [
      { type: 2, base: (1n << 64n) - 1n, length: (1n << 36n) - 1n, offset: 0xff_ffff, extra: 0 },
      [0xffff_fff9, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff],
    ],
    [{ type: 0, base: 0n, length: 0n, offset: 1 << 24, extra: 0 }, [2, 0x0100_0000, 0, 0, 0, 0]],
    [{ type: 0, base: 10n, length: 10n, offset: 0, extra: 1 }, [0xa2, 0, 0x0a, 0, 0, 1]],
    [{ type: 0, base: 0n, length: 1n << 36n, offset: 0, extra: 0 }, [2, 0, 0, 0, 0x100, 0]],
    [
      { type: 3, base: 0n, length: (1n << 60n) - 1n, offset: 0, extra: 0 },
      [0xffff_fffe, 0, 0, 0, 0xffff_ffff, 0],
    ],
  ];
  it("E1-E10: the stored words are the codec's words, and read back exactly", () => {
    for (const [e, words] of vectors) {
      const list = new RangeList({ pool: new ChunkPool() });
      list.appendBig(e);
      expect([...area(list, 0).subarray(0, words.length)]).toEqual(words);
      const mine = new Uint32Array(6);
      expect(variableCodec.encodeBig(mine, 0, e)).toBe(words.length);
      expect([...mine.subarray(0, words.length)]).toEqual(words);
      expect(list.toArrayBig()).toEqual([e]);
    }
  });

  it("fixed16 stores the fixed16 codec's words", () => {
    const list = new RangeList({ codec: fixed16Codec, pool: new ChunkPool() });
    const e: RangeEntryBig = {
      type: 2,
      base: (1n << 64n) - 5n,
      length: (1n << 60n) - 3n,
      offset: 0,
      extra: 0,
    };
    list.appendBig(e);
    const want = new Uint32Array(4);
    fixed16Codec.encodeBig(want, 0, e);
    expect([...area(list, 0).subarray(0, 4)]).toEqual([...want]);
    expect(list.toArrayBig()).toEqual([e]);
  });
});
