import { checkU53, formatValue, RlistError } from "@rlist/encoding";
import type { IomemResource } from "./iomem.js";

/**
 * What backs a range of the physical address map.
 * - `ram`: System RAM; its whole pages have a struct page (order-0 folios unless declared larger).
 * - `bar`: a PCI device BAR (MMIO). No struct page unless a P2P provider maps it as ZONE_DEVICE pages.
 * - `reserved`: firmware, ACPI, APIC, ECAM, ROM... Present but neither RAM nor device memory.
 * Addresses in no region are holes.
 */
export type RegionKind = "ram" | "bar" | "reserved";

export interface MemoryRegionInit {
  readonly start: number;
  readonly size: number;
  readonly kind: RegionKind;
  readonly name?: string;
}

/** One range of the physical address map, `[start, end)`. */
export interface MemoryRegion {
  readonly start: number;
  readonly size: number;
  /** Exclusive end: `start + size`. */
  readonly end: number;
  readonly kind: RegionKind;
  readonly name: string;
}

const REGION_KINDS: readonly RegionKind[] = ["ram", "bar", "reserved"];

/** Validates one region description and returns the frozen region. */
export function makeRegion(init: MemoryRegionInit): MemoryRegion {
  if (typeof init !== "object" || init === null) {
    throw new RlistError("EINVAL", `a memory region must be an object, got ${formatValue(init)}`);
  }
  checkU53("region start", init.start);
  checkU53("region size", init.size);
  if (init.size === 0) throw new RlistError("EINVAL", "region size must be > 0");
  checkU53("region end", init.start + init.size);
  if (!REGION_KINDS.includes(init.kind))
    throw new RlistError("EINVAL", `unknown region kind ${formatValue(init.kind)}`);
  if (init.name !== undefined && typeof init.name !== "string") {
    throw new RlistError("EINVAL", `region name must be a string, got ${formatValue(init.name)}`);
  }
  return Object.freeze({
    start: init.start,
    size: init.size,
    end: init.start + init.size,
    kind: init.kind,
    name: init.name ?? init.kind,
  });
}

/** A sorted set of non-overlapping regions with O(log n) lookup. */
export class RegionMap {
  #regions: MemoryRegion[] = [];

  get regions(): readonly MemoryRegion[] {
    return this.#regions;
  }

  /** Adds a region; `EINVAL` (and no change) if it overlaps an existing one. */
  add(region: MemoryRegion): void {
    const i = this.#upperBound(region.start);
    const prev = this.#regions[i - 1];
    const next = this.#regions[i];
    if ((prev && prev.end > region.start) || (next && next.start < region.end)) {
      const other = prev && prev.end > region.start ? prev : next;
      throw new RlistError("EINVAL", `region ${region.name} overlaps region ${other?.name}`);
    }
    this.#regions.splice(i, 0, region);
  }

  /** The region holding `addr`, or null for a hole. */
  find(addr: number): MemoryRegion | null {
    const r = this.#regions[this.#upperBound(addr) - 1];
    return r && addr < r.end ? r : null;
  }

  /**
   * True when `[start, start + size)` is covered without gaps by regions whose kind is in `kinds`
   * (adjacent regions may be chained, e.g. two touching System RAM ranges).
   */
  covers(start: number, size: number, kinds: readonly RegionKind[]): boolean {
    let at = start;
    const end = start + size;
    let i = this.#upperBound(at) - 1;
    while (at < end) {
      const r = this.#regions[i];
      if (!r || r.start > at || r.end <= at || !kinds.includes(r.kind)) return false;
      at = r.end;
      i++;
    }
    return true;
  }

  /** Index of the first region with `start > addr`. */
  #upperBound(addr: number): number {
    let lo = 0;
    let hi = this.#regions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#regions[mid]!.start <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

const BDF = /^[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i;
const PCI_BUS = /^PCI Bus [0-9a-f]{4,}:[0-9a-f]{2}$/i;

/**
 * The physical address map implied by a parsed `/proc/iomem`:
 * top-level "System RAM" becomes `ram`; inside "PCI Bus" windows (recursively, through bridge
 * windows) a resource named by a BDF becomes a `bar` region (the device's BAR; its driver's nested
 * claim is ignored) and any other claim `reserved`; every other top-level line is `reserved`.
 * Unclaimed parts of PCI windows and unlisted addresses stay holes.
 */
export function regionsFromIomem(resources: readonly IomemResource[]): MemoryRegionInit[] {
  if (!Array.isArray(resources)) {
    throw new RlistError(
      "EINVAL",
      `resources must be the array parseIomem returns, got ${formatValue(resources)}`,
    );
  }
  const out: MemoryRegionInit[] = [];
  const region = (r: IomemResource, kind: RegionKind) =>
    out.push({ start: r.start, size: r.end - r.start + 1, kind, name: r.name });
  const walkBus = (bus: IomemResource) => {
    for (const child of bus.children) {
      if (BDF.test(child.name)) region(child, "bar");
      else if (PCI_BUS.test(child.name)) walkBus(child);
      else region(child, "reserved");
    }
  };
  for (const r of resources) {
    if (r.name === "System RAM") region(r, "ram");
    else if (PCI_BUS.test(r.name)) walkBus(r);
    else region(r, "reserved");
  }
  return out;
}
