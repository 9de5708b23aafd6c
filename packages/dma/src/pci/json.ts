import { RlistError } from "@rlist/encoding";
import { checkInstance } from "../args.js";
import type { AcsFlags } from "./acs.js";
import type { HostBridgeP2p } from "./allowlist.js";
import type { PciBarInit } from "./bar.js";
import { type HostBridge, type PciFunction, type PciPortType, PciTopology } from "./topology.js";

/** JSON description of a function and the functions below it. IDs may be numbers or hex strings. */
export interface PciFunctionJson {
  readonly bdf: string;
  readonly type?: PciPortType;
  readonly vendor?: number | string;
  readonly device?: number | string;
  readonly classCode?: number | string;
  readonly bars?: readonly PciBarInit[];
  readonly acs?: number | string | AcsFlags;
  readonly children?: readonly PciFunctionJson[];
}

export interface HostBridgeJson {
  readonly domain?: number;
  readonly bus?: number;
  readonly p2p?: HostBridgeP2p;
  readonly children?: readonly PciFunctionJson[];
}

/** JSON description of a whole topology (see the README for an example). */
export interface PciTopologyJson {
  readonly cpuSupportsP2p?: boolean;
  readonly hostBridges: readonly HostBridgeJson[];
}

const FUNCTION_KEYS = new Set(["bdf", "type", "vendor", "device", "classCode", "bars", "acs", "children"]);
const BRIDGE_KEYS = new Set(["domain", "bus", "p2p", "children"]);
const TOP_KEYS = new Set(["cpuSupportsP2p", "hostBridges"]);

/**
 * Builds a topology from its JSON description (an object, or JSON text). Unknown keys and
 * malformed values are `EINVAL`; addresses in BARs may be hex strings to stay exact above 2^53.
 */
export function pciTopologyFromJson(input: PciTopologyJson | string): PciTopology {
  let desc: unknown = input;
  if (typeof input === "string") {
    try {
      desc = JSON.parse(input);
    } catch (err) {
      throw new RlistError("EINVAL", "PCI topology JSON does not parse", { cause: err });
    }
  }
  const top = object(desc, "topology", TOP_KEYS);
  if (!Array.isArray(top.hostBridges))
    throw new RlistError("EINVAL", "topology.hostBridges must be an array");
  if (top.cpuSupportsP2p !== undefined && typeof top.cpuSupportsP2p !== "boolean") {
    throw new RlistError("EINVAL", "topology.cpuSupportsP2p must be a boolean");
  }
  const topo = new PciTopology({ cpuSupportsP2p: top.cpuSupportsP2p === true });
  for (const raw of top.hostBridges) {
    const hbDesc = object(raw, "host bridge", BRIDGE_KEYS);
    const hb = topo.addHostBridge({
      ...(hbDesc.domain !== undefined && { domain: hbDesc.domain as number }),
      ...(hbDesc.bus !== undefined && { bus: hbDesc.bus as number }),
      ...(hbDesc.p2p !== undefined && { p2p: hbDesc.p2p as HostBridgeP2p }),
    });
    addChildren(topo, hb, hbDesc.children);
  }
  return topo;
}

function addChildren(topo: PciTopology, parent: HostBridge | PciFunction, children: unknown): void {
  if (children === undefined) return;
  if (!Array.isArray(children)) throw new RlistError("EINVAL", "children must be an array");
  for (const raw of children) {
    const f = object(raw, "function", FUNCTION_KEYS);
    if (typeof f.bdf !== "string") throw new RlistError("EINVAL", "function.bdf must be a string");
    if (f.bars !== undefined && !Array.isArray(f.bars))
      throw new RlistError("EINVAL", `${f.bdf}: bars must be an array`);
    const acs =
      f.acs === undefined ? undefined : typeof f.acs === "object" ? (f.acs as AcsFlags) : id(f.acs, "acs");
    const fn = topo.addFunction(parent, {
      bdf: f.bdf,
      ...(f.type !== undefined && { type: f.type as PciPortType }),
      ...(f.vendor !== undefined && { vendor: id(f.vendor, "vendor") }),
      ...(f.device !== undefined && { device: id(f.device, "device") }),
      ...(f.classCode !== undefined && { classCode: id(f.classCode, "classCode") }),
      ...(f.bars !== undefined && { bars: f.bars as PciBarInit[] }),
      ...(acs !== undefined && { acs }),
    });
    addChildren(topo, fn, f.children);
  }
}

/** The JSON description of `topo`; `pciTopologyFromJson(pciTopologyToJson(t))` rebuilds it. */
export function pciTopologyToJson(topo: PciTopology): PciTopologyJson {
  checkInstance("topology", topo, PciTopology);
  const fnJson = (f: PciFunction): PciFunctionJson => ({
    bdf: f.bdf,
    type: f.type,
    vendor: hex4(f.vendor),
    device: hex4(f.deviceId),
    classCode: `0x${f.classCode.toString(16).padStart(6, "0")}`,
    ...(f.bars.length > 0 && { bars: f.bars.map((b) => b.toJSON()) }),
    ...(f.acsControl !== null && { acs: hex4(f.acsControl) }),
    ...(f.children.length > 0 && { children: f.children.map(fnJson) }),
  });
  return {
    cpuSupportsP2p: topo.cpuSupportsP2p,
    hostBridges: topo.hostBridges.map((h) => ({
      domain: h.domain,
      bus: h.bus,
      ...(h.p2pOverride !== undefined && { p2p: h.p2pOverride }),
      children: h.children.map(fnJson),
    })),
  };
}

function hex4(v: number): string {
  return `0x${v.toString(16).padStart(4, "0")}`;
}

function object(value: unknown, what: string, keys: Set<string>): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RlistError("EINVAL", `${what} must be an object`);
  }
  for (const k of Object.keys(value)) {
    if (!keys.has(k)) throw new RlistError("EINVAL", `unknown key ${JSON.stringify(k)} in ${what}`);
  }
  return value as Record<string, unknown>;
}

function id(value: unknown, what: string): number {
  const n = typeof value === "string" && /^0x[0-9a-f]+$/i.test(value) ? Number.parseInt(value, 16) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new RlistError(
      "EINVAL",
      `${what} must be a non-negative integer or 0x hex string, got ${String(value)}`,
    );
  }
  return n;
}
