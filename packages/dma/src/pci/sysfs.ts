import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { formatValue, RlistError } from "@rlist/encoding";
import { checkBoolean } from "../args.js";
import type { PciBarInit } from "./bar.js";
import { parseConfigSpace, portTypeOfPcie } from "./config-space.js";
import { type HostBridge, type PciFunction, type PciPortType, PciTopology } from "./topology.js";

export interface SysfsOptions {
  /** See {@link index!PciTopologyOptions.cpuSupportsP2p}; e.g. `cpuSupportsP2pFromCpuinfo(cpuinfo)`. */
  readonly cpuSupportsP2p?: boolean;
  /**
   * Bus address of a BAR. sysfs only shows CPU addresses, so the default is the CPU address
   * (bus offset 0, as on x86); pass this on platforms that translate (e.g. some arm64 and POWER hosts).
   */
  readonly busAddress?: (bdf: string, bar: number, cpuAddress: bigint) => bigint;
}

const HOST = /^pci([0-9a-f]{4,8}):([0-9a-f]{2})$/i;
const BDF = /^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i;
const IORESOURCE_MEM = 0x200;
const IORESOURCE_PREFETCH = 0x2000;
const IORESOURCE_MEM_64 = 0x0010_0000;
const IORESOURCE_DISABLED = 0x1000_0000;
const IORESOURCE_UNSET = 0x2000_0000;

interface Found {
  name: string;
  host: string;
  chain: string[];
}

/**
 * Reads a PCI topology from a `/sys/bus/pci/devices` directory (or a fixture copy of one).
 * For each entry it reads `vendor`, `device`, `class`, `resource` and, when present, `config`;
 * the tree comes from the entry's symlink target (`../../../devices/pci0000:00/0000:00:1c.0/0000:01:00.0`)
 * or, in a fixture, from a file named `symlink` holding that target.
 * Port types come from the PCIe capability in `config` when readable, else from the position of
 * bridges in the tree; ACS Control comes from `config` (root sees the extended space).
 */
export function pciTopologyFromSysfs(dir: string, options: SysfsOptions = {}): PciTopology {
  if (typeof dir !== "string")
    throw new RlistError("EINVAL", `the sysfs directory must be a path, got ${formatValue(dir)}`);
  if (typeof options !== "object" || options === null) {
    throw new RlistError("EINVAL", `sysfs options must be an object, got ${formatValue(options)}`);
  }
  const cpuSupportsP2p = options.cpuSupportsP2p;
  checkBoolean("cpuSupportsP2p", cpuSupportsP2p, true);
  if (options.busAddress !== undefined && typeof options.busAddress !== "function") {
    throw new RlistError("EINVAL", `busAddress must be a function, got ${formatValue(options.busAddress)}`);
  }
  const found: Found[] = [];
  for (const name of fsCall(dir, () => readdirSync(dir)).sort()) {
    if (!BDF.test(name)) continue;
    const entry = join(dir, name);
    const link = fsCall(entry, () => lstatSync(entry).isSymbolicLink());
    const target = link ? fsCall(entry, () => readlinkSync(entry)) : readText(join(entry, "symlink"));
    found.push({ name, ...splitDevicePath(name, target) });
  }
  found.sort((a, b) => a.chain.length - b.chain.length || (a.name < b.name ? -1 : 1));
  const topo = new PciTopology({ cpuSupportsP2p: cpuSupportsP2p ?? false });
  const hosts = new Map<string, HostBridge>();
  const fns = new Map<string, PciFunction>();
  for (const f of found) {
    let hb = hosts.get(f.host);
    if (!hb) {
      const m = HOST.exec(f.host)!;
      hb = topo.addHostBridge({ domain: Number.parseInt(m[1]!, 16), bus: Number.parseInt(m[2]!, 16) });
      hosts.set(f.host, hb);
    }
    const parentName = f.chain[f.chain.length - 2];
    const parent = parentName === undefined ? hb : fns.get(parentName);
    if (!parent) throw new RlistError("EINVAL", `${f.name}: parent ${parentName} is not in ${dir}`);
    const entry = join(dir, f.name);
    const classCode = readHex(join(entry, "class"));
    const config = readOptional(join(entry, "config"));
    const info = config ? parseConfigSpace(config) : null;
    const isBridgeClass = classCode >> 8 === 0x0604 || classCode >> 8 === 0x0609;
    const type: PciPortType =
      info?.pcieType != null
        ? portTypeOfPcie(info.pcieType)
        : isBridgeClass
          ? inferBridgeType(parent)
          : "endpoint";
    const fn = topo.addFunction(parent, {
      bdf: f.name,
      type,
      vendor: readHex(join(entry, "vendor")),
      device: readHex(join(entry, "device")),
      classCode,
      bars: parseResource(f.name, readText(join(entry, "resource")), options.busAddress),
      ...(info?.acsControl != null && { acs: info.acsControl }),
    });
    fns.set(f.name, fn);
  }
  return topo;
}

/** Splits a sysfs device path into its host bridge and the BDF chain ending at `name`. */
export function splitDevicePath(name: string, target: string): { host: string; chain: string[] } {
  const parts = target.trim().split("/");
  let hostAt = -1;
  for (let i = parts.length - 1; i >= 0; i--) {
    if (HOST.test(parts[i]!)) {
      hostAt = i;
      break;
    }
  }
  const chain = parts.slice(hostAt + 1);
  if (
    hostAt < 0 ||
    chain.length === 0 ||
    !chain.every((p) => BDF.test(p)) ||
    chain[chain.length - 1] !== name
  ) {
    throw new RlistError("EINVAL", `${name}: cannot read the PCI path from ${JSON.stringify(target)}`);
  }
  return { host: parts[hostAt]!, chain };
}

/**
 * Memory BARs from a sysfs `resource` file: lines of `start end flags` (CPU addresses); lines 0-5 are
 * the BARs. I/O, disabled and unassigned resources are skipped.
 */
export function parseResource(
  bdf: string,
  text: string,
  busAddress?: (bdf: string, bar: number, cpuAddress: bigint) => bigint,
): PciBarInit[] {
  const bars: PciBarInit[] = [];
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  for (let index = 0; index < Math.min(6, lines.length); index++) {
    const cols = lines[index]!.trim().split(/\s+/);
    if (cols.length !== 3 || !cols.every((c) => /^0x[0-9a-f]+$/i.test(c))) {
      throw new RlistError("EINVAL", `${bdf}: malformed resource line ${index}: ${lines[index]}`);
    }
    const [start, end, flags] = cols.map((c) => BigInt(c)) as [bigint, bigint, bigint];
    const f = Number(flags & 0xffff_ffffn);
    if ((f & IORESOURCE_MEM) === 0 || (f & (IORESOURCE_DISABLED | IORESOURCE_UNSET)) !== 0) continue;
    if (start === 0n && end === 0n) continue;
    bars.push({
      index,
      cpuAddress: start,
      busAddress: busAddress ? busAddress(bdf, index, start) : start,
      size: end - start + 1n,
      is64: (f & IORESOURCE_MEM_64) !== 0,
      prefetchable: (f & IORESOURCE_PREFETCH) !== 0,
    });
  }
  return bars;
}

/** Bridge role from its place in a PCIe tree, when config space does not say. */
function inferBridgeType(parent: HostBridge | PciFunction): PciPortType {
  if (!("type" in parent)) return "root-port";
  switch (parent.type) {
    case "root-port":
    case "downstream-port":
      return "upstream-port";
    case "upstream-port":
      return "downstream-port";
    default:
      return "pci-bridge";
  }
}

/** A file-system call whose failure (ENOENT, EACCES, ...) becomes an `EINVAL` with the cause attached. */
function fsCall<T>(path: string, call: () => T): T {
  try {
    return call();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new RlistError("EINVAL", `cannot read ${path}${typeof code === "string" ? ` (${code})` : ""}`, {
      cause: err,
    });
  }
}

function readText(path: string): string {
  return fsCall(path, () => readFileSync(path, "utf8"));
}

function readOptional(path: string): Uint8Array | null {
  try {
    return new Uint8Array(readFileSync(path));
  } catch {
    return null;
  }
}

function readHex(path: string): number {
  const text = readText(path).trim();
  if (!/^0x[0-9a-f]+$/i.test(text)) throw new RlistError("EINVAL", `${path} is not a hex number: ${text}`);
  return Number.parseInt(text, 16);
}
