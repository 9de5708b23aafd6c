import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { P2pMapCache, p2pMapType, p2pPath, p2pStats } from "../../src/pci/p2p-map.js";
import { busAddress, busAddressBig } from "../../src/pci/p2p-provider.js";
import { PciTopology } from "../../src/pci/topology.js";
import { buildTestTopology } from "./helpers.js";

describe("p2pMapType: the kernel's path walk", () => {
  it("two endpoints under one switch talk by bus address (distance 4)", () => {
    const { gpu, nvme, sw } = buildTestTopology();
    const path = p2pPath(gpu.p2pProvider(2), nvme);
    expect(path).toMatchObject({ mapType: "BUS_ADDR", distance: 4, commonUpstream: sw.upstream, hint: null });
    expect(p2pMapType(nvme.p2pProvider(2), gpu)).toBe("BUS_ADDR");
  });

  it("two functions of one device under one port: distance 2; the same function: distance 0", () => {
    const { gpu, gpuAudio, sw } = buildTestTopology();
    expect(p2pPath(gpu.p2pProvider(2), gpuAudio)).toMatchObject({
      mapType: "BUS_ADDR",
      distance: 2,
      commonUpstream: sw.downstream[0],
    });
    expect(p2pPath(gpu.p2pProvider(2), gpu)).toMatchObject({
      mapType: "BUS_ADDR",
      distance: 0,
      commonUpstream: gpu,
    });
  });

  it("different root ports go through the host bridge: allowed, same-bridge-only or not", () => {
    for (const [policy, expected] of [
      ["allowed", "THRU_HOST_BRIDGE"],
      ["same-host-bridge", "THRU_HOST_BRIDGE"],
      ["denied", "NOT_SUPPORTED"],
    ] as const) {
      const { gpu, nic } = buildTestTopology({ p2p: policy });
      const path = p2pPath(gpu.p2pProvider(2), nic);
      expect(path.mapType).toBe(expected);
      // gpu, downstream, upstream, root port: 4; nic, root port: 2.
      expect(path.distance).toBe(6);
      expect(path.commonUpstream).toBeNull();
      expect(path.reason).toMatch(/no common upstream bridge/);
      expect(p2pMapType(gpu.p2pProvider(2), nic)).toBe(expected);
    }
  });

  it("a root-bus device and a root-port device share only the host bridge", () => {
    const { lpc, nic } = buildTestTopology({ p2p: "allowed" });
    lpc.topology.addFunction(lpc.hostBridge, {
      bdf: "0000:00:1f.3",
      bars: [{ index: 0, cpuAddress: 0xfe00_0000, size: 0x4000 }],
    });
    const audio = lpc.topology.get("0000:00:1f.3");
    expect(p2pPath(audio.p2pProvider(0), nic)).toMatchObject({ mapType: "THRU_HOST_BRIDGE", distance: 3 });
  });

  it("ACS redirect on a switch downstream port stops BUS_ADDR and names the port in the hint", () => {
    const { gpu, nvme, sw } = buildTestTopology({ p2p: "allowed" });
    sw.downstream[1]!.setAcs({ requestRedirect: true, completionRedirect: true });
    const path = p2pPath(gpu.p2pProvider(2), nvme);
    expect(path.mapType).toBe("THRU_HOST_BRIDGE");
    expect(path.acsRedirects).toEqual([sw.downstream[1]]);
    expect(path.hint).toBe("pci=disable_acs_redir=0000:02:01.0");
    expect(path.distance).toBe(4);
    expect(p2pMapType(gpu.p2pProvider(2), nvme)).toBe("THRU_HOST_BRIDGE");
    sw.upstream.topology.hostBridges[0]!.p2p = "denied";
    expect(p2pMapType(gpu.p2pProvider(2), nvme)).toBe("NOT_SUPPORTED");
  });

  it("checks ACS on the provider side up to and including the common device, client side below it", () => {
    const { gpu, nvme, sw, rp1 } = buildTestTopology({ p2p: "denied" });
    rp1.setAcs({ requestRedirect: true }); // above the common upstream port: irrelevant
    expect(p2pMapType(gpu.p2pProvider(2), nvme)).toBe("BUS_ADDR");
    sw.upstream.setAcs({ egressControl: true }); // the common device, on the provider walk
    expect(p2pPath(gpu.p2pProvider(2), nvme)).toMatchObject({
      mapType: "NOT_SUPPORTED",
      acsRedirects: [sw.upstream],
    });
    sw.upstream.setAcs(null);
    sw.downstream[0]!.setAcs({ requestRedirect: true }); // provider side
    expect(p2pPath(gpu.p2pProvider(2), nvme).acsRedirects).toEqual([sw.downstream[0]]);
  });

  it("across host bridges both must be allowed, and same-host-bridge entries never cross", () => {
    const cases = [
      ["allowed", "allowed", "THRU_HOST_BRIDGE"],
      ["allowed", "denied", "NOT_SUPPORTED"],
      ["same-host-bridge", "allowed", "NOT_SUPPORTED"],
      ["same-host-bridge", "same-host-bridge", "NOT_SUPPORTED"],
    ] as const;
    for (const [p0, p1, expected] of cases) {
      const { gpu, nvmeB } = buildTestTopology({ p2p: p0, p2p1: p1 });
      expect(p2pMapType(gpu.p2pProvider(2), nvmeB)).toBe(expected);
      expect(p2pMapType(nvmeB.p2pProvider(0), gpu)).toBe(expected);
    }
  });

  it("a CPU that supports P2P (AMD Zen) allows every host bridge path, but not a non-PCI client", () => {
    const { gpu, nvmeB, nic } = buildTestTopology({ cpuSupportsP2p: true });
    expect(p2pMapType(gpu.p2pProvider(2), nvmeB)).toBe("THRU_HOST_BRIDGE");
    expect(p2pPath(gpu.p2pProvider(2), nic).reason).toMatch(/CPU supports/);
    expect(p2pMapType(gpu.p2pProvider(2), null)).toBe("NOT_SUPPORTED");
    expect(p2pPath(gpu.p2pProvider(2), null)).toMatchObject({
      distance: -1,
      reason: "the client is not a PCI device",
    });
    const other = buildTestTopology({ cpuSupportsP2p: true });
    expect(p2pMapType(gpu.p2pProvider(2), other.gpu)).toBe("NOT_SUPPORTED");
  });
});

describe("map-type caches", () => {
  it("walks the tree once per (provider, client) until the topology changes", () => {
    const { gpu, nvme, nic, sw } = buildTestTopology({ p2p: "allowed" });
    const p = gpu.p2pProvider(2);
    const before = p2pStats.walks;
    for (let i = 0; i < 5; i++) {
      expect(p2pMapType(p, nvme)).toBe("BUS_ADDR");
      expect(p2pMapType(p, nic)).toBe("THRU_HOST_BRIDGE");
    }
    expect(p2pStats.walks - before).toBe(2);
    sw.downstream[1]!.setAcs({ requestRedirect: true });
    expect(p2pMapType(p, nvme)).toBe("THRU_HOST_BRIDGE");
    expect(p2pStats.walks - before).toBe(3);
  });

  it("the per-mapping cache recomputes only when the provider changes: A, A, B, A is 3 lookups", () => {
    const { gpu, nvme, nic } = buildTestTopology({ p2p: "allowed" });
    const a = gpu.p2pProvider(2);
    const b = nic.p2pProvider(0);
    const cache = new P2pMapCache(nvme);
    expect([a, a, b, a].map((p) => cache.lookup(p))).toEqual([
      "BUS_ADDR",
      "BUS_ADDR",
      "THRU_HOST_BRIDGE",
      "BUS_ADDR",
    ]);
    expect(cache.lookups).toBe(3);
    cache.reset();
    cache.lookup(a);
    expect(cache.lookups).toBe(4);
  });

  it("one provider per BAR", () => {
    const { gpu } = buildTestTopology();
    expect(gpu.p2pProvider(2)).toBe(gpu.p2pProvider(2));
    expect(gpu.p2pProvider(0)).not.toBe(gpu.p2pProvider(2));
    expect(gpu.p2pProvider(2).name).toBe("0000:03:00.0 BAR2");
    expectCode(() => gpu.p2pProvider(4), "EINVAL");
  });
});

describe("bus offsets and bus addresses", () => {
  function providerWith(cpu: bigint, bus: bigint, size = 0x1000n) {
    const topo = new PciTopology();
    const fn = topo.addFunction(topo.addHostBridge(), {
      bdf: "0000:00:04.0",
      bars: [{ index: 0, cpuAddress: cpu, busAddress: bus, size, is64: true }],
    });
    return fn.p2pProvider(0);
  }

  it("P2P-OFF-1: a bus window below the CPU window gives a negative offset, kept exact", () => {
    const p = providerWith(0x40_0000_0000n, 0x8000_0000n, 0x1000_0000n);
    expect(p.busOffsetBig).toBe(0xffff_ffc0_8000_0000n);
    expect(p.busOffsetSigned).toBe(-0x3f_8000_0000n);
    expect(p.busOffset).toBe(-0x3f_8000_0000);
    expect([p.busOffsetHi, p.busOffsetLo]).toEqual([0xffff_ffc0, 0x8000_0000]);
    expect(busAddress(p, 0x40_0000_1000)).toBe(0x8000_1000);
    expect(busAddressBig(p, 0x40_0000_1000n)).toBe(0x8000_1000n);
  });

  it("P2P-OFF-2: on x86 the bus address is the CPU address", () => {
    const { gpu } = buildTestTopology();
    const p = gpu.p2pProvider(2);
    expect(p.busOffset).toBe(0);
    expect(busAddress(p, 0x38_0000_1234)).toBe(0x38_0000_1234);
  });

  it("refuses results a number cannot hold and unsafe inputs", () => {
    const p = providerWith(0x1000_0000n, 0x4000_0000_1000_0000n);
    expectCode(() => p.busOffset, "ERANGE");
    expect(p.busOffsetBig).toBe(0x4000_0000_0000_0000n);
    expectCode(() => busAddress(p, 0x1000_0000), "ERANGE");
    expect(busAddressBig(p, 0x1000_0000n)).toBe(0x4000_0000_1000_0000n);
    const below = providerWith(0x1000_0000n, 0xffff_0000_0000_0000n);
    expect(below.busOffset).toBe(-0x1_0000_1000_0000); // as a u64 this is 0xfffe_ffff_f000_0000
    expectCode(() => busAddress(below, 0x1000_0000), "ERANGE");
    const neg = providerWith(0x2000_0000n, 0x1000_0000n);
    expectCode(() => busAddress(neg, 0x100), "ERANGE"); // wraps to 2^64 - ...
    expectCode(() => busAddress(neg, -1), "ERANGE");
    expectCode(() => busAddress(neg, 2 ** 53), "ERANGE");
    expectCode(() => busAddressBig(neg, -1n), "ERANGE");
  });

  it("the number path agrees with the bigint path for any offset", () => {
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    fc.assert(
      fc.property(
        u64,
        u64,
        fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }),
        (cpu, bus, phys) => {
          // Page-aligned 4K BARs that do not end past 2^64.
          const align = (v: bigint) => (v & ~0xfffn) % 0xffff_ffff_ffff_f000n;
          const [c, b] = [align(cpu), align(bus)];
          const p = providerWith(c, b);
          const exact = busAddressBig(p, phys);
          if (exact <= BigInt(Number.MAX_SAFE_INTEGER))
            expect(busAddress(p, Number(phys))).toBe(Number(exact));
          else expectCode(() => busAddress(p, Number(phys)), "ERANGE");
          expect(BigInt.asIntN(64, p.busOffsetSigned)).toBe(BigInt.asIntN(64, b - c));
          expect(p.busOffsetBig).toBe(BigInt.asUintN(64, b - c));
        },
      ),
      { numRuns: 300 },
    );
  });
});
