/**
 * The scatterlist-era way a dma-buf exporter hands out a DMA range without struct pages: an
 * `sg_table` whose entries carry only `dma_address` / `dma_length` (page_link NULL), one entry per
 * UINT_MAX bytes because `dma_length` is a u32 (`fill_sg_entry()` in drivers/dma-buf/dma-buf-mapping.c).
 * Kept as a comparison figure for {@link DmaBufExporter}, whose DMA range list holds a 64 GiB BAR
 * in one entry.
 *
 * The helper once computed each entry's address as `addr + i * UINT_MAX` in 32-bit arithmetic, so
 * from the third entry on (buffers of 8 GiB and more) the address wrapped back into the second
 * entry (fixed in 6.19-rc1 with a 64-bit cast). `asWritten: true` reproduces that for
 * regression figures (docs/rdma-dmabuf.md#splitting-at-uint_max, vector DMABUF-1).
 */
import { formatValue, RlistError } from "@rlist/encoding";
import { checkCursor, orDefault } from "../args.js";
import type { DmaEntryCursor } from "../dma-list/dma-entries.js";

/** `dma_length` is a u32: the largest scatterlist DMA segment. */
export const UINT_MAX = 0xffff_ffff;

const U64 = 1n << 64n;

/**
 * Most entries {@link sgSplit} / {@link sgSplitBig} build (65536: 256 TiB at UINT_MAX each, far past
 * any BAR). A longer range is refused with `ENOMEM` before anything is built: the output would grow
 * with the input value (2^64 bytes would need 2^32 + 1 entries). Count with {@link sgSplitCount}.
 */
export const SG_SPLIT_MAX_ENTRIES = 65536;

/** Entries a `length`-byte DMA range needs when split at UINT_MAX. */
export function sgSplitCount(length: number): number {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RlistError(
      typeof length === "number" ? "ERANGE" : "EINVAL",
      `length must be a safe non-negative integer, got ${formatValue(length)}`,
    );
  }
  return Math.ceil(length / UINT_MAX);
}

export interface SgSplitOptions {
  /** Reproduce the pre-6.19 `i * UINT_MAX` u32 overflow. Default false. */
  readonly asWritten?: boolean;
}

/**
 * The `(dma_address, dma_length)` entries of `[addr, addr + length)` split at UINT_MAX, exact over
 * 64 bits. DMABUF-1: 8 GiB at A gives (A, 0xFFFFFFFF), (A + 0xFFFFFFFF, 0xFFFFFFFF),
 * (A + 0x1FFFFFFFE, 2).
 */
export function sgSplitBig(
  addr: bigint,
  length: bigint,
  options: SgSplitOptions = {},
): Array<[bigint, bigint]> {
  if (typeof addr !== "bigint" || typeof length !== "bigint") {
    throw new RlistError(
      "EINVAL",
      `sgSplitBig takes bigints, got ${formatValue(addr)}, ${formatValue(length)}`,
    );
  }
  const asWritten = checkOptions(options);
  if (addr < 0n || addr >= U64 || length < 0n || addr + length > U64) {
    throw new RlistError("ERANGE", "the range must lie inside the 64-bit DMA address space");
  }
  const max = BigInt(UINT_MAX);
  checkEntries((length + max - 1n) / max);
  const out: Array<[bigint, bigint]> = [];
  let left = length;
  for (let i = 0n; left > 0n; i++) {
    const len = left < max ? left : max;
    const step = asWritten ? (i * max) & 0xffff_ffffn : i * max;
    out.push([(addr + step) % U64, len]);
    left -= len;
  }
  return out;
}

/** {@link sgSplitBig} with `number`s; `ERANGE` when an address would pass 2^53 - 1. */
export function sgSplit(addr: number, length: number, options: SgSplitOptions = {}): Array<[number, number]> {
  if (typeof addr !== "number" || typeof length !== "number") {
    throw new RlistError("EINVAL", `sgSplit takes numbers, got ${formatValue(addr)}, ${formatValue(length)}`);
  }
  const asWritten = checkOptions(options);
  for (const [name, v] of [
    ["addr", addr],
    ["length", length],
    ["addr + length", addr + length],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RlistError("ERANGE", `${name} must be a safe non-negative integer, got ${formatValue(v)}`);
    }
  }
  checkEntries(BigInt(Math.ceil(length / UINT_MAX)));
  const out: Array<[number, number]> = [];
  let left = length;
  for (let i = 0; left > 0; i++) {
    const len = Math.min(left, UINT_MAX);
    // i * UINT_MAX stays exact below 2^53; the AS-WRITTEN form keeps only its low 32 bits
    // (`>>> 0`: the exact mod 2^32, no float remainder).
    const step = asWritten ? (i * UINT_MAX) >>> 0 : i * UINT_MAX;
    out.push([addr + step, len]);
    left -= len;
  }
  return out;
}

/**
 * Scatterlist entries the scatterlist-era exporter would need for the same DMA list: every entry
 * split at UINT_MAX. A 64 GiB BAR is one range-list entry and 17 scatterlist entries.
 */
export function sgEntriesForDmaList(entries: DmaEntryCursor): number {
  checkCursor("entries", entries);
  let n = 0;
  for (let ok = entries.reset(); ok; ok = entries.next()) n += sgSplitCount(entries.length);
  return n;
}

function checkOptions(options: SgSplitOptions): boolean {
  if (typeof options !== "object" || options === null) {
    throw new RlistError("EINVAL", `split options must be an object, got ${formatValue(options)}`);
  }
  const asWritten = orDefault("asWritten", options.asWritten, false);
  if (typeof asWritten !== "boolean") {
    throw new RlistError("EINVAL", `asWritten must be a boolean, got ${formatValue(asWritten)}`);
  }
  return asWritten;
}

function checkEntries(entries: bigint): void {
  if (entries > BigInt(SG_SPLIT_MAX_ENTRIES)) {
    throw new RlistError(
      "ENOMEM",
      `the split would need ${entries} scatterlist entries, more than SG_SPLIT_MAX_ENTRIES (${SG_SPLIT_MAX_ENTRIES})`,
    );
  }
}
