import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BlockCursor, blockOffset, findBestBlockSize, numBlocks } from "../../src/dma-list/blocks.js";
import { ArrayDmaCursor } from "../../src/dma-list/dma-entries.js";
import { DmaRangeList } from "../../src/dma-list/dma-range-list.js";
import { noSegmentation } from "../../src/dma-list/segmentation.js";
import { DmaKind } from "../../src/index.js";

const SZ_4K = 0x1000;
const SZ_64K = 0x10000;
const SZ_2M = 0x200000;
const SZ_1G = 0x4000_0000;

const list = (...e: Array<[number, number]>) => new ArrayDmaCursor(e);

describe("findBestBlockSize B1-B11 (docs/vectors.md#block-size)", () => {
  it.each([
    ["B1", [[0x200000, 0x200000]], SZ_4K | SZ_2M | SZ_1G, undefined, 0x200000],
    [
      "B2",
      [
        [0x10000, 0x1000],
        [0x20000, 0x1000],
      ],
      SZ_4K | SZ_64K,
      undefined,
      0x1000,
    ],
    [
      "B3",
      [
        [0x10000, 0x1000],
        [0x11000, 0x1000],
      ],
      SZ_4K | SZ_64K,
      undefined,
      0x1000,
    ],
    [
      "B4",
      [
        [0x201000, 0x1ff000],
        [0x400000, 0x200000],
      ],
      SZ_4K | SZ_2M,
      0x1000,
      0x200000,
    ],
    [
      "B5",
      [
        [0x10000, 0x10000],
        [0x20000, 0x10000],
      ],
      SZ_4K | SZ_64K,
      undefined,
      0x10000,
    ],
    [
      "B6",
      [
        [0x10000, 0x10000],
        [0x20000, 0x10000],
      ],
      SZ_4K | SZ_64K | SZ_2M,
      undefined,
      0x10000,
    ],
    [
      "B7",
      [
        [0x1800, 0x1000],
        [0x3000, 0x2000],
      ],
      SZ_4K,
      undefined,
      0,
    ],
    ["B8", [[0x12345000, 0x3000]], SZ_4K | SZ_2M, undefined, 0x200000],
    ["B9", [[0x40000000, 0x40000000]], SZ_4K | SZ_2M | SZ_1G, undefined, 0x40000000],
    ["B10", [[0x40000000, 0x200000]], SZ_4K | SZ_2M | SZ_1G, undefined, 0x200000],
    ["B11", [[0x1000, 0x1000]], 0, undefined, 0],
  ] as Array<[string, Array<[number, number]>, number, number | undefined, number]>)(
    "%s",
    (_id, entries, sizes, hwva, expected) => {
      expect(findBestBlockSize(new ArrayDmaCursor(entries), sizes, hwva)).toBe(expected);
    },
  );

  it("Appendix A: 4K|2M on two separate 4K pages gives 4K", () => {
    expect(findBestBlockSize(list([0x200000, 0x1000], [0x300000, 0x1000]), SZ_4K | SZ_2M)).toBe(SZ_4K);
  });

  it("a list with no bytes applies the VA formula to hwva (length - 1 wraps to all ones)", () => {
    // drivers/infiniband/core/umem.c: bits_per((length - 1 + virt) ^ virt) with length 0 is one bit
    // above virt's lowest set bit, so only sizes larger than virt's alignment are in the first
    // mask, and the result is the smallest of them (not the largest size, as a mask of 0 gives).
    const sizes = SZ_4K | SZ_2M | SZ_1G;
    expect(findBestBlockSize(list(), sizes, 0x1000)).toBe(SZ_2M);
    expect(findBestBlockSize(list([0x5000, 0]), sizes, 0x1000)).toBe(SZ_2M);
    expect(findBestBlockSize(list(), sizes, 0x20_0000)).toBe(SZ_1G);
    expect(findBestBlockSize(list(), sizes, 0x4000_0000)).toBe(SZ_1G);
    expect(findBestBlockSize(list(), SZ_4K | SZ_64K, 0x3000)).toBe(SZ_64K);
    expect(findBestBlockSize(list(), SZ_4K, 0x1000)).toBe(SZ_4K);
    // hwva 0: the span covers all 64 bits, no size is excluded.
    expect(findBestBlockSize(list(), sizes, 0)).toBe(SZ_1G);
    expect(findBestBlockSize(list(), sizes)).toBe(SZ_1G);
  });

  it("a VA span past 2^53 - 1 is answered exactly in u64 arithmetic, like findBestBlockSizeBig (no refusal after the walk)", () => {
    const top = 2 ** 53 - 0x1000;
    // (0x2000 ^ hwva) has its lowest set bit at 12: only 4K passes the hwva.
    expect(findBestBlockSize(list([0x2000, 0x2000]), SZ_4K | SZ_2M, top)).toBe(SZ_4K);
    // An odd hwva rules every size out.
    expect(findBestBlockSize(list([0x1000, 0x1000]), SZ_4K | SZ_2M, 2 ** 53 - 1)).toBe(0);
    // The total alone passes 2^53 (three entries of 2^52): the 2^52 size still fits every entry.
    expect(findBestBlockSize(list([0, 2 ** 52], [2 ** 52, 2 ** 52], [2 ** 53, 0]), 2 ** 52 + SZ_4K)).toBe(
      2 ** 52,
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 0, max: 4 })), {
          maxLength: 6,
        }),
        fc.integer({ min: 0, max: 2 ** 20 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        (pages, below, sizes) => {
          const entries = pages.map(([p, n]): [number, number] => [p * SZ_4K, n * SZ_4K]);
          const list = new DmaRangeList();
          for (const [a, n] of entries) list.append(DmaKind.IOVA, a, n);
          const hwva = 2 ** 53 - below * SZ_4K - 1 - (below % 2 === 0 ? 0 : 0xfff);
          const cursor = new ArrayDmaCursor(entries);
          const got = findBestBlockSize(cursor, sizes, hwva);
          expect(got).toBe(list.findBestBlockSizeBig(sizes, BigInt(hwva)));
          expect(list.findBestBlockSize({ ...noSegmentation, blockSizes: sizes, blockHwva: hwva })).toBe(got);
        },
      ),
    );
  });

  it("supports sizes above 2^32 in the bitmap", () => {
    const SZ_512G = 2 ** 39;
    expect(findBestBlockSize(list([SZ_512G, SZ_512G]), SZ_4K + SZ_1G + SZ_512G)).toBe(SZ_512G);
  });

  it("property: the largest valid size that does not exceed the smallest covering size", () => {
    const sizeBits = fc.subarray([12, 13, 14, 16, 18, 21], { minLength: 1 });
    const entryArb = fc.tuple(fc.nat(64), fc.nat(8), fc.nat(8), fc.integer({ min: 9, max: 14 }));
    fc.assert(
      fc.property(sizeBits, fc.array(entryArb, { minLength: 1, maxLength: 6 }), (bits, raw) => {
        // Entries (dma, len) built from coarse units so that valid lists are common.
        const entries: Array<[number, number]> = raw.map(([a, off, len, unitBits]) => [
          a * 2 ** 16 + off * 2 ** unitBits,
          (len + 1) * 2 ** unitBits,
        ]);
        const bitmap = bits.reduce((m, b) => m + 2 ** b, 0);
        const sizes = bits.map((b) => 2 ** b).sort((x, y) => x - y);
        const va0 = entries[0]![0];
        const total = entries.reduce((t, [, l]) => t + l, 0);
        const valid = (bs: number) => {
          let va = va0;
          return entries.every(([dma, len], i) => {
            const ok = (dma - va) % bs === 0 && (i === 0 || va % bs === 0);
            va += len;
            return ok;
          });
        };
        const covering = sizes.find((bs) => Math.floor(va0 / bs) === Math.floor((va0 + total - 1) / bs));
        const candidates = sizes.filter((bs) => valid(bs) && (covering === undefined || bs <= covering));
        const expected = candidates.length === 0 ? 0 : candidates[candidates.length - 1]!;
        const cursor = new ArrayDmaCursor(entries);
        const got = findBestBlockSize(cursor, bitmap);
        expect(got).toBe(expected);
        if (got !== 0) {
          // A block list: every block yielded in order, exactly numBlocks of them.
          const blocks: number[] = [];
          const bc = new BlockCursor(cursor, got);
          for (let ok = bc.reset(); ok; ok = bc.next()) blocks.push(bc.dmaAddress);
          const want: number[] = [];
          for (const [dma, len] of entries) {
            for (let b = dma - (dma % got); b < dma + len; b += got) want.push(b);
          }
          expect(blocks).toEqual(want);
          expect(blocks.length).toBe(numBlocks(cursor, got));
          expect(blockOffset(cursor, got)).toBe(va0 % got);
        }
      }),
    );
  });
});

describe("blocks (docs/vectors.md#block-size)", () => {
  const iterate = (c: ArrayDmaCursor, bs: number) => {
    const out: number[] = [];
    const bc = new BlockCursor(c, bs);
    for (let ok = bc.reset(); ok; ok = bc.next()) out.push(bc.dmaAddress);
    return out;
  };

  it("bs 0x1000 over [(0x1800, 0x1000), (0x3000, 0x2000)]", () => {
    const c = list([0x1800, 0x1000], [0x3000, 0x2000]);
    expect(blockOffset(c, 0x1000)).toBe(0x800);
    expect(numBlocks(c, 0x1000)).toBe(4);
    expect(iterate(c, 0x1000)).toEqual([0x1000, 0x2000, 0x3000, 0x4000]);
  });

  it("B8 with bs 2M: offset 0x145000, one block at 0x12200000", () => {
    const c = list([0x12345000, 0x3000]);
    expect(blockOffset(c, SZ_2M)).toBe(0x145000);
    expect(numBlocks(c, SZ_2M)).toBe(1);
    expect(iterate(c, SZ_2M)).toEqual([0x12200000]);
  });

  it("zero-length entries are skipped, no wrap-around (prototype bug 19, docs/prototype.md#bugs-we-fixed)", () => {
    const c = list([0x1000, 0], [0x2000, 0x1000], [0x3000, 0], [0x3000, 0x1000], [0x9000, 0]);
    expect(iterate(c, 0x1000)).toEqual([0x2000, 0x3000]);
    expect(numBlocks(c, 0x1000)).toBe(2);
    expect(blockOffset(c, 0x1000)).toBe(0);
    expect(iterate(list([0x1000, 0]), 0x1000)).toEqual([]);
    expect(numBlocks(list(), 0x1000)).toBe(0);
  });

  it("rejects a block size that is not a power of two", () => {
    expect(() => new BlockCursor(list(), 0x3000)).toThrow(/EINVAL/);
    expect(() => numBlocks(list(), 0)).toThrow(/EINVAL/);
  });
});
