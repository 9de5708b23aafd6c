import type { RlistErrorCode } from "@rlist/encoding";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { ACS_EGRESS_CONTROL, ACS_SOURCE_VALIDATION, acsControlOf } from "../../src/pci/acs.js";
import { cpuSupportsP2pFromCpuinfo, hostBridgeP2pFor } from "../../src/pci/allowlist.js";
import { bdfKey, formatBdf, parseBdf } from "../../src/pci/bdf.js";
import { PciTopology } from "../../src/pci/topology.js";
import { buildTestTopology } from "./helpers.js";

describe("BDF addresses", () => {
  it("parses and formats like pci_name()", () => {
    expect(parseBdf("0000:3b:00.1")).toEqual({ domain: 0, bus: 0x3b, device: 0, fn: 1 });
    expect(parseBdf("10000:e1:1f.7")).toEqual({ domain: 0x10000, bus: 0xe1, device: 0x1f, fn: 7 });
    expect(formatBdf(parseBdf("03:1F.2"))).toBe("0000:03:1f.2");
    expect(bdfKey(parseBdf("0001:02:03.4"))).toBe((1 << 16) | (2 << 8) | (3 << 3) | 4);
    for (const bad of ["", "0000:00:00", "0000:00:00.8", "0000:00:20.0", "zz:00.0", "0000:000:00.0"]) {
      expectCode(() => parseBdf(bad), "EINVAL");
    }
  });
});

describe("PciTopology from code", () => {
  it("links functions to parents, host bridges and children in devfn order", () => {
    const { topo, hb0, rp1, sw, gpu, gpuAudio, nvme, lpc } = buildTestTopology();
    expect(topo.size).toBe(12);
    expect(gpu.parent).toBe(sw.downstream[0]);
    expect(sw.downstream[0]!.parent).toBe(sw.upstream);
    expect(sw.upstream.parent).toBe(rp1);
    expect(rp1.parent).toBeNull();
    expect(nvme.hostBridge).toBe(hb0);
    expect(sw.downstream[0]!.children).toEqual([gpu, gpuAudio]);
    expect(hb0.children.map((f) => f.bdf)).toEqual(["0000:00:01.0", "0000:00:02.0", "0000:00:1f.0"]);
    expect(hb0.children).toContain(lpc);
    expect(topo.get("0000:03:00.1")).toBe(gpuAudio);
    expect(topo.find("03:00.0")).toBe(gpu);
    expect(topo.find("0000:09:00.0")).toBeNull();
    expectCode(() => topo.get("0000:09:00.0"), "EINVAL");
    expect(sw.upstream.type).toBe("upstream-port");
    expect(sw.downstream.map((d) => d.type)).toEqual(["downstream-port", "downstream-port"]);
    expect(sw.upstream.classCode).toBe(0x060400);
    expect(hb0.name).toBe("pci0000:00");
  });

  it("describes BARs exactly, 64-bit prefetchable above 4 GiB included", () => {
    const { gpu } = buildTestTopology({ busOffset: -0x30_0000_0000n });
    const bar2 = gpu.bar(2);
    expect(bar2).toMatchObject({ index: 2, is64: true, prefetchable: true, cpuAddressBig: 0x38_0000_0000n });
    expect(bar2.busAddressBig).toBe(0x8_0000_0000n);
    expect(bar2.size).toBe(0x1000_0000);
    expect(gpu.bar(0).is64).toBe(false);
    expectCode(() => gpu.bar(1), "EINVAL");
  });

  it("validates before changing anything", () => {
    const { topo, hb0, rp1, sw, gpu } = buildTestTopology();
    const gen = topo.generation;
    const bad: [Parameters<PciTopology["addFunction"]>, RlistErrorCode][] = [
      [[hb0, { bdf: "0000:00:01.0" }], "EINVAL"], // duplicate
      [[hb0, { bdf: "0000:07:00.0" }], "EINVAL"], // not on the root bus
      [[hb0, { bdf: "0001:00:03.0" }], "EINVAL"], // other domain
      [[gpu, { bdf: "0000:09:00.0" }], "EINVAL"], // endpoint has no secondary bus
      [[sw.downstream[0]!, { bdf: "0000:04:00.1" }], "EINVAL"], // bus 4 is the other port's
      [[sw.downstream[0]!, { bdf: "0000:07:00.0" }], "EINVAL"], // not the port's secondary bus
      [[rp1, { bdf: "0000:00:07.0" }], "EINVAL"], // a root port's child on the root bus
      [[rp1, { bdf: "0000:01:01.0", type: "switch" as "endpoint" }], "EINVAL"],
      [[rp1, { bdf: "0000:01:01.0", vendor: 0x1_0000 }], "EINVAL"],
      [[rp1, { bdf: "0000:01:01.0", acs: 0x1_0000 }], "EINVAL"],
      [[rp1, { bdf: "0000:01:01.0", bars: [{ index: 6, cpuAddress: 0, size: 4096 }] }], "EINVAL"],
      [[rp1, { bdf: "0000:01:01.0", bars: [{ index: 0, cpuAddress: 0, size: 3000 }] }], "EINVAL"],
      [[rp1, { bdf: "0000:01:01.0", bars: [{ index: 0, cpuAddress: 0x1800, size: 0x1000 }] }], "EINVAL"],
      [
        [rp1, { bdf: "0000:01:01.0", bars: [{ index: 0, cpuAddress: 0x1_0000_0000n, size: 0x1000 }] }],
        "EINVAL",
      ],
      [
        [rp1, { bdf: "0000:01:01.0", bars: [{ index: 5, cpuAddress: 0, size: 0x1000, is64: true }] }],
        "EINVAL",
      ],
      [
        [
          rp1,
          {
            bdf: "0000:01:01.0",
            bars: [
              { index: 0, cpuAddress: 0, size: 0x1000, is64: true },
              { index: 1, cpuAddress: 0x1000, size: 0x1000 },
            ],
          },
        ],
        "EINVAL",
      ],
      [[rp1, { bdf: "0000:01:01.0", bars: [{ index: 0, cpuAddress: "0x1z", size: 0x1000 }] }], "EINVAL"],
      [[rp1, { bdf: "0000:01:01.0", bars: [{ index: 0, cpuAddress: 2 ** 64 + 1, size: 0x1000 }] }], "ERANGE"],
    ];
    for (const [args, code] of bad) expectCode(() => topo.addFunction(...args), code);
    expect(topo.size).toBe(12);
    expect(rp1.children).toHaveLength(1);
    expect(topo.generation).toBe(gen);
    expectCode(() => topo.addHostBridge({ domain: 0, bus: 0 }), "EINVAL");
    expectCode(() => topo.addHostBridge({ domain: 0, bus: 3 }), "EINVAL"); // bus 3 is a secondary bus
    expectCode(() => topo.addHostBridge({ bus: 256 }), "EINVAL");
    expectCode(() => new PciTopology().addFunction(hb0, { bdf: "0000:00:05.0" }), "EINVAL");
    expect(topo.hostBridges).toHaveLength(2);
  });

  it("bumps the generation on every change", () => {
    const { topo, hb0, gpu } = buildTestTopology();
    let g = topo.generation;
    const step = () => {
      expect(topo.generation).toBeGreaterThan(g);
      g = topo.generation;
    };
    gpu.setAcs({ requestRedirect: true });
    step();
    hb0.p2p = "allowed";
    step();
    topo.cpuSupportsP2p = true;
    step();
    topo.addHostBridge({ domain: 2 });
    step();
  });

  it("models ACS control words", () => {
    const { gpu } = buildTestTopology();
    expect(gpu.acsControl).toBeNull();
    expect(gpu.acsRedirect).toBe(false);
    gpu.setAcs(ACS_SOURCE_VALIDATION);
    expect(gpu.acsRedirect).toBe(false);
    gpu.setAcs(ACS_EGRESS_CONTROL);
    expect(gpu.acsRedirect).toBe(true);
    gpu.setAcs({ completionRedirect: true });
    expect(gpu.acsControl).toBe(0x8);
    gpu.setAcs(null);
    expect(gpu.acsControl).toBeNull();
    expect(acsControlOf({ requestRedirect: true, completionRedirect: true, egressControl: true })).toBe(0x2c);
  });
});

describe("host-bridge allow-list", () => {
  it("follows the kernel's whitelist entries", () => {
    expect(hostBridgeP2pFor(0x8086, 0x2030)).toBe("allowed");
    expect(hostBridgeP2pFor(0x8086, 0x09a2)).toBe("allowed");
    expect(hostBridgeP2pFor(0x8086, 0x3c00)).toBe("same-host-bridge");
    expect(hostBridgeP2pFor(0x8086, 0x2f01)).toBe("same-host-bridge");
    expect(hostBridgeP2pFor(0x1ae0, 0x1234)).toBe("allowed");
    expect(hostBridgeP2pFor(0x8086, 0x0d57)).toBe("denied");
    expect(hostBridgeP2pFor(0x1022, 0x1480)).toBe("denied"); // AMD is allowed by the CPU check instead
  });

  it("derives a bridge's policy from its root device unless set", () => {
    const topo = new PciTopology();
    const hb = topo.addHostBridge();
    expect(hb.rootDevice).toBeNull();
    expect(hb.p2p).toBe("denied");
    topo.addFunction(hb, { bdf: "0000:00:03.0", vendor: 0x8086, device: 0x2030 });
    expect(hb.rootDevice).toBeNull(); // first device is neither 00.0 nor a root port
    const rp = topo.addFunction(hb, {
      bdf: "0000:00:01.0",
      type: "root-port",
      vendor: 0x8086,
      device: 0x2030,
    });
    expect(hb.rootDevice).toBe(rp);
    expect(hb.p2p).toBe("allowed");
    topo.addFunction(hb, { bdf: "0000:00:00.0", vendor: 0x8086, device: 0x3c00 });
    expect(hb.p2p).toBe("same-host-bridge");
    hb.p2p = "denied";
    expect(hb.p2p).toBe("denied");
    hb.p2p = undefined;
    expect(hb.p2p).toBe("same-host-bridge");
    expectCode(() => {
      hb.p2p = "maybe" as "allowed";
    }, "EINVAL");
  });

  it("recognises AMD Zen and later from /proc/cpuinfo", () => {
    const zen = (family: number, vendor = "AuthenticAMD") =>
      `processor\t: 0\nvendor_id\t: ${vendor}\ncpu family\t: ${family}\n`;
    expect(cpuSupportsP2pFromCpuinfo(zen(0x17))).toBe(true);
    expect(cpuSupportsP2pFromCpuinfo(zen(0x19))).toBe(true);
    expect(cpuSupportsP2pFromCpuinfo(zen(0x16))).toBe(false);
    expect(cpuSupportsP2pFromCpuinfo(zen(0x19, "GenuineIntel"))).toBe(false);
    expect(cpuSupportsP2pFromCpuinfo("")).toBe(false);
  });
});
