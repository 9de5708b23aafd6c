/**
 * Issue 12 item 4: the two-step API (dma_iova_* in drivers/iommu/dma-iommu.c) refuses misuse that
 * the kernel would turn into pages left mapped with their IOVA free for reuse: a free with links
 * still in place, a destroy shorter than what is linked, an unlink of something never linked, a
 * state the library did not make.
 */
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import {
  type IovaState,
  iovaAlloc,
  iovaDestroy,
  iovaFree,
  iovaLink,
  iovaSync,
  iovaUnlink,
} from "../../src/mapping/two-step.js";

const G = 0x1000;

function setup() {
  const iommu = new IommuDomain();
  const dev = new DmaDevice({ name: "nvme", iommu });
  return { iommu, dev };
}

/** Everything an observer can see of the domain. */
const look = (iommu: IommuDomain) =>
  JSON.stringify([iommu.pageTable.leaves(), iommu.iovad.ranges(), iommu.iovad.outstandingGranules]);

describe("two-step DMA API misuse (issue 12 item 4)", () => {
  it("iovaFree with links still in place is EBUSY and changes nothing", () => {
    const { iommu, dev } = setup();
    const s = iovaAlloc(dev, 4 * G, 0)!;
    iovaLink(dev, s, 0x10_0000, G, G, "to-device");
    const before = look(iommu);
    expectCode(() => iovaFree(dev, s), "EBUSY");
    expect(look(iommu)).toBe(before);
    expect(s.live).toBe(true);
    iovaUnlink(dev, s, G, G, "to-device");
    iovaFree(dev, s);
    expect(iommu.idle).toBe(true);
  });

  it("iovaDestroy shorter than what is linked is EBUSY (the kernel would leave the rest mapped)", () => {
    const { iommu, dev } = setup();
    const s = iovaAlloc(dev, 4 * G, 0)!;
    iovaLink(dev, s, 0x10_0000, 0, 2 * G, "to-device");
    iovaLink(dev, s, 0x30_0000, 2 * G, 2 * G, "to-device");
    const before = look(iommu);
    expectCode(() => iovaDestroy(dev, s, 2 * G, "to-device"), "EBUSY");
    expectCode(() => iovaDestroy(dev, s, 0, "to-device"), "EBUSY");
    expect(look(iommu)).toBe(before);
    iovaDestroy(dev, s, 4 * G, "to-device");
    expect(iommu.idle).toBe(true);
    expectCode(() => iovaDestroy(dev, s, 4 * G, "to-device"), "EBUSY"); // use after destroy
  });

  it("iovaDestroy over holes that were unlinked is fine: only what is linked is unmapped", () => {
    const { iommu, dev } = setup();
    const s = iovaAlloc(dev, 3 * G, 0)!;
    for (let i = 0; i < 3; i++) iovaLink(dev, s, 0x10_0000 + i * 0x10_0000, i * G, G, "from-device");
    iovaUnlink(dev, s, G, G, "from-device");
    iovaDestroy(dev, s, 3 * G, "from-device");
    expect(iommu.idle).toBe(true);
  });

  it("iovaUnlink of a range that is not (wholly) linked is EINVAL and changes nothing", () => {
    const { iommu, dev } = setup();
    const s = iovaAlloc(dev, 4 * G, 0)!;
    expectCode(() => iovaUnlink(dev, s, 0, G, "to-device"), "EINVAL");
    iovaLink(dev, s, 0x10_0000, 0, G, "to-device");
    const before = look(iommu);
    expectCode(() => iovaUnlink(dev, s, 0, 2 * G, "to-device"), "EINVAL");
    expectCode(() => iovaUnlink(dev, s, G, G, "to-device"), "EINVAL");
    expect(look(iommu)).toBe(before);
    iovaUnlink(dev, s, 0, G, "to-device");
    expectCode(() => iovaUnlink(dev, s, 0, G, "to-device"), "EINVAL"); // twice
    iovaFree(dev, s);
    expect(iommu.idle).toBe(true);
  });

  it("a hand-made or copied state is refused (EINVAL): the state object is the library's own", () => {
    const { iommu, dev } = setup();
    const real = iovaAlloc(dev, 2 * G, 0)!;
    const forged = { addr: 0x4000_0000, size: 0x10_0000, pad: 0, live: true } as unknown as IovaState;
    const copy = { ...real } as IovaState;
    const proto = Object.create(Object.getPrototypeOf(real)) as IovaState;
    for (const s of [forged, copy, proto, null, undefined, 42, Symbol("s")] as unknown as IovaState[]) {
      expectCode(() => iovaLink(dev, s, 0x10_0000, 0, G, "to-device"), "EINVAL");
      expectCode(() => iovaUnlink(dev, s, 0, G, "to-device"), "EINVAL");
      expectCode(() => iovaSync(dev, s, 0, G), "EINVAL");
      expectCode(() => iovaDestroy(dev, s, G, "to-device"), "EINVAL");
      expectCode(() => iovaFree(dev, s), "EINVAL");
    }
    expect(iommu.mappedPages).toBe(0);
    // A state belongs to the device that allocated it.
    const other = new DmaDevice({ iommu });
    expectCode(() => iovaLink(other, real, 0x10_0000, 0, G, "to-device"), "EINVAL");
    iovaFree(dev, real);
    expect(iommu.idle).toBe(true);
  });

  it("links outside the window, and malformed arguments, are EINVAL with nothing mapped", () => {
    const { iommu, dev } = setup();
    const s = iovaAlloc(dev, 2 * G, 0x200)!;
    for (const [phys, off, len] of [
      [0x10_0000, 2 * G, 1], // past the end
      [0x10_0000, G, 2 * G], // runs past the end
      [0x10_0000, -G, G],
      [0x10_0000, Number.NaN, G],
      [0x10_0000, 0, 0.5],
      [Number.NaN, 0, G],
      [-1, 0, G],
    ] as const) {
      expect(() => iovaLink(dev, s, phys, off, len, "to-device")).toThrow(/EINVAL|ERANGE/);
    }
    expectCode(() => iovaLink(dev, s, 0x10_0200, 0, G, "sideways" as never), "EINVAL");
    expect(iommu.mappedPages).toBe(0);
    iovaFree(dev, s);
    expect(iommu.idle).toBe(true);
  });
});
