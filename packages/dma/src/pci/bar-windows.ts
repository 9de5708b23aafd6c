/**
 * The bus windows of every memory BAR of a topology, indexed for "which BARs hold bus address x"
 * (what a switch's routing decides for a peer's TLP). Built once per topology generation, sorted
 * by start in typed arrays and found by binary search.
 *
 * A BAR's bus window is naturally aligned to its power-of-two size, so two windows are either
 * disjoint or nested. Sorted by start (larger first on a tie), the windows holding `x` are the
 * last window starting at or below `x` and its enclosing windows: each window keeps the index of
 * the nearest window around it, and a lookup climbs that chain (as deep as BARs nest, normally 1).
 */
import { MAX_SAFE } from "@rlist/encoding";
import { p2pMapType } from "./p2p-map.js";
import type { P2pProvider } from "./p2p-provider.js";
import type { PciFunction, PciTopology } from "./topology.js";

export class BarWindows {
  /** Topology generation the index was built at. */
  readonly generation: number;
  /** Bus window `[start, end)` of window k (ends clamped to 2^53; windows above 2^53-1 left out). */
  readonly #start: Float64Array;
  readonly #end: Float64Array;
  /** CPU address of the window's first byte (Infinity when above 2^53-1: no safe result). */
  readonly #cpu: Float64Array;
  /** The nearest enclosing window, or -1. */
  readonly #parent: Int32Array;
  /** Topology order (function insertion, then BAR index): the first match in that order wins. */
  readonly #rank: Int32Array;
  readonly #fn: PciFunction[];
  readonly #bar: Uint8Array;
  /** Providers, made on first hit (one per BAR, shared with `PciFunction.p2pProvider`). */
  readonly #providers: (P2pProvider | undefined)[];

  constructor(topology: PciTopology) {
    this.generation = topology.generation;
    const found: { start: number; end: number; cpu: number; rank: number; fn: PciFunction; bar: number }[] =
      [];
    let rank = 0;
    for (const fn of topology.functions) {
      for (const bar of fn.bars) {
        const bus = bar.busAddressBig;
        const r = rank++;
        if (bus > BigInt(MAX_SAFE)) continue; // no safe-integer DMA address can hit it
        const end = bus + bar.sizeBig;
        found.push({
          start: Number(bus),
          end: end > 2n ** 53n ? 2 ** 53 : Number(end),
          cpu: bar.cpuAddressBig > BigInt(MAX_SAFE) ? Number.POSITIVE_INFINITY : Number(bar.cpuAddressBig),
          rank: r,
          fn,
          bar: bar.index,
        });
      }
    }
    found.sort((a, b) => a.start - b.start || b.end - a.end || a.rank - b.rank);
    const n = found.length;
    this.#start = new Float64Array(n);
    this.#end = new Float64Array(n);
    this.#cpu = new Float64Array(n);
    this.#parent = new Int32Array(n);
    this.#rank = new Int32Array(n);
    this.#bar = new Uint8Array(n);
    this.#fn = [];
    this.#providers = new Array<P2pProvider | undefined>(n);
    // Windows nest or are disjoint: a stack of the open windows gives each one its parent.
    const open: number[] = [];
    for (let k = 0; k < n; k++) {
      const w = found[k]!;
      while (open.length > 0 && this.#end[open[open.length - 1]!]! <= w.start) open.pop();
      this.#parent[k] = open.length > 0 ? open[open.length - 1]! : -1;
      open.push(k);
      this.#start[k] = w.start;
      this.#end[k] = w.end;
      this.#cpu[k] = w.cpu;
      this.#rank[k] = w.rank;
      this.#bar[k] = w.bar;
      this.#fn.push(w.fn);
    }
  }

  /** Windows indexed. */
  get size(): number {
    return this.#start.length;
  }

  /**
   * The CPU physical address that bus address `bus`, sent by `client`, reaches in a peer's BAR: the
   * first window (topology order) holding it whose provider `client` reaches with `BUS_ADDR` (the
   * switches route it peer-to-peer). -1 when there is none, or the result is above 2^53-1.
   */
  peerTarget(bus: number, client: PciFunction): number {
    const start = this.#start;
    // Last window starting at or below `bus`.
    let lo = 0;
    let hi = start.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (start[mid]! <= bus) lo = mid + 1;
      else hi = mid;
    }
    let best = -1;
    for (let k = lo - 1; k >= 0; k = this.#parent[k]!) {
      if (bus >= this.#end[k]! || (best >= 0 && this.#rank[k]! > this.#rank[best]!)) continue;
      if (p2pMapType(this.#provider(k), client) === "BUS_ADDR") best = k;
    }
    if (best < 0) return -1;
    const phys = this.#cpu[best]! + (bus - start[best]!);
    return phys <= MAX_SAFE ? phys : -1;
  }

  #provider(k: number): P2pProvider {
    let p = this.#providers[k];
    if (p === undefined) {
      p = this.#fn[k]!.p2pProvider(this.#bar[k]!);
      this.#providers[k] = p;
    }
    return p;
  }
}

const cache = new WeakMap<PciTopology, BarWindows>();

/** The BAR window index of `topology`, rebuilt when its generation has moved since. */
export function barWindows(topology: PciTopology): BarWindows {
  let ix = cache.get(topology);
  if (ix === undefined || ix.generation !== topology.generation) {
    ix = new BarWindows(topology);
    cache.set(topology, ix);
  }
  return ix;
}
