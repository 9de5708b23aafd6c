/**
 * Issue 12 item 2: freeing IOVA checks the allocator's own record of the allocation (like
 * find_iova() in drivers/iommu/iova.c, and dma-debug's "device driver frees DMA memory with
 * different size" in kernel/dma/debug.c): an unknown address or a size that is not the
 * allocation's is EINVAL and frees nothing, so a later allocation can never overlap a live one.
 */
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { IovaAllocator } from "../../src/iommu/iova-allocator.js";

const LIMIT = 2 ** 48 - 1;

function state(d: IommuDomain) {
  return JSON.stringify([d.iovad.ranges(), d.iovad.outstandingGranules, d.iovad.cachedGranulesCount]);
}

describe("IommuDomain.freeIova checks the allocation (issue 12 item 2)", () => {
  it("freeing 0x20000 at a 0x1000 allocation is EINVAL and a later allocation does not overlap it", () => {
    const d = new IommuDomain();
    const a = d.allocIova(0x1000, LIMIT);
    const before = state(d);
    expectCode(() => d.freeIova(a, 0x20000), "EINVAL");
    expect(state(d)).toBe(before);
    const b = d.allocIova(0x20000, LIMIT);
    expect(b + 0x20000 <= a || b >= a + 0x1000).toBe(true);
    d.freeIova(a, 0x1000);
    d.freeIova(b, 0x20000);
    expect(d.idle).toBe(true);
  });

  it("unknown, mid-allocation, double-freed and malformed addresses and sizes are EINVAL, nothing freed", () => {
    const d = new IommuDomain();
    const a = d.allocIova(0x4000, LIMIT);
    const before = state(d);
    for (const [iova, size] of [
      [a + 0x1000, 0x1000], // inside, not the start
      [a - 0x4000, 0x4000], // never allocated
      [a, 0x8000], // bigger
      [a, 0x1000], // smaller and rounds to another size (1 granule, not 4)
      [Number.NaN, 0x4000],
      [a, Number.NaN],
      [a + 0.5, 0x4000],
      [a, 0x4000 + 0.5],
      [-0x1000, 0x4000],
      [a, -0x4000],
      [a, 0],
      [a + 0x10, 0x4000], // not granule aligned
      [2 ** 53, 0x4000],
    ] as const) {
      expectCode(() => d.freeIova(iova, size), "EINVAL");
      expect(state(d)).toBe(before);
    }
    for (const bad of ["0x1000", 4096n, null, undefined, Symbol("iova"), {}]) {
      expectCode(() => d.freeIova(bad as unknown as number, 0x4000), "EINVAL");
      expectCode(() => d.freeIova(a, bad as unknown as number), "EINVAL");
    }
    expect(state(d)).toBe(before);
    // A size that rounds to the allocation's, as dma_iova_destroy() passes (3 pages of a 4-page
    // window: the order-2 range-cache bin either way), is the allocation's size.
    d.freeIova(a, 0x3000);
    expect(d.iovad.outstandingGranules).toBe(0);
    expectCode(() => d.freeIova(a, 0x4000), "EINVAL"); // double free
  });

  it("IovaAllocator.freeFast parks a range by its real size, never by the caller's", () => {
    const a = new IovaAllocator();
    const p = a.allocFast(1, 0xfffff);
    expectCode(() => a.freeFast(p, 32), "EINVAL");
    expect(a.outstandingGranules).toBe(1);
    a.freeFast(p, 1);
    expect(a.cachedGranulesCount).toBe(1);
    // A 32-granule allocation cannot come from the order-0 bin.
    const q = a.allocFast(32, 0xfffff);
    expect(q + 31 < p || q > p).toBe(true);
  });
});
