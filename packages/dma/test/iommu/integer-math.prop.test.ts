/**
 * The integer-only address math of the hot paths (no `%`, no float remainder) is exact: every
 * helper against BigInt arithmetic on values around 2^31, 2^32, 2^52 and 2^53 - 1, and the paths
 * built on them (page-table map / translate / unmap, the IOTLB, bus addresses with a wide offset,
 * the cursor's copy of a pending entry) give the exact addresses there.
 */

import { alignDown, alignUp, hi32, lo32, lowBits } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { Iotlb } from "../../src/iommu/iotlb.js";
import { IOMMU_READ, IOMMU_WRITE, IoPageTable } from "../../src/iommu/page-table.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import { busAddress, busAddressBig } from "../../src/pci/p2p-provider.js";
import { PciTopology } from "../../src/pci/topology.js";
import { and53, or53, xor53 } from "../../src/util/bits.js";

const EDGES = [0, 2 ** 31, 2 ** 32, 2 ** 44, 2 ** 48, 2 ** 52, 2 ** 53 - 1];

/** A safe integer near one of the edges (within +-2^20, clamped to [0, 2^53 - 1]). */
const nearEdge = fc
  .tuple(fc.constantFrom(...EDGES), fc.integer({ min: -(2 ** 20), max: 2 ** 20 }))
  .map(([e, d]) => Math.min(Math.max(e + d, 0), Number.MAX_SAFE_INTEGER));
const anySafe = fc.oneof(nearEdge, fc.maxSafeNat());
const pow2 = fc.integer({ min: 0, max: 53 }).map((k) => 2 ** k);

describe("integer-only address helpers", () => {
  it("lowBits / alignDown / alignUp / hi32 / lo32 equal BigInt arithmetic", () => {
    fc.assert(
      fc.property(anySafe, pow2, (v, a) => {
        const big = BigInt(v);
        const r = big % BigInt(a);
        expect(lowBits(v, a)).toBe(Number(r));
        expect(alignDown(v, a)).toBe(Number(big - r));
        if (v + a <= Number.MAX_SAFE_INTEGER)
          expect(alignUp(v, a)).toBe(Number(r === 0n ? big : big - r + BigInt(a)));
        expect(hi32(v)).toBe(Number(big >> 32n));
        expect(lo32(v)).toBe(Number(big & 0xffff_ffffn));
      }),
      { numRuns: 2000 },
    );
  });

  it("xor53 / or53 / and53 equal BigInt bit operations", () => {
    fc.assert(
      fc.property(anySafe, anySafe, (a, b) => {
        const x = BigInt(a);
        const y = BigInt(b);
        expect(xor53(a, b)).toBe(Number(x ^ y));
        expect(or53(a, b)).toBe(Number(x | y));
        expect(and53(a, b)).toBe(Number(x & y));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("address paths at the edges", () => {
  const pageAt = (v: number, top: number) => Math.min(alignDown(v, 4096), top - 4096);

  it("the page table maps, translates and unmaps exact addresses up to 2^48 / 2^52", () => {
    fc.assert(
      fc.property(
        nearEdge,
        nearEdge,
        fc.integer({ min: 1, max: 600 }),
        fc.nat(4095),
        (iv, pv, pages, off) => {
          const iova = pageAt(iv, 2 ** 48 - pages * 4096);
          const phys = pageAt(pv, 2 ** 52 - pages * 4096);
          const pt = new IoPageTable();
          pt.map(iova, phys, pages * 4096, IOMMU_READ | IOMMU_WRITE);
          for (const k of [0, pages >> 1, pages - 1]) {
            const a = iova + k * 4096 + off;
            expect(pt.translate(a)).toBe(phys + k * 4096 + off);
          }
          const leaves = pt.leaves();
          expect(leaves.reduce((n, [, , size]) => n + size, 0)).toBe(pages * 4096);
          for (const [li, lp] of leaves) expect(lp - phys).toBe(li - iova);
          expect(pt.unmap(iova, pages * 4096)).toBe(pages * 4096);
          expect(pt.tablePages).toBe(1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the IOTLB caches and answers exact addresses", () => {
    fc.assert(
      fc.property(nearEdge, nearEdge, fc.nat(4095), (iv, pv, off) => {
        const iova = pageAt(iv, 2 ** 48);
        const phys = pageAt(pv, 2 ** 52);
        const pt = new IoPageTable();
        pt.map(iova, phys, 4096, IOMMU_READ);
        const out = { phys: 0, pageSize: 0, pageIova: 0, prot: 0 };
        expect(pt.lookupInto(iova + off, out)).toBe(true);
        const tlb = new Iotlb();
        tlb.fill(out);
        const hit = { phys: 0, pageSize: 0, pageIova: 0, prot: 0 };
        expect(tlb.lookup(iova + (off ^ 1), hit)).toBe(true);
        expect(hit).toEqual({ phys: phys + (off ^ 1), pageSize: 4096, pageIova: iova, prot: IOMMU_READ });
        expect(tlb.entries()).toEqual([[iova, phys, 4096, IOMMU_READ]]);
        tlb.invalidateRange(iova, iova + 1);
        expect(tlb.size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it("bus addresses: the number form is the exact u64 sum or ERANGE, also with offsets past +-2^53", () => {
    const topo = new PciTopology();
    const host = topo.addHostBridge();
    // Bus offsets -2^40 (the number path) and 2^62 - 2^40 (beyond +-2^53: the hi/lo word path).
    const near = topo.addFunction(host, {
      bdf: "0000:00:04.0",
      bars: [
        { index: 0, cpuAddress: 2n ** 52n + 2n ** 40n, busAddress: 2n ** 52n, size: 2 ** 40, is64: true },
      ],
    });
    const far = topo.addFunction(host, {
      bdf: "0000:00:05.0",
      bars: [{ index: 0, cpuAddress: 2n ** 40n, busAddress: 2n ** 62n, size: 2 ** 40, is64: true }],
    });
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 0, max: 2 ** 40 - 1 }), (useFar, d) => {
        const p = (useFar ? far : near).p2pProvider(0);
        const phys = (useFar ? 2 ** 40 : 2 ** 52 + 2 ** 40) + d;
        const r = busAddressBig(p, BigInt(phys));
        if (r <= BigInt(Number.MAX_SAFE_INTEGER)) expect(busAddress(p, phys)).toBe(Number(r));
        else expect(() => busAddress(p, phys)).toThrow(/ERANGE/);
      }),
      { numRuns: 300 },
    );
  });

  it("a cursor reads a pending entry with a base and length above 2^32 exactly", () => {
    const memory = new PhysicalMemory({ regions: [{ start: 2 ** 52, size: 2 ** 44, kind: "ram" }] });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 1, max: 2 ** 43 }), (page, len) => {
        const list = new CpuRangeList(memory);
        const phys = 2 ** 52 + page * 4096 + 123;
        list.appendPage(2 ** 40 + page, 123, len);
        const c = list.cursor();
        expect(c.reset()).toBe(true);
        expect([c.phys, c.length]).toEqual([phys, len]);
        list.clear();
      }),
      { numRuns: 200 },
    );
  });
});
