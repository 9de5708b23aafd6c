import { describe, expect, it } from "vitest";
import { IommuDomain, SZ_1G, SZ_2M, SZ_4K } from "../../src/iommu/iommu-domain.js";
import { IOMMU_READ } from "../../src/iommu/page-table.js";

describe("IommuDomain", () => {
  it("IOMMU-SG-1 allocation: 3 pages below 4 GiB land at 0xFFFFC000", () => {
    const d = new IommuDomain();
    const state = { pci32BitWorkaround: true };
    expect(d.allocIova(0x3000, 2 ** 48 - 1, state)).toBe(0xffffc000);
    expect(d.counters.iovaAllocs).toBe(1);
  });

  it("falls back above 4 GiB once the 32-bit space is exhausted and clears the workaround", () => {
    const d = new IommuDomain({ apertureEnd: 2 ** 36 - 1 });
    const state = { pci32BitWorkaround: true };
    expect(d.allocIova(2 ** 31, 2 ** 36 - 1, state)).toBe(2 ** 31);
    // 0x8000_0000 more bytes do not fit in [4K, 2 GiB) below 4 GiB.
    expect(d.allocIova(2 ** 31, 2 ** 36 - 1, state)).toBe(2 ** 36 - 2 ** 31);
    expect(state.pci32BitWorkaround).toBe(false);
    // Without the workaround, allocations go top-down from the limit.
    expect(d.allocIova(SZ_4K, 2 ** 36 - 1, state)).toBe(2 ** 36 - 2 ** 31 - SZ_4K);
  });

  it("a 32-bit DMA limit caps the allocation; exhaustion is ENOMEM", () => {
    const d = new IommuDomain({ rcache: false });
    expect(d.allocIova(2 ** 31, 0xffff_ffff)).toBe(2 ** 31);
    expect(() => d.allocIova(2 ** 31, 0xffff_ffff)).toThrow(/ENOMEM/);
  });

  it("counts maps, syncs, leaves per size and page-table pages; idle after unmap + free", () => {
    const d = new IommuDomain();
    expect(d.pageSizes).toBe(SZ_4K + SZ_2M + SZ_1G);
    const iova = d.allocIova(2 * SZ_2M, 2 ** 48 - 1);
    d.map(iova, 0x4000_0000, SZ_2M + SZ_4K, IOMMU_READ);
    expect(d.mappedPagesBySize()).toEqual({ [SZ_2M]: 1, [SZ_4K]: 1 });
    expect(d.mappedPages).toBe(2);
    expect(d.counters.iotlbSyncs).toBe(1);
    expect(d.translate(iova + SZ_2M + 0x10)).toBe(0x4000_0000 + SZ_2M + 0x10);
    expect(d.protectionOf(iova)).toBe(IOMMU_READ);
    expect(d.idle).toBe(false);
    expect(d.unmap(iova, SZ_2M + SZ_4K)).toBe(SZ_2M + SZ_4K);
    expect(d.counters.iotlbSyncs).toBe(2);
    d.freeIova(iova, 2 * SZ_2M);
    expect(d.idle).toBe(true);
    expect(d.pageTablePages).toBe(1);
  });

  it("validates page sizes", () => {
    expect(() => new IommuDomain({ pageSizes: SZ_2M })).toThrow(/EINVAL/);
    expect(() => new IommuDomain({ pageSizes: SZ_4K + 0x10000 })).toThrow(/EOPNOTSUPP/);
    const d = new IommuDomain({ pageSizes: SZ_4K });
    d.map(0, 0, SZ_2M, IOMMU_READ);
    expect(d.mappedPagesBySize()).toEqual({ [SZ_4K]: 512 });
  });

  it("keeps reserved regions out of the IOVA space", () => {
    const d = new IommuDomain({ reservedRegions: [[0xfee0_0000, 0xfeef_ffff]], rcache: false });
    const a = d.allocIova(0x100_0000, 0xffff_ffff);
    expect(a).toBe(0xff00_0000);
    expect(d.allocIova(0x100_0000, 0xffff_ffff)).toBe(0xfd00_0000);
  });
});

describe("gather-based unmap: a bad gather or flush-queue entry changes nothing", () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return (err as { code?: string }).code ?? String(err);
    }
    return "returned";
  };
  const throwing = new Proxy(
    {},
    {
      get() {
        throw new Error("caller's getter");
      },
    },
  );

  it("unmapFast, iotlbSync and dmaFreeIova check the gather before clearing a PTE or freeing IOVA", () => {
    const d = new IommuDomain({ strict: false });
    const iova = d.allocIova(SZ_4K, 2 ** 48 - 1);
    d.map(iova, 0x10_0000, SZ_4K, IOMMU_READ);
    const good = d.gatherInit();
    for (const bad of [null, Number.NaN, { ...good, start: Number.NaN }, { ...good, queued: 1 }])
      for (const call of [
        () => d.unmapFast(iova, SZ_4K, bad as never),
        () => d.iotlbSync(bad as never),
        () => d.dmaFreeIova(iova, SZ_4K, bad as never),
      ])
        expect(["EINVAL", "ERANGE"]).toContain(code(call));
    expect(() => d.unmapFast(iova, SZ_4K, throwing as never)).toThrow("caller's getter");
    expect(d.mappedPages).toBe(1);
    expect(d.flushQueue?.queuedGranules).toBe(0);
    expect(d.unmapFast(iova, SZ_4K, good)).toBe(SZ_4K);
    d.dmaFreeIova(iova, SZ_4K, good);
    expect(d.flushQueue?.queuedGranules).toBe(1);
  });

  it("dmaFreeIova of a gather marked queued on a strict domain (no flush queue) is EINVAL, the IOVA kept", () => {
    const d = new IommuDomain();
    const iova = d.allocIova(SZ_4K, 2 ** 48 - 1);
    expect(code(() => d.dmaFreeIova(iova, SZ_4K, { ...d.gatherInit(), queued: true }))).toBe("EINVAL");
    d.freeIova(iova, SZ_4K);
    expect(d.idle).toBe(true);
  });

  it("IovaFlushQueue#queue checks pfn, pages and bytes before it frees or flushes anything", () => {
    const d = new IommuDomain({ strict: false });
    const fq = d.flushQueue!;
    for (const bad of [Number.NaN, -1, 1n, Symbol("x"), 0.5]) {
      expect(["EINVAL", "ERANGE"]).toContain(code(() => fq.queue(bad as never, 1, 0)));
      expect(["EINVAL", "ERANGE"]).toContain(code(() => fq.queue(0x100, bad as never, 0)));
    }
    expect(code(() => fq.queue(throwing as never, 1, 0))).toBe("EINVAL");
    expect(fq.queuedGranules).toBe(0);
    expect(fq.timerPending).toBe(false);
  });
});
