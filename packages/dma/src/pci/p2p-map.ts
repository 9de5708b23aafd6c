import { checkInstance } from "../args.js";
import { P2pProvider } from "./p2p-provider.js";
import { type HostBridge, PciFunction } from "./topology.js";

/**
 * How a client reaches a provider's BAR (`enum pci_p2pdma_map_type`, minus the internal
 * UNKNOWN and the not-P2P NONE):
 * - `BUS_ADDR`: a common upstream switch port forwards the TLPs; program PCI bus addresses,
 *   no IOMMU mapping, nothing to unmap.
 * - `THRU_HOST_BRIDGE`: the traffic goes up to an allowed root complex; map it like ordinary
 *   memory (CPU physical address or IOVA; `DMA_ATTR_MMIO` since 6.18).
 * - `NOT_SUPPORTED`: the path needs a host bridge that is not allowed; mapping fails (`EREMOTEIO`).
 */
export const P2pMapType = {
  NOT_SUPPORTED: "NOT_SUPPORTED",
  BUS_ADDR: "BUS_ADDR",
  THRU_HOST_BRIDGE: "THRU_HOST_BRIDGE",
} as const;
export type P2pMapType = (typeof P2pMapType)[keyof typeof P2pMapType];

/** Diagnostic result of the path walk, like `calc_map_type_and_dist()` with `verbose`. */
export interface P2pPath {
  readonly mapType: P2pMapType;
  /**
   * The kernel's distance: hops from the provider up to the first common upstream device plus hops
   * from the client up to it (0 same function, 2 sibling functions, 4 across a switch). Without a
   * common device it is the two chain lengths added. (`pci_p2pdma_distance()` would report -1
   * instead when the result is NOT_SUPPORTED.)
   */
  readonly distance: number;
  /** First common upstream device (or the function itself), null when only a host bridge joins them. */
  readonly commonUpstream: PciFunction | null;
  /** Functions on the path whose ACS Control redirects peer traffic (RR, CR or EC). */
  readonly acsRedirects: readonly PciFunction[];
  readonly providerHostBridge: HostBridge | null;
  readonly clientHostBridge: HostBridge | null;
  /** Why this map type, in words. */
  readonly reason: string;
  /** The kernel's advice when ACS is in the way: `pci=disable_acs_redir=<bdf>;<bdf>`. */
  readonly hint: string | null;
}

// Cached values, packed as small integers in the per-provider map.
const CODE_NOT_SUPPORTED = 1;
const CODE_BUS_ADDR = 2;
const CODE_THRU_HOST_BRIDGE = 3;
const TYPE_OF_CODE: readonly P2pMapType[] = [
  "NOT_SUPPORTED",
  "NOT_SUPPORTED",
  "BUS_ADDR",
  "THRU_HOST_BRIDGE",
];

/**
 * Walks the PCI tree between `provider`'s owner and `client` (uncached), the way the kernel's
 * `calc_map_type_and_dist()` does: for each upstream device `a` of the provider (itself first), look
 * for `a` on the client's upstream chain; the first hit is the common upstream device. Every device
 * visited on the provider side (the common one included) and every device below the common one on the
 * client side is checked for ACS redirect. A common device with no redirect gives BUS_ADDR; otherwise
 * the traffic goes through the host bridge, which is allowed when the CPU supports it (AMD Zen) or
 * the allow-list accepts the bridge(s), else NOT_SUPPORTED. `client` null (not a PCI device) or in
 * another topology gives NOT_SUPPORTED.
 */
export function p2pPath(provider: P2pProvider, client: PciFunction | null): P2pPath {
  checkProviderAndClient(provider, client);
  const owner = provider.owner;
  if (client === null || client.topology !== owner.topology) {
    return {
      mapType: "NOT_SUPPORTED",
      distance: -1,
      commonUpstream: null,
      acsRedirects: [],
      providerHostBridge: owner.hostBridge,
      clientHostBridge: client?.hostBridge ?? null,
      reason: client === null ? "the client is not a PCI device" : "the client is in another PCI topology",
      hint: null,
    };
  }
  const redirects: PciFunction[] = [];
  let common: PciFunction | null = null;
  let distA = 0;
  let distB = 0;
  for (let a: PciFunction | null = owner; a !== null; a = a.parent, distA++) {
    if (a.acsRedirect) redirects.push(a);
    distB = 0;
    let b: PciFunction | null = client;
    while (b !== null && b !== a) {
      b = b.parent;
      distB++;
    }
    if (b === a) {
      common = a;
      break;
    }
  }
  if (common !== null) {
    for (let b: PciFunction | null = client; b !== null && b !== common; b = b.parent) {
      if (b.acsRedirect) redirects.push(b);
    }
  }
  const base = {
    distance: distA + distB,
    commonUpstream: common,
    providerHostBridge: owner.hostBridge,
    clientHostBridge: client.hostBridge,
  };
  if (common !== null && redirects.length === 0) {
    return {
      ...base,
      mapType: "BUS_ADDR",
      acsRedirects: [],
      reason:
        common === owner ? "same function" : `common upstream device ${common.bdf} forwards peer traffic`,
      hint: null,
    };
  }
  const viaAcs = common !== null;
  const hint = viaAcs ? `pci=disable_acs_redir=${redirects.map((f) => f.bdf).join(";")}` : null;
  const why = viaAcs
    ? `ACS redirect at ${redirects.map((f) => f.bdf).join(", ")} sends the traffic to the root complex`
    : "no common upstream bridge";
  const verdict = hostBridgeVerdict(owner, client);
  return {
    ...base,
    mapType: verdict.allowed ? "THRU_HOST_BRIDGE" : "NOT_SUPPORTED",
    acsRedirects: redirects,
    reason: `${why}; ${verdict.reason}`,
    hint,
  };
}

/** `cpu_supports_p2pdma() || host_bridge_whitelist()`. */
function hostBridgeVerdict(provider: PciFunction, client: PciFunction): { allowed: boolean; reason: string } {
  if (provider.topology.cpuSupportsP2p)
    return { allowed: true, reason: "the CPU supports P2P through its root complexes" };
  const ha = provider.hostBridge;
  const hb = client.hostBridge;
  if (ha === hb) {
    const ok = ha.p2p !== "denied";
    return { allowed: ok, reason: `host bridge ${ha.name} is ${ok ? "allowed" : "not on the allow-list"}` };
  }
  const ok = ha.p2p === "allowed" && hb.p2p === "allowed";
  return {
    allowed: ok,
    reason: ok
      ? `host bridges ${ha.name} and ${hb.name} are both allowed`
      : `host bridges ${ha.name} (${ha.p2p}) and ${hb.name} (${hb.p2p}) do not both allow cross-bridge P2P`,
  };
}

/** Counts path walks, for tests and the lab (the cost the caches avoid). */
export const p2pStats = { walks: 0 };

function checkProviderAndClient(provider: P2pProvider, client: PciFunction | null): void {
  checkInstance("provider", provider, P2pProvider);
  if (client !== null) checkInstance("client", client, PciFunction);
}

/**
 * The map type between `provider` and `client` (like `pci_p2pdma_map_type()`), cached per provider
 * and client as the kernel does in the provider's `map_types` xarray. The cache is dropped when the
 * topology changes (its generation moves).
 */
export function p2pMapType(provider: P2pProvider, client: PciFunction | null): P2pMapType {
  checkProviderAndClient(provider, client);
  if (client === null || client.topology !== provider.owner.topology) return "NOT_SUPPORTED";
  const gen = client.topology.generation;
  if (provider.mapTypesGeneration !== gen) {
    provider.mapTypes.clear();
    provider.mapTypesGeneration = gen;
  }
  const cached = provider.mapTypes.get(client.key);
  if (cached !== undefined) return TYPE_OF_CODE[cached]!;
  p2pStats.walks++;
  const type = p2pPath(provider, client).mapType;
  provider.mapTypes.set(
    client.key,
    type === "BUS_ADDR"
      ? CODE_BUS_ADDR
      : type === "THRU_HOST_BRIDGE"
        ? CODE_THRU_HOST_BRIDGE
        : CODE_NOT_SUPPORTED,
  );
  return type;
}

/**
 * The per-mapping "last provider" cache (the prototype's `p2pdma_provider_map_cache`, upstream's
 * `pci_p2pdma_map_state`): a mapping loop calls {@link lookup} per entry and only consults
 * {@link p2pMapType} when the provider differs from the previous entry's.
 */
export class P2pMapCache {
  readonly client: PciFunction | null;
  provider: P2pProvider | null = null;
  mapType: P2pMapType = "NOT_SUPPORTED";
  /** How many times the provider changed (calls into {@link p2pMapType}). */
  lookups = 0;

  constructor(client: PciFunction | null) {
    if (client !== null) checkInstance("client", client, PciFunction);
    this.client = client;
  }

  lookup(provider: P2pProvider): P2pMapType {
    // `null` equals the cache's empty state, so it is checked before the cache can answer it
    if (provider !== this.provider || provider === null) {
      const type = p2pMapType(provider, this.client); // checks provider before the cache changes
      this.provider = provider;
      this.mapType = type;
      this.lookups++;
    }
    return this.mapType;
  }

  /** Forgets the last provider (start of a new mapping). */
  reset(): void {
    this.provider = null;
    this.mapType = "NOT_SUPPORTED";
  }
}
