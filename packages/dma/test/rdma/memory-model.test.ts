import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cpuFolioEntryBytes,
  cpuPhysicalEntryBytes,
  dmaEntryBytes,
  type EntryBytes,
  pageArrayBytes,
  rangeListFootprint,
  registrationFootprint,
  registrationReport,
  scatterlistBytes,
  sgAllocatedEntries,
  sgEntriesForRun,
} from "../../src/rdma/memory-model.js";

const KiB = 1024;
const MiB = KiB * 1024;
const GiB = MiB * 1024;
const TiB = GiB * 1024;

/** Entry-by-entry packing, the obvious way (the reference model). */
function naiveChunks(sizes: readonly EntryBytes[], chunkBytes: number): number {
  const area = chunkBytes / 4 - 2;
  let chunks = 0;
  let free = 0;
  for (const s of sizes) {
    const u = s / 4;
    if (free < u) {
      chunks++;
      free = area;
    }
    free -= u;
  }
  return chunks;
}

describe("scatterlist chaining (docs/vectors.md#scatterlist)", () => {
  it.each([
    [127, 127],
    [128, 128],
    [129, 130],
    [300, 302],
    [262_144, 264_208],
  ])("%i used entries allocate %i", (nents, allocated) => {
    expect(sgAllocatedEntries(nents)).toBe(allocated);
  });

  it("1 GiB of uncoalesced 4 KiB pages costs ~8.06 MiB", () => {
    expect(scatterlistBytes(262_144)).toBe(8_454_656 + 16);
    expect(scatterlistBytes(0)).toBe(0);
  });

  it("coalesces runs up to max_segment 0xFFFFF000", () => {
    expect(sgEntriesForRun(1)).toBe(1);
    expect(sgEntriesForRun(0xfffff)).toBe(1);
    expect(sgEntriesForRun(0x100000)).toBe(2);
    expect(sgEntriesForRun(4, 4096, 8192)).toBe(2); // SGP-2
    expect(() => sgEntriesForRun(4, 4096, 100)).toThrow(/EINVAL/);
  });
});

describe("range-list chunk packing (docs/vectors.md#chunk-packing)", () => {
  const fp = (groups: Array<[EntryBytes, number]>, chunk = 512) =>
    rangeListFootprint(
      groups.map(([entryBytes, count]) => ({ entryBytes, count })),
      chunk,
    ).chunks;

  it("C1-C5, C7", () => {
    expect(fp([[8, 63]])).toBe(1);
    expect(fp([[8, 64]])).toBe(2);
    expect(fp([[16, 31]])).toBe(1);
    expect(fp([[16, 32]])).toBe(2);
    expect(fp([[24, 21]])).toBe(1);
    expect(fp([[24, 22]])).toBe(2);
    expect(
      fp([
        [8, 62],
        [16, 1],
      ]),
    ).toBe(2);
    expect(
      fp([
        [8, 62],
        [16, 1],
        [8, 1],
      ]),
    ).toBe(2);
    expect(
      fp([
        [8, 61],
        [16, 1],
      ]),
    ).toBe(1);
    expect(fp([[8, 15]], 128)).toBe(1);
    expect(fp([[8, 16]], 128)).toBe(2);
    expect(fp([[16, 7]], 128)).toBe(1);
    expect(fp([[24, 5]], 128)).toBe(1);
    expect(fp([[24, 6]], 128)).toBe(2);
    expect(fp([])).toBe(0);
  });

  it("matches entry-by-entry packing for any sequence of groups", () => {
    const size = fc.constantFrom<EntryBytes>(8, 16, 24);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(size, fc.nat(300)), { maxLength: 12 }),
        fc.constantFrom(128, 512, 4096),
        (groups, chunk) => {
          const flat = groups.flatMap(([s, n]) => Array<EntryBytes>(n).fill(s));
          const got = rangeListFootprint(
            groups.map(([entryBytes, count]) => ({ entryBytes, count })),
            chunk,
          );
          expect(got.chunks).toBe(naiveChunks(flat, chunk));
          expect(got.entries).toBe(flat.length);
          expect(got.bytes).toBe(got.chunks * chunk);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("rejects other chunk sizes", () => {
    expect(() => rangeListFootprint([], 256)).toThrow(/EINVAL/);
  });
});

describe("entry forms (CpuRangeList storage, docs/prototype.md#stored-forms)", () => {
  it("FOLIO_PFN is 8 B below pfn 2^32 and 2^28 pages, then 16 B", () => {
    expect(cpuFolioEntryBytes(0x400 * 4096, 0x2000)).toBe(8);
    expect(cpuFolioEntryBytes(2 ** 32 * 4096, 0x1000)).toBe(16);
    expect(cpuFolioEntryBytes(0, (2 ** 28 - 1) * 4096)).toBe(8);
    expect(cpuFolioEntryBytes(0, 2 ** 28 * 4096)).toBe(16);
  });
  it("a run with an in-page offset is 16 B; an unaligned length alone stays 8 B", () => {
    expect(cpuFolioEntryBytes(0x100 * 4096 + 0x800, 0x900)).toBe(16);
    expect(cpuFolioEntryBytes(0x100 * 4096, 0x900)).toBe(8);
    expect(cpuFolioEntryBytes(0x100 * 4096 + 0x800, 2 ** 36)).toBe(24);
  });
  it("PHYSICAL entries with a provider id are 24 B, DMA entries follow base and length", () => {
    expect(cpuPhysicalEntryBytes(0xe000_0000, 0x1000, 5)).toBe(24);
    expect(cpuPhysicalEntryBytes(0xe000_0000, 0x1000, 0)).toBe(8);
    expect(dmaEntryBytes(0x800, 0x2b00)).toBe(8);
    expect(dmaEntryBytes(0, 2 ** 40)).toBe(24);
    expect(dmaEntryBytes(2 ** 40, 0x1000)).toBe(16);
  });
});

describe("registrationFootprint", () => {
  it("1 GiB of scattered 4 KiB pages: page array 2 MiB, scatterlist ~8.06 MiB, range list 4162 chunks", () => {
    const r = registrationFootprint({ lengthBytes: GiB, folioBytes: 4096, contiguous: false });
    expect(r.pages).toBe(262_144);
    expect(r.pageArrayBytes).toBe(2 * MiB);
    expect(r.scatterlistEntries).toBe(262_144);
    expect(r.scatterlistBytes).toBe(8_454_672);
    expect(r.cpuEntries).toBe(262_144);
    expect(r.cpuListBytes).toBe(4162 * 512);
    expect(r.dmaEntries).toBe(1);
    expect(r.dmaListBytes).toBe(512);
    expect(r.rangeListBytes).toBe(4163 * 512);
  });

  it("2 MiB THP folios cost ~8 bytes per folio in the CPU list", () => {
    const r = registrationFootprint({ lengthBytes: GiB, folioBytes: 2 * MiB, contiguous: false });
    expect(r.cpuEntries).toBe(512);
    expect(r.cpuListBytes).toBe(9 * 512);
    expect(r.pageArrayBytes).toBe(2 * MiB); // GUP still returns every 4 KiB page
    expect(r.scatterlistEntries).toBe(512);
  });

  it("runs the 1 TiB case without allocating it", () => {
    const scattered = registrationFootprint({ lengthBytes: TiB, folioBytes: 4096, contiguous: false });
    expect(scattered.pages).toBe(2 ** 28);
    expect(scattered.pageArrayBytes).toBe(2 * GiB);
    expect(scattered.cpuListBytes).toBe(Math.ceil(2 ** 28 / 63) * 512);
    expect(scattered.scatterlistBytes).toBe(sgAllocatedEntries(2 ** 28) * 32 + 16);
    const contiguous = registrationFootprint({ lengthBytes: TiB, folioBytes: 4096, contiguous: true });
    expect(contiguous.cpuEntries).toBe(1); // 2^28 pages: past the 8-B form, one 16-B entry
    expect(contiguous.cpuListBytes).toBe(512);
    expect(contiguous.scatterlistEntries).toBe(257); // 0xFFFFF pages per entry
    const direct = registrationFootprint({
      lengthBytes: TiB,
      folioBytes: GiB,
      contiguous: false,
      dma: "direct",
    });
    expect(direct.cpuEntries).toBe(1024);
    expect(direct.dmaListBytes).toBe(0);
  });

  it("partial last folios and sub-folio MRs", () => {
    const r = registrationFootprint({ lengthBytes: 4096, folioBytes: GiB, contiguous: false });
    expect([r.pages, r.folios, r.cpuEntries, r.scatterlistEntries]).toEqual([1, 1, 1, 1]);
    const s = registrationFootprint({ lengthBytes: 3 * MiB + 1, folioBytes: 2 * MiB, contiguous: false });
    expect([s.pages, s.folios, s.cpuEntries]).toEqual([769, 2, 2]);
  });

  it("the range list never costs more than the page array for 2 MiB+ folios, at any size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.constantFrom(2 * MiB, GiB), (len, folio) => {
        const r = registrationFootprint({ lengthBytes: len, folioBytes: folio, contiguous: false });
        // One 512-B chunk is the floor; beyond it, 8.1 B per folio vs 8 B per page.
        expect(r.cpuListBytes).toBeLessThanOrEqual(Math.max(512, r.pageArrayBytes));
        expect(r.pageArrayBytes).toBe(pageArrayBytes(Math.ceil(len / 4096)));
      }),
      { numRuns: 100 },
    );
  });

  it("rejects bad layouts", () => {
    expect(() => registrationFootprint({ lengthBytes: 0, folioBytes: 4096, contiguous: true })).toThrow(
      /EINVAL/,
    );
    expect(() => registrationFootprint({ lengthBytes: 1, folioBytes: 3000, contiguous: true })).toThrow(
      /EINVAL/,
    );
    expect(() => registrationFootprint({ lengthBytes: -1, folioBytes: 4096, contiguous: true })).toThrow(
      /ERANGE/,
    );
  });

  it("the standard report spans 4 KiB to 1 TiB for every layout", () => {
    const rows = registrationReport();
    expect(rows).toHaveLength(24);
    expect(Math.min(...rows.map((r) => r.lengthBytes))).toBe(4096);
    expect(Math.max(...rows.map((r) => r.lengthBytes))).toBe(TiB);
  });
});
