import { bioToCpuRangeList } from "@rlist/bvec";
import { PhysicalMemory } from "@rlist/dma";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exampleP2pMachine } from "../src/machine/example-p2p.js";
import { bioVec } from "../src/representations/bvec.js";
import { fixed16Representation, rlistRepresentation } from "../src/representations/rlist.js";
import { biosOf } from "../src/study/prepare.js";
import { PAGE_SIZE, totalBytes } from "../src/workloads/range-set.js";
import { arbPageSet, pages, setOf } from "./helpers.js";

const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });
const ctx = { memory, providers: [] };

describe("rlist variable representation (CpuRangeList over RangeList chunks)", () => {
  it("63 FOLIO_PFN entries of 8 bytes fill one 512-byte chunk; the 64th opens a second", () => {
    const rep = rlistRepresentation(512, ctx);
    const scattered = (n: number) => pages(...Array.from({ length: n }, (_, i) => 0x1000 + 2 * i));
    const a = rep.build(scattered(63));
    expect([a.entries, a.bytes, a.payloadBytes]).toEqual([63, 512, 63 * 8]);
    const b = rep.build(scattered(64));
    expect([b.entries, b.bytes]).toEqual([64, 1024]);
    a.release?.();
    b.release?.();
  });

  it("chunk size only changes the accounting, never the entries or the bytes described", () => {
    fc.assert(
      fc.property(arbPageSet, (set) => {
        const built = [128, 512, 4096].map((c) => rlistRepresentation(c as 128 | 512 | 4096, ctx).build(set));
        const entries = built.map((b) => b.entries);
        expect(new Set(entries).size).toBe(1);
        for (const b of built) {
          expect(b.iterate()).toBe(totalBytes(set));
          expect(b.bytes % 128).toBe(0);
          expect(b.payloadBytes).toBeLessThanOrEqual(b.bytes);
          b.release?.();
        }
        // Merging follows physical contiguity: the same runs a multi-page bio_vec gets.
        expect(entries[0]).toBe(bioVec.build(set).entries);
      }),
      { numRuns: 100 },
    );
  });

  it("every list keeps its own chunks (many small lists)", () => {
    const set = setOf(
      Array.from({ length: 10 }, (_, g) => [
        { pfn: 0x2000 + 10 * g, order: 0, offset: 0, length: PAGE_SIZE, provider: -1 },
      ]),
    );
    const b = rlistRepresentation(4096, ctx).build(set);
    expect(b.entries).toBe(10);
    expect(b.bytes).toBe(10 * 4096);
    b.release?.();
  });

  it("the NVMe path (bio -> CpuRangeList adapter) gives the same lists as appending ranges", () => {
    const set = setOf([
      [
        { pfn: 0x300, order: 0, offset: 512, length: 3584, provider: -1 },
        { pfn: 0x301, order: 0, offset: 0, length: 4096, provider: -1 },
        { pfn: 0x500, order: 0, offset: 0, length: 512, provider: -1 },
      ],
      [{ pfn: 0x700, order: 0, offset: 0, length: 4096, provider: -1 }],
    ]);
    const bios = biosOf(set);
    expect(bios.map((b) => b.vecs.count)).toEqual([2, 1]);
    const viaBio = rlistRepresentation(512, {
      ...ctx,
      makeList: (g, store) => {
        const { list } = bioToCpuRangeList(memory, bios[g]!, { store, chain: false });
        list.seal();
        return list;
      },
    }).build(set);
    const direct = rlistRepresentation(512, ctx).build(set);
    expect(viaBio.entries).toBe(direct.entries);
    expect(viaBio.entries).toBe(3);
    expect(viaBio.iterate()).toBe(direct.iterate());
  });

  it("PHYSICAL P2P ranges are 24-byte entries with the provider", () => {
    const p2p = exampleP2pMachine();
    const bar = p2p.provider.bar.cpuAddress;
    const set = setOf([
      [
        { pfn: bar / PAGE_SIZE, order: 0, offset: 0, length: 65536, provider: 0 },
        { pfn: bar / PAGE_SIZE + 16, order: 0, offset: 0, length: 65536, provider: 0 },
      ],
    ]);
    const b = rlistRepresentation(512, { memory: p2p.memory, providers: [p2p.provider] }).build(set);
    // Physical entries never merge (rlscpu_append_physical pushes each one).
    expect(b.entries).toBe(2);
    expect(b.payloadBytes).toBe(48);
    expect(b.iterate()).toBe(131072);
    b.release?.();
    expect(fixed16Representation().unsupported(set)).toMatch(/provider/);
  });
});

describe("fixed16 representation", () => {
  it("merges contiguous byte ranges into 16-byte entries", () => {
    fc.assert(
      fc.property(arbPageSet, (set) => {
        const b = fixed16Representation().build(set);
        expect(b.entries).toBe(bioVec.build(set).entries);
        expect(b.payloadBytes).toBe(16 * b.entries);
        expect(b.iterate()).toBe(totalBytes(set));
        b.release?.();
      }),
      { numRuns: 100 },
    );
  });
});
