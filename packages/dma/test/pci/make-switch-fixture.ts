/**
 * Writes fixtures/sysfs-switch, a hand-made /sys/bus/pci/devices copy of a server with a PCIe switch.
 * Run once with `pnpm tsx packages/dma/test/pci/make-switch-fixture.ts`; the output is committed and
 * sysfs.test.ts checks its config files still match this builder.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { buildConfigSpace } from "./config-space-builder.js";

export const SWITCH_FIXTURE = new URL("./fixtures/sysfs-switch/", import.meta.url);

const MEM32 = 0x40200;
const MEM64_PREF = 0x14220c;
const MEM64 = 0x140204;
const IO = 0x40101;
const UNSET_MEM = 0x20040200;

type Res = [bigint, bigint, number];
export interface FixtureDevice {
  bdf: string;
  path: string;
  vendor: number;
  device: number;
  classCode: number;
  pcieType?: number;
  acsControl?: number;
  extraCap?: boolean;
  /** false: no config file (non-root copy), the parser must infer the type. */
  config?: boolean;
  bars: (Res | null)[];
}

const bridge = (r: (Res | null)[] = []): (Res | null)[] => [...r, ...Array(17 - r.length).fill(null)];
const ep = (r: (Res | null)[]): (Res | null)[] => [...r, ...Array(7 - r.length).fill(null)];

export const SWITCH_DEVICES: FixtureDevice[] = [
  {
    bdf: "0000:00:00.0",
    path: "pci0000:00/0000:00:00.0",
    vendor: 0x8086,
    device: 0x2020,
    classCode: 0x060000,
    pcieType: 9,
    bars: ep([]),
  },
  {
    bdf: "0000:00:01.0",
    path: "pci0000:00/0000:00:01.0",
    vendor: 0x8086,
    device: 0x2030,
    classCode: 0x060400,
    pcieType: 4,
    acsControl: 0x001d,
    bars: bridge(),
  },
  {
    bdf: "0000:01:00.0",
    path: "pci0000:00/0000:00:01.0/0000:01:00.0",
    vendor: 0x10b5,
    device: 0x8747,
    classCode: 0x060400,
    pcieType: 5,
    extraCap: true,
    bars: bridge([[0xac10_0000n, 0xac13_ffffn, MEM32]]),
  },
  {
    bdf: "0000:02:08.0",
    path: "pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:08.0",
    vendor: 0x10b5,
    device: 0x8747,
    classCode: 0x060400,
    pcieType: 6,
    acsControl: 0x0000,
    bars: bridge(),
  },
  {
    bdf: "0000:02:10.0",
    path: "pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:10.0",
    vendor: 0x10b5,
    device: 0x8747,
    classCode: 0x060400,
    pcieType: 6,
    acsControl: 0x0000,
    bars: bridge(),
  },
  {
    bdf: "0000:02:18.0",
    path: "pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:18.0",
    vendor: 0x10b5,
    device: 0x8747,
    classCode: 0x060400,
    pcieType: 6,
    acsControl: 0x000c,
    bars: bridge(),
  },
  {
    bdf: "0000:03:00.0",
    path: "pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:08.0/0000:03:00.0",
    vendor: 0x10de,
    device: 0x20b0,
    classCode: 0x030200,
    pcieType: 0,
    bars: ep([
      [0xab00_0000n, 0xabff_ffffn, MEM32],
      [0x3880_0000_0000n, 0x388f_ffff_ffffn, MEM64_PREF],
      null,
      [0x3890_0000_0000n, 0x3890_01ff_ffffn, MEM64_PREF],
      null,
      [0x3000n, 0x307fn, IO],
    ]),
  },
  {
    bdf: "0000:04:00.0",
    path: "pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:10.0/0000:04:00.0",
    vendor: 0x144d,
    device: 0xa824,
    classCode: 0x010802,
    pcieType: 0,
    bars: ep([
      [0xac00_0000n, 0xac00_3fffn, MEM64],
      null,
      [0x3891_0000_0000n, 0x3891_000f_ffffn, MEM64_PREF],
      null,
      [0n, 0xffffn, UNSET_MEM],
    ]),
  },
  {
    bdf: "0000:05:00.0",
    path: "pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:18.0/0000:05:00.0",
    vendor: 0x144d,
    device: 0xa824,
    classCode: 0x010802,
    pcieType: 0,
    bars: ep([[0xac20_0000n, 0xac20_3fffn, MEM64]]),
  },
  {
    bdf: "0000:00:02.0",
    path: "pci0000:00/0000:00:02.0",
    vendor: 0x8086,
    device: 0x2031,
    classCode: 0x060400,
    config: false,
    bars: bridge(),
  },
  {
    bdf: "0000:06:00.0",
    path: "pci0000:00/0000:00:02.0/0000:06:00.0",
    vendor: 0x15b3,
    device: 0x101b,
    classCode: 0x020000,
    config: false,
    bars: ep([[0x3940_0000_0000n, 0x3940_01ff_ffffn, MEM64_PREF]]),
  },
  {
    bdf: "0000:80:00.0",
    path: "pci0000:80/0000:80:00.0",
    vendor: 0x8086,
    device: 0x2020,
    classCode: 0x060000,
    pcieType: 9,
    bars: ep([]),
  },
  {
    bdf: "0000:80:01.0",
    path: "pci0000:80/0000:80:01.0",
    vendor: 0x8086,
    device: 0x2030,
    classCode: 0x060400,
    pcieType: 4,
    bars: bridge(),
  },
  {
    bdf: "0000:81:00.0",
    path: "pci0000:80/0000:80:01.0/0000:81:00.0",
    vendor: 0x10de,
    device: 0x20b0,
    classCode: 0x030200,
    pcieType: 0,
    bars: ep([
      [0xc600_0000n, 0xc6ff_ffffn, MEM32],
      [0x3980_0000_0000n, 0x398f_ffff_ffffn, MEM64_PREF],
    ]),
  },
];

const hex = (v: bigint | number) => `0x${v.toString(16).padStart(16, "0")}`;

export function writeSwitchFixture(): void {
  rmSync(SWITCH_FIXTURE, { recursive: true, force: true });
  for (const d of SWITCH_DEVICES) {
    const dir = new URL(`${d.bdf}/`, SWITCH_FIXTURE);
    mkdirSync(dir, { recursive: true });
    const w = (name: string, data: string | Uint8Array) => writeFileSync(new URL(name, dir), data);
    w("symlink", `../../../devices/${d.path}\n`);
    w("vendor", `0x${d.vendor.toString(16).padStart(4, "0")}\n`);
    w("device", `0x${d.device.toString(16).padStart(4, "0")}\n`);
    w("class", `0x${d.classCode.toString(16).padStart(6, "0")}\n`);
    w(
      "resource",
      `${d.bars
        .map((r) => (r ? `${hex(r[0])} ${hex(r[1])} ${hex(r[2])}` : `${hex(0)} ${hex(0)} ${hex(0)}`))
        .join("\n")}\n`,
    );
    if (d.config !== false) w("config", buildConfigSpace(configSpec(d)));
  }
}

export function configSpec(d: FixtureDevice): Parameters<typeof buildConfigSpace>[0] {
  return {
    vendor: d.vendor,
    device: d.device,
    classCode: d.classCode,
    ...(d.pcieType !== undefined && { pcieType: d.pcieType }),
    ...(d.acsControl !== undefined && { acsControl: d.acsControl }),
    ...(d.extraCap !== undefined && { extraCap: d.extraCap }),
  };
}

if (process.argv[1]?.endsWith("make-switch-fixture.ts")) writeSwitchFixture();
