/** Property tests: bio splitting against a greedy reference, and split-then-rejoin. */
import { isRlistError } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Bio, type BioVec, getMaxIoSize, type QueueLimits, queueLimits, SECTOR_SIZE } from "../src/index.js";
import { arbVecs, bvecRuns, bvecViews, refMaxPrefix, refSegments } from "./model.js";

const arbLimits: fc.Arbitrary<QueueLimits> = fc
  .record({
    maxSegments: fc.integer({ min: 1, max: 8 }),
    maxSegmentSize: fc.oneof(fc.constantFrom(4096, 8192, 65536), fc.integer({ min: 4096, max: 40000 })),
    segBoundaryMask: fc.constantFrom(0xfff, 0x1fff, 0xffff, 0xffffffff),
    virtBoundaryMask: fc.constantFrom(0, 0, 0x1ff, 0xfff),
    logicalBlockSize: fc.constantFrom(512, 4096),
    pbsShift: fc.integer({ min: 0, max: 2 }),
    maxSectors: fc.integer({ min: 8, max: 600 }),
    chunkSectors: fc.constantFrom(0, 0, 8, 24, 64, 100, 256),
  })
  .map(({ pbsShift, maxSegmentSize, virtBoundaryMask, ...r }) =>
    queueLimits({
      ...r,
      virtBoundaryMask,
      ...(virtBoundaryMask === 0 ? { maxSegmentSize } : {}),
      physicalBlockSize: r.logicalBlockSize << pbsShift,
    }),
  );

interface Case {
  vecs: BioVec[];
  lim: QueueLimits;
  skip: number;
  sector: number;
  size: number;
}

/** A READ bio over random bvecs, started mid-way, trimmed to whole logical blocks. */
const arbCase: fc.Arbitrary<Case> = fc
  .record({
    raw: arbVecs({ minLen: 1 }),
    dmaAligned: fc.boolean(),
    lim: arbLimits,
    skipSectors: fc.nat(40),
    sector: fc.nat(10000),
  })
  .map(({ raw, dmaAligned, lim, skipSectors, sector }) => {
    // Half the bios meet a 511 dma_alignment like real block I/O; the rest have odd bvecs.
    const vecs = dmaAligned
      ? raw.map((v) => ({ page: v.page, offset: v.offset & ~511, len: Math.max(512, v.len & ~511) }))
      : raw;
    const total = vecs.reduce((s, v) => s + v.len, 0);
    const skip = Math.min(skipSectors * SECTOR_SIZE, total - (total % SECTOR_SIZE));
    const size = total - skip - ((total - skip) % lim.logicalBlockSize);
    return { vecs, lim, skip, sector, size };
  })
  .filter((c) => c.size > 0);

/** The bio `c` describes, positioned `offset` bytes past its start. */
function makeBio(c: Case, offset = 0): Bio {
  const bio = Bio.fromVecs(c.vecs, { size: c.skip + c.size, sector: c.sector });
  bio.advance(c.skip + offset);
  return bio;
}

/**
 * get_max_io_size() by search rather than by masks: the largest n <= max_sectors that stays inside
 * the chunk and ends on a physical block, else the largest whole number of logical blocks.
 */
function refMaxIoSectors(sector: number, lim: QueueLimits): number {
  let limit = lim.maxSectors;
  if (lim.chunkSectors !== 0) {
    let chunkEnd = 0;
    while (chunkEnd <= sector) chunkEnd += lim.chunkSectors;
    limit = Math.min(limit, chunkEnd - sector);
  }
  const pbs = lim.physicalBlockSize / SECTOR_SIZE;
  for (let n = limit; n > 0; n--) if ((sector + n) % pbs === 0) return n;
  const lbs = lim.logicalBlockSize / SECTOR_SIZE;
  return limit - (limit % lbs);
}

/** Reference splitter: part sizes from the greedy prefix, or "EINVAL" when a block cannot fit. */
function refSplit(c: Case): number[] | "EINVAL" {
  const sizes: number[] = [];
  let pos = 0;
  for (;;) {
    const rest = makeBio(c, pos);
    expect(getMaxIoSize(rest.sector, c.lim)).toBe(refMaxIoSectors(rest.sector, c.lim));
    const prefix = refMaxPrefix(bvecViews(rest), c.lim, refMaxIoSectors(rest.sector, c.lim) * SECTOR_SIZE);
    if (prefix >= rest.size) {
      sizes.push(rest.size);
      return sizes;
    }
    const aligned = prefix - (prefix % c.lim.logicalBlockSize);
    if (aligned === 0) return "EINVAL";
    sizes.push(aligned);
    pos += aligned;
  }
}

describe("bio split properties", () => {
  it("split then rejoin equals the original, and every part obeys every limit", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const lim = c.lim;
        const bio = makeBio(c);
        const original = bvecRuns(bio);
        const startSector = bio.sector;
        const expected = refSplit(c);
        let parts: Bio[];
        try {
          parts = bio.splitAll(lim);
        } catch (e) {
          expect(isRlistError(e, "EINVAL")).toBe(true);
          expect(expected).toBe("EINVAL");
          // All or nothing: the bio is back where it started.
          expect([bio.size, bio.sector]).toEqual([c.size, startSector]);
          expect(bvecRuns(bio)).toEqual(original);
          return;
        }
        expect(parts.map((p) => p.size)).toEqual(expected);

        // Rejoin: the parts, in order, cover exactly the original bytes and sectors.
        const merged: [number, number][] = [];
        for (const [phys, len] of parts.flatMap((p) => bvecRuns(p))) {
          const last = merged[merged.length - 1];
          if (last && last[0] + last[1] === phys) last[1] += len;
          else merged.push([phys, len]);
        }
        expect(merged).toEqual(original);
        let sector = startSector;
        for (const p of parts) {
          expect(p.sector).toBe(sector);
          sector += p.sectors;
          expect(p.vecs).toBe(bio.vecs);
        }

        // Every part obeys every limit.
        for (const p of parts) {
          const views = bvecViews(p);
          expect(p.size).toBeLessThanOrEqual(refMaxIoSectors(p.sector, lim) * SECTOR_SIZE);
          if (lim.chunkSectors !== 0) {
            // No part crosses a chunk boundary.
            const chunk = lim.chunkSectors;
            expect(Math.floor(p.sector / chunk)).toBe(Math.floor((p.sector + p.sectors - 1) / chunk));
          }
          expect(p.size % lim.logicalBlockSize).toBe(0);
          let segs = 0;
          for (const [i, v] of views.entries()) {
            segs += refSegments(lim, v.phys, v.len).length;
            const prev = views[i - 1];
            if (prev && lim.virtBoundaryMask !== 0) {
              expect((prev.offset + prev.len) % (lim.virtBoundaryMask + 1)).toBe(0);
              expect(v.offset % (lim.virtBoundaryMask + 1)).toBe(0);
            }
          }
          expect(segs).toBeLessThanOrEqual(lim.maxSegments);
        }
      }),
      { numRuns: 400 },
    );
  });
});
