import type { Rng } from "../rng.js";
import { PAGE_SIZE } from "./range-set.js";

/** One "System RAM" region in CPU physical address space, `[start, end)` in bytes. */
export interface RamRegion {
  readonly start: number;
  readonly end: number;
}

/**
 * A typical 16 GiB x86-64 layout (low RAM below the 3 GiB PCI hole, the rest above 4 GiB),
 * used when this machine's /proc/iomem cannot be read.
 */
export const EXAMPLE_RAM: readonly RamRegion[] = [
  { start: 0x0010_0000, end: 0xc000_0000 },
  { start: 0x1_0000_0000, end: 0x4_4000_0000 },
];

/**
 * Draws folio-aligned PFNs uniformly over the RAM regions, weighted by size, the way a
 * fragmented buddy allocator scatters unrelated allocations.
 */
export class PfnPicker {
  readonly #regions: readonly RamRegion[];
  readonly #rng: Rng;

  constructor(regions: readonly RamRegion[], rng: Rng) {
    const usable = regions.filter((r) => r.end - r.start >= 2 * 1024 * 1024);
    if (usable.length === 0) throw new RangeError("no RAM region of at least 2 MiB to draw pages from");
    this.#regions = usable;
    this.#rng = rng;
  }

  /** True when page `pfn` lies in one of the regions (a run may only grow inside RAM). */
  isRam(pfn: number): boolean {
    const a = pfn * PAGE_SIZE;
    return this.#regions.some((r) => a >= r.start && a + PAGE_SIZE <= r.end);
  }

  /** PFN of a random naturally aligned folio of `order` that lies inside one region. */
  folio(order: number): number {
    const { slots, total } = this.#slotsFor(order);
    let k = this.#rng.between(0, total - 1);
    for (const s of slots) {
      if (k < s.n) return (s.first + k) * 2 ** order;
      k -= s.n;
    }
    throw new Error("unreachable: slot index past the last region");
  }

  readonly #slotCache = new Map<number, { slots: { first: number; n: number }[]; total: number }>();

  /** Aligned folio slots per region for `order` (weights for the draw), cached. */
  #slotsFor(order: number) {
    let entry = this.#slotCache.get(order);
    if (entry === undefined) {
      const pages = 2 ** order;
      let total = 0;
      const slots = this.#regions.map((r) => {
        const first = Math.ceil(r.start / PAGE_SIZE / pages);
        const n = Math.max(0, Math.floor(r.end / PAGE_SIZE / pages) - first);
        total += n;
        return { first, n };
      });
      if (total === 0) throw new RangeError(`no room for an order-${order} folio`);
      entry = { slots, total };
      this.#slotCache.set(order, entry);
    }
    return entry;
  }
}
