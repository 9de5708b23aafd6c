import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import { buildTestTopology } from "../pci/helpers.js";

const GiB = 2 ** 30;

/** 2 GiB RAM at 0, a hole, 2 GiB RAM at 4 GiB, one reserved page. */
function machine(pageSize = 4096) {
  return new PhysicalMemory({
    pageSize,
    regions: [
      { start: 0, size: 2 * GiB, kind: "ram", name: "System RAM" },
      { start: 3 * GiB, size: 4096, kind: "reserved", name: "IOAPIC" },
      { start: 4 * GiB, size: 2 * GiB, kind: "ram", name: "System RAM" },
    ],
  });
}

describe("PhysicalMemory address map", () => {
  it("accepts 4K, 16K and 64K pages and refuses others", () => {
    expect(new PhysicalMemory().pageSize).toBe(4096);
    for (const ps of [4096, 16384, 65536]) {
      const m = new PhysicalMemory({ pageSize: ps });
      expect(m.pageSize).toBe(ps);
      expect(2 ** m.pageShift).toBe(ps);
    }
    for (const ps of [0, 1000, 2048, 3 * 4096, 2 ** 21])
      expectCode(() => new PhysicalMemory({ pageSize: ps }), "EINVAL");
  });

  it("looks regions up and reports holes", () => {
    const m = machine();
    expect(m.regionOf(0)?.kind).toBe("ram");
    expect(m.regionOf(2 * GiB - 1)?.kind).toBe("ram");
    expect(m.regionOf(2 * GiB)).toBeNull();
    expect(m.regionOf(3 * GiB + 10)?.name).toBe("IOAPIC");
    expect(m.regionOf(5 * GiB)?.start).toBe(4 * GiB);
    expect(m.ramBytes).toBe(4 * GiB);
  });

  it("refuses overlapping and malformed regions without changing the map", () => {
    const m = machine();
    expectCode(() => m.addRegion({ start: GiB, size: 4096, kind: "bar" }), "EINVAL");
    expectCode(() => m.addRegion({ start: 3 * GiB - 4096, size: 8192, kind: "bar" }), "EINVAL");
    expectCode(() => m.addRegion({ start: 7 * GiB, size: 0, kind: "ram" }), "EINVAL");
    expectCode(() => m.addRegion({ start: 2 ** 53, size: 1, kind: "ram" }), "ERANGE");
    expectCode(() => m.addRegion({ start: 7 * GiB, size: 4096, kind: "flash" as "ram" }), "EINVAL");
    expect(m.regions).toHaveLength(3);
    m.addRegion({ start: 2 * GiB, size: 4096, kind: "bar" });
    expect(m.regions.map((r) => r.kind)).toEqual(["ram", "bar", "reserved", "ram"]);
  });
});

describe("PhysicalMemory folios", () => {
  it("gives every whole RAM page an order-0 folio and nothing else a folio", () => {
    const m = new PhysicalMemory({ regions: [{ start: 0x1000, size: 0x9_ec00, kind: "ram" }] });
    expect(m.folioOf(1)).toEqual({ pfn: 1, order: 0, nrPages: 1, pgmap: null });
    expect(m.folioOf(0x9e)).not.toBeNull();
    expect(m.folioOf(0x9f)).toBeNull(); // 0x9f000-0x9fbff is RAM, the page's tail is not
    expect(m.folioOf(0)).toBeNull();
    expect(m.folioHead(0)).toBe(-1);
    expect(m.pgmapIdOf(5)).toBe(0);
    expect(m.pgmapIdOf(0x200)).toBe(-1);
  });

  it("declares naturally aligned folios and finds them from any of their pages", () => {
    const m = machine();
    const thp = m.declareFolio(0x200, 9);
    expect(thp).toEqual({ pfn: 0x200, order: 9, nrPages: 512, pgmap: null });
    expect(m.folioOf(0x200)).toBe(thp);
    expect(m.folioOf(0x3ff)).toBe(thp);
    expect(m.folioOf(0x400)).toMatchObject({ pfn: 0x400, order: 0 });
    expect(m.folioOf(0x1ff)).toMatchObject({ pfn: 0x1ff, order: 0 });
    expect(m.folioHead(0x2ab)).toBe(0x200);
    expect(m.folioOrder(0x200)).toBe(9);
    expect(m.folioSize(thp)).toBe(2 * 2 ** 20);
    expect(m.nextFolio(thp)).toMatchObject({ pfn: 0x400, order: 0 });
    const small = m.declareFolio(0x400, 2);
    expect(m.nextFolio(thp)).toBe(small);
    expect(m.nextFolio(m.folioOf(0x1ff)!)).toBe(thp);
    expect(m.declaredFolios).toBe(2);
  });

  it("refuses misaligned, overlapping, unbacked or straddling folios and changes nothing", () => {
    const m = machine();
    m.declareFolio(0x200, 9);
    expectCode(() => m.declareFolio(0x202, 1), "EBUSY");
    expectCode(() => m.declareFolio(0x300, 8), "EBUSY");
    expectCode(() => m.declareFolio(0, 10), "EBUSY"); // contains the 0x200 folio
    expectCode(() => m.declareFolio(0x101, 1), "EINVAL");
    expectCode(() => m.declareFolio(0x80000, 1), "EINVAL"); // 2 GiB: hole
    expectCode(() => m.declareFolio(0x7ffff, 0), "EINVAL");
    expectCode(() => m.declareFolio(0, 31), "EINVAL");
    expectCode(() => m.declareFolio(0.5, 1), "ERANGE");
    expect(m.declaredFolios).toBe(1);
    expect(m.folioOf(0x100)).toMatchObject({ order: 0 });
  });

  it("splits a declared folio back into pages", () => {
    const m = machine();
    const f = m.declareFolio(0x1000, 4);
    m.splitFolio(f);
    expect(m.folioOf(0x1003)).toMatchObject({ pfn: 0x1003, order: 0 });
    expectCode(() => m.splitFolio(f), "EINVAL");
    m.declareFolio(0x1000, 3);
    expect(m.folioHead(0x1007)).toBe(0x1000);
  });

  it("finds folios among many declared ones like a reference scan", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(4000), fc.integer({ min: 1, max: 6 })), { maxLength: 40 }),
        fc.array(fc.nat(4200), { maxLength: 50 }),
        (decls, probes) => {
          const m = machine();
          const ref: { pfn: number; nr: number }[] = [];
          for (const [p, order] of decls) {
            const nr = 2 ** order;
            const pfn = p - (p % nr);
            const clash = ref.some((f) => f.pfn < pfn + nr && pfn < f.pfn + f.nr);
            if (clash) expectCode(() => m.declareFolio(pfn, order), "EBUSY");
            else {
              m.declareFolio(pfn, order);
              ref.push({ pfn, nr });
            }
          }
          for (const q of probes) {
            const f = ref.find((r) => r.pfn <= q && q < r.pfn + r.nr);
            expect(m.folioHead(q)).toBe(f ? f.pfn : q);
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it("works in 64K pages", () => {
    const m = machine(65536);
    expect(m.folioOf((4 * GiB) / 65536)).toMatchObject({ pfn: 0x10000 });
    expect(m.folioOf((2 * GiB) / 65536)).toBeNull();
    const f = m.declareFolio(0x20, 5); // 2 MiB of 64K pages
    expect(m.folioSize(f)).toBe(2 * 2 ** 20);
  });
});

describe("PhysicalMemory P2P pages", () => {
  it("gives a provider's BAR ZONE_DEVICE pages with its pgmap", () => {
    const { gpu, nvme } = buildTestTopology();
    const m = machine();
    const bar2 = gpu.p2pProvider(2);
    m.declareFolio(0x200, 9);
    m.addRegion({ start: 0x40_0000_0000, size: 0x1000_0000, kind: "bar", name: "no pages" });
    expect(m.hasPgmaps).toBe(false); // folios and plain BARs make no pgmap
    const pm = m.addP2pMemory(bar2);
    expect(m.hasPgmaps).toBe(true);
    expect(pm).toMatchObject({
      id: 1,
      startPfn: 0x38_0000_0000 / 4096,
      nrPages: 0x1000_0000 / 4096,
      provider: bar2,
    });
    expect(m.regionOf(0x38_0000_0000)).toMatchObject({ kind: "bar", name: "0000:03:00.0 BAR2" });
    const f = m.folioOf(pm.startPfn + 7)!;
    expect(f.pgmap).toBe(pm);
    expect(f.pgmap?.provider).toBe(bar2);
    expect(m.pgmapIdOf(pm.startPfn)).toBe(1);
    expect(m.pgmapOf(pm.startPfn + pm.nrPages)).toBeNull();
    expect(m.registerProvider(bar2)).toBe(1);
    expect(m.providerById(1)).toBe(bar2);
    const big = m.declareFolio(pm.startPfn, 9);
    expect(big.pgmap).toBe(pm);

    const cmb = nvme.p2pProvider(2);
    const pm2 = m.addP2pMemory(cmb, { offset: 0x8_0000 });
    expect(pm2).toMatchObject({ id: 2, nrPages: 0x80 });
    expect(m.folioOf(0x38_1000_0000 / 4096)).toBeNull(); // first half of the CMB was not added
    expect(m.registerProvider(cmb)).toBe(2);
    expect(m.rangePgmapId(pm2.startPfn, 0x80)).toBe(2);
    expect(m.rangePgmapId(pm2.startPfn, 0x81)).toBe(-1);
  });

  it("refuses misaligned, overlapping and out-of-BAR ranges", () => {
    const { gpu } = buildTestTopology();
    const m = machine();
    const p = gpu.p2pProvider(2);
    expectCode(() => m.addP2pMemory(p, { offset: 0x800 }), "EINVAL");
    expectCode(() => m.addP2pMemory(p, { size: 0 }), "EINVAL");
    expectCode(() => m.addP2pMemory(p, { offset: 0x1000, size: 0x1000_0000 }), "EINVAL");
    expect(m.hasPgmaps).toBe(false); // refused: nothing added
    m.addP2pMemory(p, { size: 0x10_0000 });
    expectCode(() => m.addP2pMemory(p, { offset: 0xf_f000, size: 0x2000 }), "EBUSY");
    const inRam = new PhysicalMemory({ regions: [{ start: 0x38_0000_0000, size: GiB, kind: "ram" }] });
    expectCode(() => inRam.addP2pMemory(p), "EINVAL");
    expect(inRam.pgmapIdOf(0x38_0000_0000 / 4096)).toBe(0);
  });

  it("refuses a folio that straddles RAM and device pages", () => {
    const { gpu } = buildTestTopology();
    const m = new PhysicalMemory({ regions: [{ start: 0x37_f000_0000, size: 0x1000_0000, kind: "ram" }] });
    m.addP2pMemory(gpu.p2pProvider(2));
    expectCode(() => m.declareFolio(0x38_0000_0000 / 4096 - 2, 2), "EINVAL");
  });
});

describe("PhysicalMemory bytes", () => {
  it("reads back what was written, zeros elsewhere, and only touches written pages", () => {
    const m = machine();
    const data = Uint8Array.from({ length: 10000 }, (_, i) => (i * 7 + 3) & 0xff);
    m.write(0x1ff0, data);
    expect(m.touchedPages).toBe(4); // 0x1000..0x4fff
    const out = new Uint8Array(10020);
    m.read(0x1fe6, out);
    expect(out.subarray(0, 10)).toEqual(new Uint8Array(10));
    expect(out.subarray(10, 10010)).toEqual(data);
    expect(out.subarray(10010)).toEqual(new Uint8Array(10));
  });

  it("refuses holes and reserved ranges with EFAULT and copies nothing", () => {
    const m = machine();
    const out = new Uint8Array(16).fill(0xee);
    expectCode(() => m.read(2 * GiB - 8, out), "EFAULT");
    expect(out).toEqual(new Uint8Array(16).fill(0xee));
    expectCode(() => m.write(2 * GiB - 8, new Uint8Array(16).fill(1)), "EFAULT");
    expect(m.touchedPages).toBe(0);
    expectCode(() => m.write(3 * GiB, new Uint8Array(1)), "EFAULT");
    expectCode(() => m.read(-1, out), "ERANGE");
    expect(m.isAccessible(2 * GiB - 8, 8)).toBe(true);
    expect(m.isAccessible(2 * GiB - 8, 9)).toBe(false);
    expect(m.isAccessible(2 * GiB, 0)).toBe(true);
  });

  it("stores BAR memory too, across adjacent regions", () => {
    const m = new PhysicalMemory({
      regions: [
        { start: 0, size: 0x4000, kind: "ram" },
        { start: 0x4000, size: 0x4000, kind: "bar" },
      ],
    });
    m.write(0x3ffe, Uint8Array.of(1, 2, 3, 4));
    const out = new Uint8Array(4);
    m.read(0x3ffe, out);
    expect([...out]).toEqual([1, 2, 3, 4]);
  });

  it("matches a byte-map model under random writes and reads", () => {
    const ps = 4096;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(6 * ps), fc.uint8Array({ minLength: 0, maxLength: 3 * ps })), {
          maxLength: 12,
        }),
        fc.nat(6 * ps),
        fc.nat(3 * ps),
        (writes, at, len) => {
          const m = new PhysicalMemory({ regions: [{ start: 0, size: 10 * ps, kind: "ram" }] });
          const model = new Map<number, number>();
          for (const [phys, bytes] of writes) {
            m.write(phys, bytes);
            bytes.forEach((b, i) => {
              model.set(phys + i, b);
            });
          }
          const out = new Uint8Array(len);
          m.read(at, out);
          const expected = Uint8Array.from({ length: len }, (_, i) => model.get(at + i) ?? 0);
          expect(out).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});
