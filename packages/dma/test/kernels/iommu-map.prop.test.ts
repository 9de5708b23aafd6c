/**
 * The IOMMU page-list fast path as a kernel: mapping a CPU list with every kernel forced on gives
 * exactly the mapping the TypeScript loops give (DMA list, path, every page-table leaf, counters,
 * errors, nothing left after a failure or an unmap), for random lists of every entry form,
 * addresses from 0 to 2^53 - 1, page-size sets with and without 2 MiB leaves, and page-table
 * allocation failures at every point.
 */

import { ChunkPool, newChunkSpan, type RangeList } from "@rlist/list";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import {
  NO_MAX_SEGMENT_SIZE,
  noSegmentation,
  pciDefaultSegmentation,
  type Segmentation,
} from "../../src/dma-list/segmentation.js";
import { CountdownFaults, chunkFaultHook } from "../../src/iommu/faults.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { summarizeCpuListReference } from "../../src/mapping/cpu-source.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { mapRangeList } from "../../src/mapping/mapper.js";
import {
  applyCpuOps,
  CHUNKS,
  cpuList,
  cpuOpsArb,
  outcome,
  pageListOps,
  pageListOpsArb,
  withKernels,
  world,
} from "./fixture.js";

const PAGE_SIZES = [0x1000, 0x1000 + 0x20_0000, 0x1000 + 0x20_0000 + 0x4000_0000] as const;

/** Segmentation limits: none, the PCI defaults, and boundaries / sizes that make the layout pad. */
const segArb = fc.oneof(
  fc.constant(noSegmentation),
  fc.constant(pciDefaultSegmentation),
  fc.record({
    minAlignMask: fc.constant(0),
    segmentBoundaryMask: fc.integer({ min: 12, max: 34 }).map((k) => 2 ** k - 1),
    maxSegmentSize: fc.oneof(
      fc.constant(NO_MAX_SEGMENT_SIZE),
      fc.integer({ min: 512, max: 2 ** 22 }),
      fc.integer({ min: 12, max: 30 }).map((k) => 2 ** k),
    ),
  }),
);

function mapOnce(
  list: Parameters<typeof mapRangeList>[1],
  pageSizes: number,
  failAt: number,
  perEntry: boolean,
  segmentation: Segmentation,
) {
  const domain = new IommuDomain({
    pageSizes,
    ...(failAt >= 0 ? { faults: new CountdownFaults(failAt, ["pgtable"]) } : {}),
  });
  const device = new DmaDevice({ name: "dev", iommu: domain, segmentation });
  const summary = perEntry ? { isPagelist: false, hasP2p: true } : null;
  const r = outcome(() => {
    const own = summary === null ? undefined : { ...ownSummary(list), ...summary };
    const m = mapRangeList(device, list, {
      direction: "bidirectional",
      ...(own === undefined ? {} : { summary: own }),
    });
    const seen = {
      path: m.path,
      entries: m.list.toArray(),
      // The DMA list's chunks, byte for byte (the per-entry kernel writes them in place).
      image: m.list.storage === null ? null : Array.from(m.list.storage.toBytes()),
      stats: m.list.stats(),
      leaves: domain.pageTable.leaves(),
      tables: domain.pageTablePages,
      counters: { ...domain.counters },
    };
    m.unmap();
    return seen;
  });
  return { r, idle: domain.idle, leaves: domain.pageTable.leaves().length, counters: { ...domain.counters } };
}

/** Every chunk's used words and the END marker after them when there is room (what append() writes). */
function chunkWords(list: RangeList): number[][] {
  const out: number[][] = [];
  const span = newChunkSpan();
  for (let k = 0; list.chunkSpan(k, span); k++) {
    const room = span.end < span.start + list.unitsPerChunk ? 1 : 0;
    out.push([span.end - span.start, ...span.words.slice(span.start, span.end + room)]);
  }
  return out;
}

/** The summary a caller passes to force the per-entry layout must match the list's own. */
function ownSummary(list: Parameters<typeof mapRangeList>[1]) {
  return summarizeCpuListReference(list.cursor(), 4096);
}

// The two properties below take 9-11 s each on an idle core (every run maps a list twice, kernel and
// loop, with page tables of up to a few MiB); on the shared 2-core machine under load they passed the
// default 30 s. They get room rather than fewer runs.
const PROPERTY_TIMEOUT_MS = 120_000;

describe("IOMMU mapping kernels", () => {
  it(
    "map exactly what the TypeScript loops map (page lists and any list)",
    () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...CHUNKS),
          fc.constantFrom(...PAGE_SIZES),
          fc.oneof({ weight: 3, arbitrary: pageListOps(4) }, pageListOpsArb, cpuOpsArb),
          fc.boolean(),
          fc.oneof(fc.constant(-1), fc.nat(12)),
          segArb,
          (chunkBytes, pageSizes, ops, perEntry, failAt, seg) => {
            const list = cpuList(world(), chunkBytes, ops);
            try {
              const kernel = withKernels(0, () => mapOnce(list, pageSizes, failAt, perEntry, seg));
              const loop = withKernels(Number.POSITIVE_INFINITY, () =>
                mapOnce(list, pageSizes, failAt, perEntry, seg),
              );
              expect(kernel).toEqual(loop);
              expect(kernel.idle).toBe(true);
              expect(kernel.leaves).toBe(0);
            } finally {
              list.clear();
            }
          },
        ),
        { numRuns: 200 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "per entry, DMA list in the CPU list's pool (written in place): equal, also when a chunk allocation fails",
    () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...CHUNKS),
          pageListOps(4),
          segArb,
          fc.oneof(fc.constant(-1), fc.nat(40)),
          (chunkBytes, ops, segmentation, failAt) => {
            const pool = new ChunkPool({ chunkBytes });
            const w = world();
            const list = new CpuRangeList(w.memory, { pool });
            applyCpuOps(list, w, ops);
            const once = () => {
              pool.setFaultHook(failAt < 0 ? null : chunkFaultHook(new CountdownFaults(failAt, ["chunk"])));
              const domain = new IommuDomain();
              const device = new DmaDevice({ name: "dev", iommu: domain, segmentation });
              const summary = { ...ownSummary(list), isPagelist: false, hasP2p: true };
              const r = outcome(() => {
                const m = mapRangeList(device, list, { direction: "to-device", summary, list: { pool } });
                const seen = {
                  entries: m.list.toArray(),
                  words: chunkWords(m.list.storage!),
                  leaves: domain.pageTable.leaves(),
                  counters: { ...domain.counters },
                };
                m.unmap();
                return seen;
              });
              pool.setFaultHook(null);
              return { r, idle: domain.idle, chunks: pool.stats().chunksInUse };
            };
            try {
              const kernel = withKernels(0, once);
              const loop = withKernels(Number.POSITIVE_INFINITY, once);
              expect(kernel).toEqual(loop);
            } finally {
              list.clear();
            }
          },
        ),
        { numRuns: 100 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it("per entry in place: 16- and 24-byte DMA entries (offsets past 2^32, lengths past 2^28) as append() writes them", () => {
    const w = world();
    const pool = new ChunkPool({ chunkBytes: 128 });
    const list = new CpuRangeList(w.memory, { pool });
    // 2 MiB-aligned runs of 300 MiB (2 MiB leaves: quick to map), then small pages: the window
    // passes 4 GiB, so later offsets need the 16-byte form, the big lengths too.
    for (let i = 0; i < 18; i++) list.appendPage(2 ** 20 + i * 2 ** 17, 0, 300 * 2 ** 20);
    for (let i = 0; i < 40; i++) list.appendPage(2 ** 30 + 2 * i, 0, 4096);
    const once = () => {
      const device = new DmaDevice({ name: "dev", iommu: new IommuDomain() });
      const summary = { ...ownSummary(list), isPagelist: false, hasP2p: true };
      const m = mapRangeList(device, list, { direction: "to-device", summary, list: { pool } });
      const seen = { words: chunkWords(m.list.storage!), forms: m.list.storage!.stats().byForm };
      m.unmap();
      return seen;
    };
    const k = withKernels(0, once);
    expect(k.forms[16]).toBeGreaterThan(20);
    expect(k).toEqual(withKernels(Number.POSITIVE_INFINITY, once));
    list.clear();
  });

  it("a page already mapped inside the window is EBUSY on both paths, and nothing is left", () => {
    const list = cpuList(world(), 512, [{ kind: "pages", edge: 2, page: 0, pages: 300, follow: false }]);
    for (const min of [0, Number.POSITIVE_INFINITY]) {
      const domain = new IommuDomain();
      const device = new DmaDevice({ name: "dev", iommu: domain });
      // The allocator hands out the top of the space first: squat on a page the mapping will take.
      const probe = mapRangeList(device, list, { direction: "to-device" });
      const iova = probe.list.toArray()[0]!.dmaAddress;
      probe.unmap();
      domain.map(iova + 200 * 4096, 0x1000, 4096, 1);
      const r = withKernels(min, () => outcome(() => mapRangeList(device, list, { direction: "to-device" })));
      expect(r).toEqual({ ok: false, code: "EBUSY" });
      expect(domain.pageTable.leaves()).toEqual([[iova + 200 * 4096, 0x1000, 4096, 1]]);
    }
    list.clear();
  });
});
