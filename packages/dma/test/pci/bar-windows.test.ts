/**
 * The BAR window index behind deviceTranslate(): the same answers as scanning every BAR of the
 * topology in order (nested, duplicate and out-of-range windows included), rebuilt when the
 * topology changes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { deviceTranslate } from "../../src/mapping/device-view.js";
import { barWindows } from "../../src/pci/bar-windows.js";
import { p2pMapType } from "../../src/pci/p2p-map.js";
import { type PciFunction, PciTopology } from "../../src/pci/topology.js";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const hex2 = (n: number) => n.toString(16).padStart(2, "0");

/** The scan deviceTranslate() did before the index: every BAR, topology order, first BUS_ADDR hit. */
function scan(client: PciFunction, dma: number): number {
  const d = BigInt(dma);
  for (const fn of client.topology.functions) {
    for (const bar of fn.bars) {
      const bus = bar.busAddressBig;
      if (d < bus || d >= bus + bar.sizeBig) continue;
      if (p2pMapType(fn.p2pProvider(bar.index), client) !== "BUS_ADDR") continue;
      const phys = bar.cpuAddressBig + (d - bus);
      return phys <= MAX_SAFE ? Number(phys) : -1;
    }
  }
  return -1;
}

/** A BAR: bus window 2^size aligned in a small space (so windows nest and repeat), or a huge one. */
const barArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ shift: fc.integer({ min: 4, max: 14 }), slot: fc.nat(63), cpuHigh: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.constant({ shift: 60, slot: 0, cpuHigh: false }) }, // [0, 2^60): past 2^53
  { weight: 1, arbitrary: fc.constant({ shift: 12, slot: -1, cpuHigh: false }) }, // bus above 2^53
);

type BarSpec = { shift: number; slot: number; cpuHigh: boolean };

/** Endpoints with up to 3 BARs each: some under a switch, some on the root bus. */
function topology(endpoints: BarSpec[][], acs: boolean[]) {
  const topo = new PciTopology();
  const hb = topo.addHostBridge({ p2p: "denied" });
  const sw = topo.addSwitch(topo.addFunction(hb, { bdf: "0000:00:01.0", type: "root-port" }), {
    upstream: "0000:01:00.0",
    downstream: Array.from({ length: 8 }, (_, i) => `0000:02:0${i}.0`),
  });
  const fns: PciFunction[] = [];
  let n = 0;
  endpoints.forEach((bars, i) => {
    const inits = bars.map((b, j) => {
      const size = 2n ** BigInt(b.shift);
      const bus = b.slot < 0 ? 2n ** 54n : BigInt(b.slot % 2 ** Math.max(0, 18 - b.shift)) * size;
      const cpu = (b.cpuHigh ? 2n ** 60n : 2n ** 40n) + BigInt(n++) * 2n ** 32n;
      return { index: 2 * j, cpuAddress: cpu, busAddress: bus, size, is64: true };
    });
    const onSwitch = i % 3 !== 2;
    fns.push(
      onSwitch
        ? topo.addFunction(sw.downstream[i % 8]!, {
            bdf: `0000:${hex2(3 + (i % 8))}:${hex2(i >> 3)}.0`,
            bars: inits,
          })
        : topo.addFunction(hb, { bdf: `0000:00:${hex2(4 + i)}.0`, bars: inits }),
    );
  });
  sw.downstream.forEach((p, i) => {
    if (acs[i]) p.setAcs({ requestRedirect: true });
  });
  return { topo, fns, sw };
}

/** Probes: every window edge (+-1) and some random addresses. */
function probes(topo: PciTopology, random: number[]): number[] {
  const out = [...random.map((r) => r % 2 ** 19), 0, Number.MAX_SAFE_INTEGER];
  for (const fn of topo.functions) {
    for (const bar of fn.bars) {
      for (const edge of [bar.busAddressBig, bar.busAddressBig + bar.sizeBig]) {
        for (const d of [edge - 1n, edge]) if (d >= 0n && d <= MAX_SAFE) out.push(Number(d));
      }
    }
  }
  return out;
}

describe("BarWindows", () => {
  it("answers like the full scan, before and after the topology changes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(barArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 14 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.nat(),
        (endpoints, acs, random, pick) => {
          const { topo, fns, sw } = topology(endpoints, acs);
          const check = () => {
            for (const client of [fns[pick % fns.length]!, fns[0]!]) {
              for (const d of probes(topo, random)) {
                expect(barWindows(topo).peerTarget(d, client)).toBe(scan(client, d));
              }
            }
          };
          check();
          // ACS on a port changes which BARs are BUS_ADDR; a new function adds windows.
          sw.downstream[pick % 8]!.setAcs(acs[pick % 8] ? null : { requestRedirect: true });
          check();
          fns.push(
            topo.addFunction(sw.downstream[(pick + 1) % 8]!, {
              bdf: `0000:${hex2(3 + ((pick + 1) % 8))}:1f.0`,
              bars: [{ index: 0, busAddress: 0n, cpuAddress: 2n ** 45n, size: 2n ** 18n, is64: true }],
            }),
          );
          check();
        },
      ),
      { numRuns: 150 },
    );
  });

  it("is built once per topology generation and shares the functions' providers", () => {
    const { topo, fns } = topology(
      [[{ shift: 12, slot: 1, cpuHigh: false }], [{ shift: 12, slot: 3, cpuHigh: false }]],
      [],
    );
    const ix = barWindows(topo);
    expect(barWindows(topo)).toBe(ix);
    expect(ix.size).toBe(2);
    expect(fns[0]!.p2pProvider(0)).toBe(fns[0]!.p2pProvider(0));
    fns[1]!.setAcs({ requestRedirect: true });
    expect(barWindows(topo)).not.toBe(ix);
    const dev = new DmaDevice({ pci: fns[0]!, iommu: new IommuDomain() });
    // fns[1]'s BAR [0x3000, 0x4000) is under the same switch: peer-to-peer at its CPU address.
    expect(deviceTranslate(dev, 0x3010)).toEqual({ ok: false, fault: "iommu" }); // ACS redirects now
    fns[1]!.setAcs(null);
    expect(deviceTranslate(dev, 0x3010)).toMatchObject({
      ok: true,
      route: "p2p",
      phys: 2 ** 40 + 2 ** 32 + 0x10,
    });
  });
});
