/**
 * The IOTLB of a lazy (flush-queue) domain: translations the device has used, cached per leaf
 * (4 KiB, 2 MiB or 1 GiB), as the IOMMU hardware keeps them. A walk fills it; it forgets an entry
 * only when software invalidates it (`iommu_iotlb_sync()` of a gathered range in strict unmaps,
 * `flush_iotlb_all()` when the flush queue flushes) or when it is full (oldest entry first, if a
 * capacity is set). Nothing else: a cached translation keeps working after its PTE is cleared,
 * which is exactly the window lazy invalidation opens.
 *
 * Strict domains need no model of it: every unmap invalidates what it cleared before returning.
 */
import { checkU53, formatValue, RlistError } from "@rlist/encoding";
import { checkObject } from "../args.js";
import { levelSizeAt, type PteLookup } from "./page-table.js";

/** Key of the leaf at `pageIova` of level `level`: exact below 2^53 for IOVAs below 2^48. */
function keyOf(pageIova: number, level: number): number {
  return (pageIova / 4096) * 4 + level;
}

interface IotlbEntry {
  readonly phys: number;
  readonly prot: number;
}

export class Iotlb {
  /** Cached leaves in fill order (Map keeps insertion order: the oldest is first). */
  readonly #entries = new Map<number, IotlbEntry>();
  readonly #capacity: number;
  /** Leaves cached per level (4K, 2M, 1G), so a lookup skips levels with none. */
  readonly #perLevel = [0, 0, 0];

  /** `capacity`: entries kept at most (0: unbounded, an IOTLB that forgets nothing). */
  constructor(capacity = 0) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new RlistError("EINVAL", `IOTLB capacity ${String(capacity)} is not a non-negative integer`);
    }
    this.#capacity = capacity;
  }

  /** Cached leaves. */
  get size(): number {
    return this.#entries.size;
  }

  /** Fills `out` from a cached leaf covering `iova` and returns true, or returns false (a miss). */
  lookup(iova: number, out: PteLookup): boolean {
    checkU53("iova", iova);
    checkObject("out", out);
    if (this.#entries.size === 0) return false;
    for (let level = 0; level < 3; level++) {
      if (this.#perLevel[level] === 0) continue;
      const span = levelSizeAt(level);
      const off = (iova >>> 0) & (span - 1); // leaves are at most 1 GiB: exact, integer-only
      const e = this.#entries.get(keyOf(iova - off, level));
      if (e === undefined) continue;
      out.phys = e.phys + off;
      out.pageSize = span;
      out.pageIova = iova - off;
      out.prot = e.prot;
      return true;
    }
    return false;
  }

  /** Caches the leaf a walk found (`out` of a successful page-table lookup). */
  fill(leaf: PteLookup): void {
    checkObject("leaf", leaf);
    checkU53("leaf.phys", leaf.phys);
    checkU53("leaf.pageIova", leaf.pageIova);
    if (leaf.pageSize !== 0x1000 && leaf.pageSize !== 0x20_0000 && leaf.pageSize !== 0x4000_0000) {
      throw new RlistError(
        "EINVAL",
        `leaf.pageSize ${formatValue(leaf.pageSize)} is not 4 KiB, 2 MiB or 1 GiB`,
      );
    }
    if (!Number.isInteger(leaf.prot) || leaf.prot < 0 || leaf.prot > 0xff) {
      throw new RlistError("EINVAL", `leaf.prot ${formatValue(leaf.prot)} is not IOMMU protection bits`);
    }
    const level = leaf.pageSize === 0x1000 ? 0 : leaf.pageSize === 0x20_0000 ? 1 : 2;
    const key = keyOf(leaf.pageIova, level);
    if (this.#entries.has(key)) return;
    if (this.#capacity !== 0 && this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next().value as number;
      this.#entries.delete(oldest);
      this.#perLevel[(oldest >>> 0) & 3]!--;
    }
    this.#entries.set(key, { phys: leaf.phys - ((leaf.phys >>> 0) & (leaf.pageSize - 1)), prot: leaf.prot });
    this.#perLevel[level]!++;
  }

  /** Drops every cached leaf that overlaps `[start, end)` (a ranged invalidation). */
  invalidateRange(start: number, end: number): void {
    checkU53("start", start);
    checkU53("end", end);
    if (this.#entries.size === 0 || end <= start) return;
    for (const key of this.#entries.keys()) {
      const level = (key >>> 0) & 3;
      const pageIova = ((key - level) / 4) * 4096;
      if (pageIova < end && pageIova + levelSizeAt(level) > start) {
        this.#entries.delete(key);
        this.#perLevel[level]!--;
      }
    }
  }

  /** Drops everything (`flush_iotlb_all()`). */
  invalidateAll(): void {
    this.#entries.clear();
    this.#perLevel.fill(0);
  }

  /** Cached leaves as [iova, phys, size, prot], oldest first (tests and reports). */
  entries(): Array<[number, number, number, number]> {
    const out: Array<[number, number, number, number]> = [];
    for (const [key, e] of this.#entries) {
      const level = (key >>> 0) & 3;
      out.push([((key - level) / 4) * 4096, e.phys, levelSizeAt(level), e.prot]);
    }
    return out;
  }
}
