import { describe, expect, it } from "vitest";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { IOMMU_READ, IOMMU_WRITE } from "../../src/iommu/page-table.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { deviceTranslate } from "../../src/mapping/device-view.js";
import { SwiotlbPool } from "../../src/mapping/swiotlb.js";
import { switchTopology } from "./helpers.js";

describe("deviceTranslate", () => {
  it("typed faults: above the mask, not an address, not mapped in the IOMMU", () => {
    const dev32 = new DmaDevice({ dmaMaskBits: 32 });
    expect(deviceTranslate(dev32, 0x1_0000_0000)).toEqual({ ok: false, fault: "mask" });
    expect(deviceTranslate(dev32, -1)).toEqual({ ok: false, fault: "address" });
    expect(deviceTranslate(dev32, 0.5)).toEqual({ ok: false, fault: "address" });
    expect(deviceTranslate(dev32, 0xffff_ffff)).toMatchObject({
      ok: true,
      phys: 0xffff_ffff,
      route: "direct",
    });
    const iommu = new IommuDomain();
    const dev = new DmaDevice({ iommu });
    expect(deviceTranslate(dev, 0x1000)).toEqual({ ok: false, fault: "iommu" });
    iommu.map(0x1000, 0x7000, 0x1000, IOMMU_READ | IOMMU_WRITE);
    expect(deviceTranslate(dev, 0x1abc)).toEqual({
      ok: true,
      phys: 0x7abc,
      route: "iommu",
      backing: 0x7abc,
      prot: 3,
      stale: false,
    });
  });

  it("below the direct-map offset there is no address; swiotlb slots report their backing", () => {
    const pool = new SwiotlbPool({ base: 0x100_0000, size: 0x4_0000 });
    const dev = new DmaDevice({ directOffset: 0x1000, swiotlb: pool });
    expect(deviceTranslate(dev, 0x800)).toEqual({ ok: false, fault: "address" });
    // A free slot: reachable memory, standing for nothing.
    expect(deviceTranslate(dev, 0x100_0000 + 0x1000)).toMatchObject({
      ok: true,
      route: "bounce",
      backing: -1,
    });
    const tlb = pool.map(0x5_0123, 0x10, 0);
    expect(deviceTranslate(dev, tlb + 0x1000 + 4)).toMatchObject({
      ok: true,
      phys: tlb + 4,
      backing: 0x5_0127,
    });
  });

  it("routes a peer BAR's bus window peer-to-peer only when the map type is BUS_ADDR", () => {
    const t = switchTopology();
    const iommu = new IommuDomain();
    const nic = new DmaDevice({ pci: t.nic, iommu });
    expect(deviceTranslate(nic, 0x1_e000_1234)).toMatchObject({ ok: true, phys: 0xe000_1234, route: "p2p" });
    // The SSD's BAR sits behind another root port: through the host bridge, so the IOMMU decides.
    expect(deviceTranslate(nic, 0xd000_0000)).toEqual({ ok: false, fault: "iommu" });
    const redirected = switchTopology({ acsRedirect: true });
    const nic2 = new DmaDevice({ pci: redirected.nic, iommu });
    expect(deviceTranslate(nic2, 0x1_e000_1234)).toEqual({ ok: false, fault: "iommu" });
  });
});
