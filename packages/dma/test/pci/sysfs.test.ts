import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { cpuSupportsP2pFromCpuinfo } from "../../src/pci/allowlist.js";
import { parseConfigSpace } from "../../src/pci/config-space.js";
import { p2pMapType, p2pPath } from "../../src/pci/p2p-map.js";
import { parseResource, pciTopologyFromSysfs, splitDevicePath } from "../../src/pci/sysfs.js";
import { buildConfigSpace } from "./config-space-builder.js";
import { configSpec, SWITCH_DEVICES, SWITCH_FIXTURE } from "./make-switch-fixture.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe("sysfs: this machine (AWS EPYC VM, virtio devices on the root bus)", () => {
  const dir = fixture("sysfs-aws-epyc-vm");
  const cpuinfo = readFileSync(fixture("cpuinfo-aws-epyc.txt"), "utf8");

  it("reads every function, its IDs and its 64-bit BAR above 4 GiB", () => {
    const topo = pciTopologyFromSysfs(dir);
    expect([...topo.functions].map((f) => f.bdf)).toEqual([
      "0000:00:00.0",
      "0000:00:01.0",
      "0000:00:02.0",
      "0000:00:03.0",
      "0000:00:04.0",
      "0000:00:05.0",
    ]);
    const hb = topo.hostBridges[0]!;
    expect(hb.name).toBe("pci0000:00");
    expect(hb.rootDevice?.bdf).toBe("0000:00:00.0");
    expect(hb.rootDevice).toMatchObject({ vendor: 0x8086, deviceId: 0x0d57, classCode: 0x060000 });
    const blk = topo.get("0000:00:02.0");
    expect(blk).toMatchObject({
      vendor: 0x1af4,
      deviceId: 0x1042,
      classCode: 0x018000,
      type: "endpoint",
      parent: null,
    });
    expect(blk.bars).toHaveLength(1);
    expect(blk.bars[0]).toMatchObject({
      index: 0,
      cpuAddress: 0x40_0008_0000,
      size: 0x8_0000,
      is64: true,
      prefetchable: false,
    });
    expect(blk.acsControl).toBeNull();
  });

  it("has no common upstream bridge: P2P only because the CPU is AMD Zen", () => {
    expect(cpuSupportsP2pFromCpuinfo(cpuinfo)).toBe(true);
    const plain = pciTopologyFromSysfs(dir);
    expect(plain.hostBridges[0]!.p2p).toBe("denied"); // 8086:0d57 is not on the allow-list
    expect(p2pMapType(plain.get("0000:00:01.0").p2pProvider(0), plain.get("0000:00:02.0"))).toBe(
      "NOT_SUPPORTED",
    );
    const zen = pciTopologyFromSysfs(dir, { cpuSupportsP2p: cpuSupportsP2pFromCpuinfo(cpuinfo) });
    const path = p2pPath(zen.get("0000:00:01.0").p2pProvider(0), zen.get("0000:00:02.0"));
    expect(path).toMatchObject({ mapType: "THRU_HOST_BRIDGE", distance: 2, commonUpstream: null });
  });

  it("reads conventional PCI config space (no PCIe capability)", () => {
    const info = parseConfigSpace(new Uint8Array(readFileSync(join(dir, "0000:00:01.0", "config"))));
    expect(info).toEqual({
      vendor: 0x1af4,
      device: 0x1045,
      classCode: 0xffff00,
      pcieType: null,
      acsControl: null,
    });
  });
});

describe("sysfs: hand-made server with a PCIe switch", () => {
  const dir = fileURLToPath(SWITCH_FIXTURE);

  it("has config files that match the builder (fixture is reproducible)", () => {
    for (const d of SWITCH_DEVICES) {
      const path = join(dir, d.bdf, "config");
      if (d.config === false) expect(existsSync(path)).toBe(false);
      else expect(new Uint8Array(readFileSync(path))).toEqual(buildConfigSpace(configSpec(d)));
    }
  });

  it("rebuilds the tree with port types from config and inferred where config is missing", () => {
    const topo = pciTopologyFromSysfs(dir);
    const type = (bdf: string) => topo.get(bdf).type;
    expect(type("0000:00:01.0")).toBe("root-port");
    expect(type("0000:01:00.0")).toBe("upstream-port");
    expect(type("0000:02:08.0")).toBe("downstream-port");
    expect(type("0000:00:02.0")).toBe("root-port"); // no config: inferred
    expect(type("0000:06:00.0")).toBe("endpoint");
    expect(topo.get("0000:03:00.0").parent?.bdf).toBe("0000:02:08.0");
    expect(topo.get("0000:02:10.0").parent?.bdf).toBe("0000:01:00.0");
    expect(topo.hostBridges.map((h) => [h.name, h.p2p])).toEqual([
      ["pci0000:00", "allowed"],
      ["pci0000:80", "allowed"],
    ]);
  });

  it("reads BARs: skips I/O and unassigned resources, keeps 64-bit prefetchable ones exact", () => {
    const topo = pciTopologyFromSysfs(dir);
    const gpu = topo.get("0000:03:00.0");
    expect(gpu.bars.map((b) => [b.index, b.is64, b.prefetchable, b.sizeBig])).toEqual([
      [0, false, false, 0x100_0000n],
      [1, true, true, 0x10_0000_0000n],
      [3, true, true, 0x200_0000n],
    ]);
    expect(topo.get("0000:04:00.0").bars.map((b) => b.index)).toEqual([0, 2]);
  });

  it("reads ACS from the extended config space and decides P2P like the kernel", () => {
    const topo = pciTopologyFromSysfs(dir);
    expect(topo.get("0000:00:01.0").acsControl).toBe(0x1d);
    expect(topo.get("0000:02:18.0").acsRedirect).toBe(true);
    const gpuBar = topo.get("0000:03:00.0").p2pProvider(1);
    expect(p2pPath(gpuBar, topo.get("0000:04:00.0"))).toMatchObject({ mapType: "BUS_ADDR", distance: 4 });
    expect(p2pPath(gpuBar, topo.get("0000:05:00.0"))).toMatchObject({
      mapType: "THRU_HOST_BRIDGE",
      hint: "pci=disable_acs_redir=0000:02:18.0",
    });
    expect(p2pMapType(gpuBar, topo.get("0000:81:00.0"))).toBe("THRU_HOST_BRIDGE"); // both bridges allowed
    expect(p2pMapType(gpuBar, topo.get("0000:06:00.0"))).toBe("THRU_HOST_BRIDGE");
  });

  it("applies a platform's bus-address translation", () => {
    const topo = pciTopologyFromSysfs(dir, {
      busAddress: (_bdf, _bar, cpu) => (cpu >= 0x3800_0000_0000n ? cpu - 0x3800_0000_0000n : cpu),
    });
    const p = topo.get("0000:03:00.0").p2pProvider(1);
    expect(p.busOffset).toBe(-0x3800_0000_0000);
    expect(p.bar.busAddressBig).toBe(0x80_0000_0000n);
  });
});

describe("sysfs: real symlinks and bad trees", () => {
  it("follows real symlinks like /sys/bus/pci/devices", () => {
    const root = mkdtempSync(join(tmpdir(), "rlist-sysfs-"));
    try {
      const devs = join(root, "devices", "pci0000:00", "0000:00:01.0");
      const ep = join(devs, "0000:01:00.0");
      mkdirSync(ep, { recursive: true });
      const attrs = (d: string, cls: string) => {
        writeFileSync(join(d, "vendor"), "0x8086\n");
        writeFileSync(join(d, "device"), "0x2030\n");
        writeFileSync(join(d, "class"), `${cls}\n`);
        writeFileSync(join(d, "resource"), "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
      };
      attrs(devs, "0x060400");
      attrs(ep, "0x010802");
      const bus = join(root, "bus", "pci", "devices");
      mkdirSync(bus, { recursive: true });
      symlinkSync("../../../devices/pci0000:00/0000:00:01.0", join(bus, "0000:00:01.0"));
      symlinkSync("../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0", join(bus, "0000:01:00.0"));
      const topo = pciTopologyFromSysfs(bus);
      expect(topo.get("0000:01:00.0").parent?.type).toBe("root-port");
      rmSync(join(ep, "class"));
      expectCode(() => pciTopologyFromSysfs(bus), "EINVAL");
      rmSync(join(bus, "0000:00:01.0"));
      expectCode(() => pciTopologyFromSysfs(bus), "EINVAL"); // parent missing
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("splits device paths, VMD-style domains and non-PCI prefixes included", () => {
    expect(
      splitDevicePath("0000:01:00.0", "../../../devices/pci0000:00/0000:00:1c.0/0000:01:00.0\n"),
    ).toEqual({
      host: "pci0000:00",
      chain: ["0000:00:1c.0", "0000:01:00.0"],
    });
    expect(
      splitDevicePath(
        "10000:e1:00.0",
        "../../../devices/pci0000:00/0000:00:0e.0/pci10000:e0/10000:e0:1d.0/10000:e1:00.0",
      ),
    ).toEqual({ host: "pci10000:e0", chain: ["10000:e0:1d.0", "10000:e1:00.0"] });
    for (const bad of [
      "../../../devices/platform/foo",
      "../../../devices/pci0000:00/0000:00:01.0",
      "../../devices/pci0000:00",
    ]) {
      expectCode(() => splitDevicePath("0000:01:00.0", bad), "EINVAL");
    }
  });

  it("refuses malformed resource files", () => {
    expectCode(() => parseResource("x", "0x0 0x1\n"), "EINVAL");
    expectCode(() => parseResource("x", "0x0 0x1 zz\n"), "EINVAL");
    expect(parseResource("x", "")).toEqual([]);
  });

  it.skipIf(!existsSync("/sys/bus/pci/devices"))("reads this machine's live /sys/bus/pci/devices", () => {
    const topo = pciTopologyFromSysfs("/sys/bus/pci/devices");
    expect(topo.size).toBeGreaterThan(0);
  });
});

describe("config space parsing", () => {
  it("finds the PCIe port type behind other capabilities and the ACS control word", () => {
    const b = buildConfigSpace({
      vendor: 0x10b5,
      device: 0x8747,
      classCode: 0x060400,
      pcieType: 6,
      acsControl: 0x1d,
      extraCap: true,
    });
    expect(parseConfigSpace(b)).toEqual({
      vendor: 0x10b5,
      device: 0x8747,
      classCode: 0x060400,
      pcieType: 6,
      acsControl: 0x1d,
    });
  });

  it("sees no ACS in the 256 bytes non-root readers get, and survives looping lists", () => {
    const b = buildConfigSpace({ vendor: 1, device: 2, classCode: 0x060400, pcieType: 4, acsControl: 0x1d });
    expect(parseConfigSpace(b.subarray(0, 256)).acsControl).toBeNull();
    expect(parseConfigSpace(b.subarray(0, 64)).pcieType).toBeNull();
    const loop = buildConfigSpace({ vendor: 1, device: 2, classCode: 0, pcieType: 0 });
    loop[0x40] = 0x09;
    loop[0x41] = 0x40; // points at itself
    loop.set([0x01, 0x00, 0x01, 0x10], 0x100); // ext cap 1 whose next is 0x100
    expect(parseConfigSpace(loop)).toMatchObject({ pcieType: null, acsControl: null });
  });
});
