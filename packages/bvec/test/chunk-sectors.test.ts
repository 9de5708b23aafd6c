/**
 * `chunk_sectors` in bio splitting (get_max_io_size() with blk_boundary_sectors_left(), block/blk-merge.c
 * and include/linux/blkdev.h) and the REQ_NOWAIT split refusal of bio_split_rw_at().
 */
import { isRlistError } from "@rlist/encoding";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../scripts/expect-code.js";
import { Bio, chunkSectorsLeft, getMaxIoSize, queueLimits } from "../src/index.js";

/** One physically contiguous bvec of `sectors` sectors at page 0x1000. */
const contiguous = (sectors: number, init: { sector?: number; nowait?: boolean; atomic?: boolean } = {}) =>
  Bio.fromVecs([{ page: 0x1000, len: sectors * 512, offset: 0 }], init);

/** Limits that only max_sectors and chunk_sectors can bite on for `contiguous` bios. */
const roomy = { maxSegments: 1024, maxSegmentSize: 0xffff_ffff, segBoundaryMask: 0xffff_ffff };

describe("chunk_sectors: get_max_io_size()", () => {
  it("stops at the next chunk boundary, power of two or not", () => {
    const pow2 = queueLimits({ maxSectors: 1024, chunkSectors: 256 });
    expect(getMaxIoSize(200, pow2)).toBe(56);
    expect(getMaxIoSize(256, pow2)).toBe(256);
    expect(getMaxIoSize(511, pow2)).toBe(1);
    // A 3 x 64 KiB stripe (dm-stripe style): 384 sectors, divided rather than masked.
    const stripe = queueLimits({ maxSectors: 1024, chunkSectors: 384 });
    expect(chunkSectorsLeft(100, 384)).toBe(284);
    expect(getMaxIoSize(100, stripe)).toBe(284);
    expect(getMaxIoSize(768, stripe)).toBe(384);
    // max_sectors still caps inside a chunk.
    expect(getMaxIoSize(100, queueLimits({ maxSectors: 255, chunkSectors: 384 }))).toBe(255);
    // chunk_sectors 0 is "no chunk": SPLIT-5 unchanged.
    expect(getMaxIoSize(3, queueLimits({ maxSectors: 256, physicalBlockSize: 4096 }))).toBe(253);
  });

  it("aligns to the physical block after the chunk cut, or falls back to whole logical blocks", () => {
    // sector 3, chunk 256, pbs 8 sectors: 253 left in the chunk, and 3 + 253 is pbs-aligned.
    expect(
      getMaxIoSize(3, queueLimits({ maxSectors: 1024, chunkSectors: 256, physicalBlockSize: 4096 })),
    ).toBe(253);
    // sector 8, chunk 12, pbs 8: 4 left, (0 + 4) & ~7 = 0 is not past the start, so 4 & ~(lbs - 1).
    expect(
      getMaxIoSize(8, queueLimits({ maxSectors: 1024, chunkSectors: 12, physicalBlockSize: 4096 })),
    ).toBe(4);
    // The same with 4 KiB logical blocks: no whole block fits before the chunk boundary.
    const lbs4k = queueLimits({ maxSectors: 1024, chunkSectors: 12, logicalBlockSize: 4096 });
    expect(getMaxIoSize(8, lbs4k)).toBe(0);
    expectCode(() => contiguous(64, { sector: 8 }).split({ ...roomy, ...lbs4k }), "EINVAL");
  });

  it("is exact for sectors above 2^53 in the bigint form", () => {
    const sector = 2n ** 60n + 5n;
    const lim = queueLimits({ maxSectors: 1024, chunkSectors: 384 });
    const left = 384 - Number(sector % 384n);
    expect(chunkSectorsLeft(sector, 384)).toBe(left);
    expect(getMaxIoSize(sector, lim)).toBe(left);
    expectCode(() => getMaxIoSize(2 ** 60, lim), "ERANGE");
    expectCode(() => chunkSectorsLeft(-1n, 384), "ERANGE");
    // A bio there splits at the chunk boundary too.
    const bio = contiguous(1024);
    bio.iter.sectorBig = sector;
    const front = bio.split({ ...roomy, ...lim })!;
    expect(front.sectors).toBe(left);
    expect(bio.iter.sectorBig).toBe(sector + BigInt(left));
  });

  it("splitAll cuts a bio into parts that never cross a chunk boundary", () => {
    const bio = contiguous(2048, { sector: 200 });
    const parts = bio.splitAll({ ...roomy, maxSectors: 2048, chunkSectors: 256 });
    expect(parts.map((p) => p.sectors)).toEqual([56, 256, 256, 256, 256, 256, 256, 256, 200]);
    for (const p of parts)
      expect(Math.floor(p.sector / 256)).toBe(Math.floor((p.sector + p.sectors - 1) / 256));
  });

  it("queueLimits takes chunkSectors as a u32, default 0", () => {
    expect(queueLimits().chunkSectors).toBe(0);
    expect(queueLimits({ chunkSectors: 0xffff_ffff }).chunkSectors).toBe(0xffff_ffff);
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) {
      expectCode(() => queueLimits({ chunkSectors: bad }), "EINVAL");
    }
  });
});

describe("REQ_NOWAIT: bio_split_rw_at() refuses to split", () => {
  const lim = { ...roomy, maxSectors: 256, chunkSectors: 128 };

  it("a nowait bio that needs a split is EAGAIN and stays as it was", () => {
    const bio = contiguous(256, { sector: 64, nowait: true });
    for (const split of [() => bio.split(lim), () => bio.splitAll(lim)]) {
      try {
        split();
        expect.unreachable();
      } catch (e) {
        expect(isRlistError(e, "EAGAIN")).toBe(true);
      }
      expect([bio.sector, bio.size, bio.iter.idx, bio.iter.bvecDone]).toEqual([64, 256 * 512, 0, 0]);
    }
    // Its clones carry the flag.
    expectCode(() => bio.clone().split(lim), "EAGAIN");
  });

  it("a nowait bio that fits goes through; REQ_ATOMIC is checked first", () => {
    expect(contiguous(64, { sector: 64, nowait: true }).split(lim)).toBeNull();
    expectCode(() => contiguous(256, { sector: 64, nowait: true, atomic: true }).split(lim), "EINVAL");
  });
});
