import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { type PciTopologyJson, pciTopologyFromJson, pciTopologyToJson } from "../../src/pci/json.js";
import { p2pMapType } from "../../src/pci/p2p-map.js";
import { buildTestTopology } from "./helpers.js";

const SERVER: PciTopologyJson = {
  cpuSupportsP2p: false,
  hostBridges: [
    {
      domain: 0,
      bus: 0,
      children: [
        { bdf: "0000:00:00.0", vendor: "0x8086", device: "0x2020", classCode: "0x060000" },
        {
          bdf: "0000:00:01.0",
          type: "root-port",
          vendor: "0x8086",
          device: "0x2030",
          acs: { requestRedirect: true, completionRedirect: true },
          children: [
            {
              bdf: "0000:01:00.0",
              type: "upstream-port",
              children: [
                {
                  bdf: "0000:02:08.0",
                  type: "downstream-port",
                  children: [
                    {
                      bdf: "0000:03:00.0",
                      vendor: 0x10de,
                      classCode: 0x030200,
                      bars: [
                        {
                          index: 1,
                          cpuAddress: "0x388000000000",
                          busAddress: "0x388000000000",
                          size: "0x1000000000",
                          is64: true,
                          prefetchable: true,
                        },
                      ],
                    },
                  ],
                },
                {
                  bdf: "0000:02:10.0",
                  type: "downstream-port",
                  acs: "0x000c",
                  children: [{ bdf: "0000:04:00.0", classCode: "0x010802" }],
                },
              ],
            },
          ],
        },
      ],
    },
  ],
};

describe("PCI topology JSON", () => {
  it("builds a topology from a description", () => {
    const topo = pciTopologyFromJson(SERVER);
    const gpu = topo.get("0000:03:00.0");
    expect(gpu.bar(1).sizeBig).toBe(0x10_0000_0000n);
    expect(topo.get("0000:02:10.0").acsRedirect).toBe(true);
    expect(topo.get("0000:00:01.0").acsControl).toBe(0xc);
    expect(topo.hostBridges[0]!.p2p).toBe("allowed"); // 8086:2020 at 00.0 is on the allow-list
    expect(p2pMapType(gpu.p2pProvider(1), topo.get("0000:04:00.0"))).toBe("THRU_HOST_BRIDGE");
  });

  it("round-trips through its JSON form, also as text", () => {
    const { topo } = buildTestTopology({ p2p: "same-host-bridge", busOffset: -0x30_0000_0000n });
    const json = pciTopologyToJson(topo);
    const again = pciTopologyFromJson(JSON.stringify(json));
    expect(pciTopologyToJson(again)).toEqual(json);
    expect(again.get("0000:03:00.0").bar(2).busAddressBig).toBe(0x8_0000_0000n);
    expect(again.hostBridges[0]!.p2pOverride).toBe("same-host-bridge");
    expect(again.hostBridges[1]!.p2pOverride).toBe("denied");
  });

  it("refuses malformed descriptions", () => {
    const bad: unknown[] = [
      "{",
      "[]",
      { hostBridges: {} },
      { hostBridges: [], cpuSupportsP2p: "yes" },
      { hostBridges: [], extra: 1 },
      { hostBridges: [{ children: [{ bdf: "0000:00:01.0", colour: "red" }] }] },
      { hostBridges: [{ children: [{ bdf: 5 }] }] },
      { hostBridges: [{ children: [{ bdf: "0000:00:01.0", vendor: "8086" }] }] },
      { hostBridges: [{ children: [{ bdf: "0000:00:01.0", bars: {} }] }] },
      { hostBridges: [{ children: {} }] },
      { hostBridges: [{ p2p: "sometimes" }] },
      { hostBridges: [{ children: [{ bdf: "0000:00:01.0", children: [{ bdf: "0000:01:00.0" }] }] }] },
    ];
    for (const b of bad) expectCode(() => pciTopologyFromJson(b as PciTopologyJson), "EINVAL");
  });

  it("round-trips random trees", () => {
    // A random tree: each bridge gets a fresh bus; functions have random ACS and BARs.
    const fnArb = (depth: number): fc.Arbitrary<FnSpec> =>
      fc.record({
        bridge: fc.boolean(),
        acs: fc.option(fc.integer({ min: 0, max: 0x7f }), { nil: undefined }),
        bar: fc.option(fc.bigInt({ min: 1n, max: 0xffff_ffffn }), { nil: undefined }),
        children: depth > 0 ? fc.array(fnArb(depth - 1), { maxLength: 3 }) : fc.constant([]),
      });
    fc.assert(
      fc.property(fc.array(fnArb(3), { minLength: 1, maxLength: 4 }), (roots) => {
        let nextBus = 1;
        const toJson = (
          f: FnSpec,
          bus: number,
          dev: number,
        ): PciTopologyJson["hostBridges"][number]["children"] => {
          const myBus = f.bridge ? nextBus++ : -1;
          const kids = f.bridge ? f.children.flatMap((c, i) => toJson(c, myBus, i) ?? []) : [];
          return [
            {
              bdf: `0000:${bus.toString(16).padStart(2, "0")}:${dev.toString(16).padStart(2, "0")}.0`,
              type: f.bridge ? "downstream-port" : "endpoint",
              ...(f.acs !== undefined && { acs: f.acs }),
              ...(f.bar !== undefined && {
                bars: [{ index: 0, cpuAddress: f.bar << 12n, size: 0x1000, is64: true }],
              }),
              ...(kids.length > 0 && { children: kids }),
            },
          ];
        };
        const desc: PciTopologyJson = {
          hostBridges: [
            { domain: 0, bus: 0, children: roots.slice(0, 32).flatMap((r, i) => toJson(r, 0, i) ?? []) },
          ],
        };
        const topo = pciTopologyFromJson(desc);
        expect(pciTopologyToJson(pciTopologyFromJson(pciTopologyToJson(topo)))).toEqual(
          pciTopologyToJson(topo),
        );
      }),
      { numRuns: 60 },
    );
  });
});

interface FnSpec {
  bridge: boolean;
  acs: number | undefined;
  bar: bigint | undefined;
  children: FnSpec[];
}
