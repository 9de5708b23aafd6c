import { formatValue, RlistError } from "@rlist/encoding";
import { checkBoolean, orDefault } from "../args.js";
import { checkFactory, FACTORY } from "../factory.js";
import { type AcsFlags, acsControlOf, acsRedirects } from "./acs.js";
import { type HostBridgeP2p, hostBridgeP2pFor } from "./allowlist.js";
import { PciBar, type PciBarInit } from "./bar.js";
import { type Bdf, bdfKey, devfnOf, formatBdf, parseBdf } from "./bdf.js";
import { P2pProvider } from "./p2p-provider.js";

/**
 * Role of a PCI function in the tree (the PCIe Device/Port Type, folded):
 * `endpoint` covers PCIe and legacy endpoints, root-complex integrated endpoints and conventional
 * PCI devices; `pci-bridge` covers PCIe-to-PCI bridges. Only the four bridge kinds have children.
 */
export type PciPortType = "endpoint" | "root-port" | "upstream-port" | "downstream-port" | "pci-bridge";

const PORT_TYPES: readonly PciPortType[] = [
  "endpoint",
  "root-port",
  "upstream-port",
  "downstream-port",
  "pci-bridge",
];
const HOST_BRIDGE_P2P: readonly HostBridgeP2p[] = ["allowed", "same-host-bridge", "denied"];

export interface HostBridgeInit {
  /** PCI domain (segment), default 0. */
  readonly domain?: number;
  /** Root bus number, default 0. */
  readonly bus?: number;
  /** Explicit P2P policy; omitted means "look the root device up in the allow-list". */
  readonly p2p?: HostBridgeP2p;
}

export interface PciFunctionInit {
  readonly bdf: string;
  /** Default `endpoint`. */
  readonly type?: PciPortType;
  readonly vendor?: number;
  readonly device?: number;
  /** 24-bit class code, e.g. 0x010802 for NVMe, 0x060400 for a PCI bridge. */
  readonly classCode?: number;
  readonly bars?: readonly PciBarInit[];
  /** ACS Control register word, or its redirect flags. Omitted: no ACS capability. */
  readonly acs?: number | AcsFlags;
}

/** A PCI host bridge / root complex: the top of one PCI hierarchy (`pci0000:00` in sysfs). */
export class HostBridge {
  readonly topology: PciTopology;
  readonly domain: number;
  readonly bus: number;
  readonly #children: PciFunction[] = [];
  #p2p: HostBridgeP2p | undefined;

  /** @internal use {@link PciTopology.addHostBridge} (`new HostBridge(...)` is `EINVAL`). */
  constructor(
    factory: symbol,
    topology: PciTopology,
    domain: number,
    bus: number,
    p2p: HostBridgeP2p | undefined,
  ) {
    checkFactory(factory, "HostBridge", "PciTopology.addHostBridge()");
    this.topology = topology;
    this.domain = domain;
    this.bus = bus;
    this.#p2p = p2p;
  }

  /** sysfs name, `pci0000:00`. */
  get name(): string {
    return `pci${this.domain.toString(16).padStart(4, "0")}:${this.bus.toString(16).padStart(2, "0")}`;
  }

  /** Functions on the root bus, in devfn order. */
  get children(): readonly PciFunction[] {
    return this.#children;
  }

  /**
   * The device that identifies this root complex (like `pci_host_bridge_dev()`): the first
   * function on the root bus if it is devfn 00.0 or a root port, else null.
   */
  get rootDevice(): PciFunction | null {
    const first = this.#children[0];
    if (!first) return null;
    return first.devfn === 0 || first.type === "root-port" ? first : null;
  }

  /** The P2P policy set explicitly, or undefined when it comes from the allow-list. */
  get p2pOverride(): HostBridgeP2p | undefined {
    return this.#p2p;
  }

  /** Effective policy: the explicit one, else the allow-list verdict for {@link rootDevice}. */
  get p2p(): HostBridgeP2p {
    if (this.#p2p !== undefined) return this.#p2p;
    const root = this.rootDevice;
    return root ? hostBridgeP2pFor(root.vendor, root.deviceId) : "denied";
  }

  /** Sets (or with `undefined` clears) the explicit policy. */
  set p2p(policy: HostBridgeP2p | undefined) {
    if (policy !== undefined && !HOST_BRIDGE_P2P.includes(policy)) {
      throw new RlistError("EINVAL", `unknown host bridge P2P policy ${formatValue(policy)}`);
    }
    this.#p2p = policy;
    this.topology.bumpGeneration();
  }

  /** @internal */
  insertChild(fn: PciFunction): void {
    insertByDevfn(this.#children, fn);
  }
}

/** One PCI function (endpoint, port or bridge), the handle DMA devices and providers refer to. */
export class PciFunction implements Bdf {
  readonly topology: PciTopology;
  readonly hostBridge: HostBridge;
  /** The upstream bridge (`pci_upstream_bridge()`), null on the root bus. */
  readonly parent: PciFunction | null;
  readonly bdf: string;
  readonly domain: number;
  readonly bus: number;
  readonly device: number;
  readonly fn: number;
  readonly devfn: number;
  /** `(domain << 16) | (bus << 8) | devfn`, the kernel's cache key. */
  readonly key: number;
  readonly type: PciPortType;
  readonly vendor: number;
  readonly deviceId: number;
  readonly classCode: number;
  readonly bars: readonly PciBar[];
  readonly #children: PciFunction[] = [];
  readonly #providers = new Map<number, P2pProvider>();
  #acs: number | null;

  /** @internal use {@link PciTopology.addFunction} (`new PciFunction(...)` is `EINVAL`). */
  constructor(
    factory: symbol,
    topology: PciTopology,
    hostBridge: HostBridge,
    parent: PciFunction | null,
    addr: Bdf,
    init: PciFunctionInit,
  ) {
    checkFactory(factory, "PciFunction", "PciTopology.addFunction()");
    this.topology = topology;
    this.hostBridge = hostBridge;
    this.parent = parent;
    this.bdf = formatBdf(addr);
    this.domain = addr.domain;
    this.bus = addr.bus;
    this.device = addr.device;
    this.fn = addr.fn;
    this.devfn = devfnOf(addr);
    this.key = bdfKey(addr);
    this.type = init.type ?? "endpoint";
    this.vendor = init.vendor ?? 0xffff;
    this.deviceId = init.device ?? 0xffff;
    this.classCode = init.classCode ?? (this.isBridge ? 0x060400 : 0);
    this.bars = makeBars(orDefault("bars", init.bars, []));
    this.#acs = normalizeAcs(init.acs);
  }

  /** True for the four kinds that forward to a secondary bus. */
  get isBridge(): boolean {
    return this.type !== "endpoint";
  }

  get children(): readonly PciFunction[] {
    return this.#children;
  }

  /** ACS Control word, or null when the function has no ACS capability. */
  get acsControl(): number | null {
    return this.#acs;
  }

  /** True when ACS redirects peer traffic at this function (`pci_bridge_has_acs_redir()`). */
  get acsRedirect(): boolean {
    return this.#acs !== null && acsRedirects(this.#acs);
  }

  /**
   * Changes the ACS Control word (like writing the register, or `pci=disable_acs_redir=`); `null`
   * removes the capability. `undefined` is no ACS value: `EINVAL`, nothing changed.
   */
  setAcs(acs: number | AcsFlags | null): void {
    if (acs === undefined) {
      throw new RlistError("EINVAL", "ACS must be a u16 control word, flags or null, got undefined");
    }
    this.#acs = acs === null ? null : normalizeAcs(acs);
    this.topology.bumpGeneration();
  }

  /** Memory BAR `index`; `EINVAL` if the function has no such BAR. */
  bar(index: number): PciBar {
    const bar = this.bars.find((b) => b.index === index);
    if (!bar) throw new RlistError("EINVAL", `${this.bdf} has no memory BAR ${formatValue(index)}`);
    return bar;
  }

  /**
   * The P2P provider of BAR `index`, created on first use and then shared
   * (like `pcim_p2pdma_init()` + `pcim_p2pdma_provider()`: one provider per BAR).
   */
  p2pProvider(index: number): P2pProvider {
    let p = this.#providers.get(index);
    if (!p) {
      p = new P2pProvider(FACTORY, this, this.bar(index));
      this.#providers.set(index, p);
    }
    return p;
  }

  /** @internal */
  insertChild(fn: PciFunction): void {
    insertByDevfn(this.#children, fn);
  }
}

export interface PciTopologyOptions {
  /**
   * Like the kernel's `cpu_supports_p2pdma()` (AMD Zen and later): every host bridge path is
   * allowed, whatever the allow-list says. Default false; anything but a boolean is `EINVAL`.
   */
  readonly cpuSupportsP2p?: boolean;
}

/**
 * A PCI hierarchy: host bridges, root ports, switches (upstream + downstream ports) and endpoints
 * with their BARs and ACS settings. Build it from code, from JSON ({@link pciTopologyFromJson}) or
 * from a sysfs tree ({@link node!pciTopologyFromSysfs}). Every change bumps {@link generation}, which
 * invalidates cached P2P map types.
 */
export class PciTopology {
  readonly #hostBridges: HostBridge[] = [];
  readonly #functions = new Map<string, PciFunction>();
  #cpuSupportsP2p: boolean;
  #generation = 0;

  constructor(options: PciTopologyOptions = {}) {
    checkObject("PCI topology options", options);
    const cpuSupportsP2p = options.cpuSupportsP2p;
    checkBoolean("cpuSupportsP2p", cpuSupportsP2p, true);
    this.#cpuSupportsP2p = cpuSupportsP2p ?? false;
  }

  get hostBridges(): readonly HostBridge[] {
    return this.#hostBridges;
  }

  /** All functions, in insertion order. */
  get functions(): IterableIterator<PciFunction> {
    return this.#functions.values();
  }

  get size(): number {
    return this.#functions.size;
  }

  get cpuSupportsP2p(): boolean {
    return this.#cpuSupportsP2p;
  }

  /** `EINVAL` (and nothing changes) for anything but a boolean. */
  set cpuSupportsP2p(value: boolean) {
    checkBoolean("cpuSupportsP2p", value);
    this.#cpuSupportsP2p = value;
    this.bumpGeneration();
  }

  /** Incremented by every change; P2P map-type caches are dropped when it moves. */
  get generation(): number {
    return this.#generation;
  }

  /** @internal */
  bumpGeneration(): void {
    this.#generation++;
  }

  addHostBridge(init: HostBridgeInit = {}): HostBridge {
    checkObject("host bridge init", init);
    const domain = init.domain ?? 0;
    const bus = orDefault("bus", init.bus, 0);
    checkDomain(domain);
    checkBusNumber(bus);
    if (init.p2p !== undefined && !HOST_BRIDGE_P2P.includes(init.p2p)) {
      throw new RlistError("EINVAL", `unknown host bridge P2P policy ${formatValue(init.p2p)}`);
    }
    if (this.#hostBridges.some((h) => h.domain === domain && h.bus === bus)) {
      throw new RlistError("EINVAL", `host bridge for ${domain}:${bus} already exists`);
    }
    if (this.#busOwner(domain, bus) !== undefined) {
      throw new RlistError("EINVAL", `bus ${bus} of domain ${domain} is already a bridge's secondary bus`);
    }
    const hb = new HostBridge(FACTORY, this, domain, bus, init.p2p);
    this.#hostBridges.push(hb);
    this.bumpGeneration();
    return hb;
  }

  /**
   * The host bridge with this domain and root bus, or null. `EINVAL` for a domain that is not a u32
   * or a bus outside 0..255 (no host bridge can have them), as {@link addHostBridge}.
   */
  findHostBridge(domain: number, bus: number): HostBridge | null {
    checkDomain(domain);
    checkBusNumber(bus);
    return this.#hostBridges.find((h) => h.domain === domain && h.bus === bus) ?? null;
  }

  /**
   * Adds a function below `parent` (a host bridge or a bridge function). Validated first, so a bad
   * call changes nothing: the BDF must be new, in the parent's domain, on the host bridge's root
   * bus or on the bridge's one secondary bus, and that bus must not belong to another parent.
   */
  addFunction(parent: HostBridge | PciFunction, init: PciFunctionInit): PciFunction {
    const planned = this.#plan(parent, init, []);
    this.#commit([planned]);
    return planned.fn;
  }

  /**
   * Adds a PCIe switch below `parent`: an upstream port and its downstream ports (each on the
   * upstream port's secondary bus). Returns the ports so endpoints can be added below them. The
   * whole switch is validated before anything is added: a failing call adds nothing, so the
   * corrected call succeeds.
   */
  addSwitch(
    parent: HostBridge | PciFunction,
    init: { upstream: string | PciFunctionInit; downstream: readonly (string | PciFunctionInit)[] },
  ): { upstream: PciFunction; downstream: PciFunction[] } {
    checkObject("switch init", init);
    if (!Array.isArray(init.downstream)) {
      throw new RlistError(
        "EINVAL",
        `switch downstream must be an array, got ${formatValue(init.downstream)}`,
      );
    }
    const asInit = (x: string | PciFunctionInit, type: PciPortType): PciFunctionInit => {
      if (typeof x === "string") return { bdf: x, type };
      checkObject("switch port", x);
      return { ...x, type };
    };
    const plan: Planned[] = [];
    const upstream = this.#plan(parent, asInit(init.upstream, "upstream-port"), plan);
    plan.push(upstream);
    for (const d of init.downstream) plan.push(this.#plan(upstream.fn, asInit(d, "downstream-port"), plan));
    this.#commit(plan);
    return { upstream: upstream.fn, downstream: plan.slice(1).map((p) => p.fn) };
  }

  /**
   * Validates `init` below `parent` (which may itself be planned, not yet added) against the
   * topology and the functions already `planned`, and builds the function without adding it.
   */
  #plan(parent: HostBridge | PciFunction, init: PciFunctionInit, planned: readonly Planned[]): Planned {
    if (!(parent instanceof HostBridge) && !(parent instanceof PciFunction)) {
      throw new RlistError(
        "EINVAL",
        `parent must be a host bridge or a PCI function, got ${formatValue(parent)}`,
      );
    }
    if (parent.topology !== this) throw new RlistError("EINVAL", "parent belongs to another topology");
    checkObject("PCI function init", init);
    const addr = parseBdf(init.bdf);
    const bdf = formatBdf(addr);
    if (this.#functions.has(bdf) || planned.some((p) => p.fn.bdf === bdf)) {
      throw new RlistError("EINVAL", `${bdf} already exists`);
    }
    if (init.type !== undefined && !PORT_TYPES.includes(init.type)) {
      throw new RlistError("EINVAL", `unknown PCI function type ${formatValue(init.type)}`);
    }
    checkId("vendor", init.vendor, 0xffff);
    checkId("device", init.device, 0xffff);
    checkId("classCode", init.classCode, 0xff_ffff);
    const hb = parent instanceof HostBridge ? parent : parent.hostBridge;
    if (addr.domain !== hb.domain) throw new RlistError("EINVAL", `${bdf} is not in domain ${hb.domain}`);
    if (parent instanceof HostBridge) {
      if (addr.bus !== parent.bus) throw new RlistError("EINVAL", `${bdf} is not on root bus ${parent.bus}`);
    } else {
      if (!parent.isBridge)
        throw new RlistError("EINVAL", `${parent.bdf} is an endpoint and has no secondary bus`);
      const sibling = parent.children[0] ?? planned.find((p) => p.parent === parent)?.fn;
      if (sibling && sibling.bus !== addr.bus) {
        throw new RlistError("EINVAL", `${bdf} is not on ${parent.bdf}'s secondary bus ${sibling.bus}`);
      }
      const owner =
        this.#busOwner(addr.domain, addr.bus) ??
        planned.find((p) => p.fn.domain === addr.domain && p.fn.bus === addr.bus)?.parent;
      if (owner !== undefined && owner !== parent) {
        throw new RlistError("EINVAL", `bus ${addr.bus} already belongs to another bridge or host bridge`);
      }
    }
    const fn = new PciFunction(FACTORY, this, hb, parent instanceof HostBridge ? null : parent, addr, init);
    return { fn, parent };
  }

  /** Adds planned functions, parents first (nothing here can fail). */
  #commit(plan: readonly Planned[]): void {
    for (const { fn, parent } of plan) {
      parent.insertChild(fn);
      this.#functions.set(fn.bdf, fn);
      this.bumpGeneration();
    }
  }

  /** The function with this address, or null. */
  find(bdf: string): PciFunction | null {
    return this.#functions.get(formatBdf(parseBdf(bdf))) ?? null;
  }

  /** The function with this address; `EINVAL` if there is none. */
  get(bdf: string): PciFunction {
    const fn = this.find(bdf);
    if (!fn) throw new RlistError("EINVAL", `no PCI function ${bdf}`);
    return fn;
  }

  /** Which parent owns `bus` in `domain`: a host bridge (root bus) or a bridge (secondary bus). */
  #busOwner(domain: number, bus: number): HostBridge | PciFunction | undefined {
    for (const h of this.#hostBridges) if (h.domain === domain && h.bus === bus) return h;
    for (const f of this.#functions.values()) {
      const c = f.children[0];
      if (c && c.domain === domain && c.bus === bus) return f;
    }
    return undefined;
  }
}

/** A function validated and built, not yet in the topology. */
interface Planned {
  readonly fn: PciFunction;
  readonly parent: HostBridge | PciFunction;
}

function checkObject(what: string, value: unknown): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RlistError("EINVAL", `${what} must be an object, got ${formatValue(value)}`);
  }
}

function checkDomain(domain: number): void {
  if (!Number.isInteger(domain) || domain < 0 || domain > 0xffff_ffff) {
    throw new RlistError("EINVAL", `PCI domain must be a u32, got ${formatValue(domain)}`);
  }
}

function checkBusNumber(bus: number): void {
  if (!Number.isInteger(bus) || bus < 0 || bus > 0xff)
    throw new RlistError("EINVAL", `bus must be 0..255, got ${formatValue(bus)}`);
}

function checkId(what: string, value: number | undefined, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > max)) {
    throw new RlistError(
      "EINVAL",
      `${what} must be an integer 0..0x${max.toString(16)}, got ${formatValue(value)}`,
    );
  }
}

function normalizeAcs(acs: number | AcsFlags | undefined): number | null {
  if (acs === undefined) return null;
  if (typeof acs === "number") {
    if (!Number.isInteger(acs) || acs < 0 || acs > 0xffff) {
      throw new RlistError("EINVAL", `ACS control must be a u16, got ${formatValue(acs)}`);
    }
    return acs;
  }
  if (typeof acs !== "object" || acs === null) {
    throw new RlistError("EINVAL", `ACS must be a u16 control word or flags, got ${formatValue(acs)}`);
  }
  return acsControlOf(acs);
}

function makeBars(inits: readonly PciBarInit[]): PciBar[] {
  if (!Array.isArray(inits))
    throw new RlistError("EINVAL", `bars must be an array, got ${formatValue(inits)}`);
  const bars = inits.map((b) => new PciBar(b)).sort((a, b) => a.index - b.index);
  const used = new Set<number>();
  for (const bar of bars) {
    const slots = bar.is64 ? [bar.index, bar.index + 1] : [bar.index];
    for (const s of slots) {
      if (used.has(s)) throw new RlistError("EINVAL", `BAR register ${s} is used twice`);
      used.add(s);
    }
  }
  return bars;
}

function insertByDevfn(list: PciFunction[], fn: PciFunction): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.devfn > fn.devfn) i--;
  list.splice(i, 0, fn);
}
