/**
 * End to end: bio -> split to queue limits -> mapRequest -> DMA engine through the device's view ->
 * unmap -> read back through the CPU range list. Random bios over RAM and P2P memory, random
 * devices (IOMMU, direct, direct with offset, swiotlb bounce), both directions.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Bio, bioToCpuRangeList, DmaEngine, mapRequest, type QueueLimitsInit } from "../src/index.js";
import { type DeviceKind, GPU_BAR, machine, nvmeDevice, SSD_BAR } from "./machine.js";
import { firstDifference } from "./model.js";

type MemKind = "ram-low" | "ram-high" | "gpu" | "ssd";
const BASE: Record<MemKind, number> = {
  "ram-low": 0x20_0000,
  "ram-high": 0x200_0000,
  gpu: GPU_BAR,
  ssd: SSD_BAR,
};
const SPAN = 0x10_0000;

const LIMITS: Record<string, QueueLimitsInit> = {
  none: { maxSectors: 4096, maxSegments: 1024 },
  nvme: { virtBoundaryMask: 0xfff, maxSectors: 256, maxSegments: 64 },
  small: { maxSegmentSize: 8192, segBoundaryMask: 0xffff, maxSectors: 64, maxSegments: 8 },
};

const arbCase = fc
  .record({
    device: fc.constantFrom<DeviceKind>("iommu", "direct", "offset", "bounce"),
    mem: fc.constantFrom<MemKind>("ram-low", "ram-high", "gpu", "ssd"),
    limits: fc.constantFrom("none", "nvme", "small"),
    dir: fc.constantFrom("from-device", "to-device", "bidirectional") as fc.Arbitrary<
      "from-device" | "to-device" | "bidirectional"
    >,
    // [gap in 512-byte units (0 = contiguous), length in 512-byte units, extra pages folded into the offset]
    vecs: fc.array(
      fc.tuple(fc.oneof(fc.constant(0), fc.nat(40)), fc.integer({ min: 1, max: 40 }), fc.nat(2)),
      {
        minLength: 1,
        maxLength: 10,
      },
    ),
    seed: fc.integer(),
  })
  // A 24-bit device reaches neither BAR: bounce only ever sees RAM.
  .filter((c) => c.device !== "bounce" || c.mem === "ram-low" || c.mem === "ram-high");

describe("end to end through the DMA engine", () => {
  it("data written or read by the device is exactly the bio's bytes", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const m = machine({ hostBridgeP2p: "allowed" });
        const dev = nvmeDevice(m, c.device);
        const engine = new DmaEngine(m.memory);
        const vecs: { page: number; offset: number; len: number }[] = [];
        let at = BASE[c.mem] + 0x1000;
        for (const [gap, len, extra] of c.vecs) {
          const start = at + gap * 512;
          if (start + len * 512 > BASE[c.mem] + SPAN) break;
          const page = Math.floor(start / 4096);
          const j = Math.min(extra, page);
          vecs.push({ page: page - j, offset: (start % 4096) + j * 4096, len: len * 512 });
          at = start + len * 512;
        }
        const total = vecs.reduce((s, v) => s + v.len, 0);
        const data = new Uint8Array(total);
        for (let i = 0; i < total; i++) data[i] = (i * 131 + c.seed) >>> 3;
        const cpu = bioToCpuRangeList(m.memory, Bio.fromVecs(vecs, { pgmaps: m.memory })).list;
        if (c.dir !== "from-device") cpu.copyFrom(data, 0);

        const bio = Bio.fromVecs(vecs, { pgmaps: m.memory, op: c.dir === "from-device" ? "READ" : "WRITE" });
        const lim = LIMITS[c.limits]!;
        let pos = 0;
        for (const part of bio.splitAll(lim)) {
          const rq = mapRequest(dev, part, { direction: c.dir, limits: lim });
          expect(rq.length).toBe(part.size);
          if (c.mem === "gpu") expect(rq.p2p).toBe("BUS_ADDR");
          if (c.mem === "ssd") expect(rq.p2p).toBe("THRU_HOST_BRIDGE");
          if (c.device === "iommu" && c.limits === "nvme" && c.mem !== "gpu") expect(rq.segments).toBe(1);
          const slice = data.subarray(pos, pos + part.size);
          if (c.dir === "to-device") {
            expect(firstDifference(engine.read(dev, rq), slice)).toBe(-1);
          } else {
            engine.write(dev, rq, slice);
          }
          rq.unmap();
          pos += part.size;
        }
        expect(pos).toBe(total);
        const back = new Uint8Array(total);
        cpu.copyTo(back, 0);
        expect(firstDifference(back, data)).toBe(-1);
        // Nothing stays mapped or bounced.
        if (dev.iommu) expect(dev.iommu.idle).toBe(true);
        if (dev.swiotlb) expect(dev.swiotlb.usedSlots).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
