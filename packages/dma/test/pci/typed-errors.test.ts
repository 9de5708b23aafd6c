/**
 * Issue 12 item 11, PCI part: wrong-typed input to the PCI builders and readers is an RlistError
 * (never a TypeError or a raw ENOENT), and a failing call leaves nothing behind.
 */
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { pciTopologyFromJson } from "../../src/pci/json.js";
import { busAddress, busAddressBig } from "../../src/pci/p2p-provider.js";
import { pciTopologyFromSysfs } from "../../src/pci/sysfs.js";
import { PciTopology } from "../../src/pci/topology.js";

const json = (fn: Record<string, unknown>) => ({
  hostBridges: [{ children: [{ bdf: "0000:00:01.0", ...fn }] }],
});

describe("PCI input of the wrong type is an RlistError (issue 12 item 11)", () => {
  it("pciTopologyFromJson: acs null, bars [null], bars not an array, a Symbol bdf", () => {
    expectCode(() => pciTopologyFromJson(json({ acs: null })), "EINVAL");
    expectCode(() => pciTopologyFromJson(json({ bars: [null] })), "EINVAL");
    expectCode(() => pciTopologyFromJson(json({ bars: [42] })), "EINVAL");
    expectCode(
      () => pciTopologyFromJson(json({ bars: [{ index: 0, cpuAddress: Symbol("a"), size: 16 }] })),
      "EINVAL",
    );
    expectCode(
      () => pciTopologyFromJson(json({ bars: [{ index: 0, cpuAddress: 0, size: 16, is64: "yes" }] })),
      "EINVAL",
    );
    expectCode(() => pciTopologyFromJson(json({ acs: Symbol("acs") })), "EINVAL");
    expectCode(
      () => pciTopologyFromJson({ hostBridges: [{ children: [{ bdf: Symbol("b") }] }] } as never),
      "EINVAL",
    );
    expectCode(() => pciTopologyFromJson({ hostBridges: [{ domain: Symbol("d") }] } as never), "EINVAL");
    expectCode(() => pciTopologyFromJson(null as never), "EINVAL");
    expectCode(() => pciTopologyFromJson(42 as never), "EINVAL");
  });

  it("pciTopologyFromSysfs on a missing directory: EINVAL with the ENOENT attached as the cause", () => {
    const err = expectCode(() => pciTopologyFromSysfs("/nonexistent/sys/bus/pci/devices"), "EINVAL");
    expect((err.cause as { code?: string }).code).toBe("ENOENT");
    expect(err.message).toMatch(/ENOENT/);
    expectCode(() => pciTopologyFromSysfs(42 as never), "EINVAL");
    expectCode(() => pciTopologyFromSysfs("/nonexistent", { busAddress: 7 as never }), "EINVAL");
  });

  it("busAddress / busAddressBig with the other number type, NaN or a Symbol", () => {
    const topo = new PciTopology();
    const gpu = topo.addFunction(topo.addHostBridge(), {
      bdf: "0000:00:01.0",
      bars: [{ index: 0, cpuAddress: 0x1000_0000, size: 0x1000_0000, is64: true }],
    });
    const p = gpu.p2pProvider(0);
    expect(busAddressBig(p, 0x1000_0000n)).toBe(0x1000_0000n);
    expectCode(() => busAddressBig(p, 5 as never), "EINVAL");
    expectCode(() => busAddressBig(p, Symbol("x") as never), "EINVAL");
    expectCode(() => busAddress(p, 5n as never), "EINVAL");
    expectCode(() => busAddress(p, Number.NaN), "ERANGE");
    expectCode(() => busAddress(null as never, 0x1000_0000), "EINVAL");
    expectCode(() => busAddressBig({} as never, 0x1000_0000n), "EINVAL");
  });
});
