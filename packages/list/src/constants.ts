/**
 * Chunk geometry and numeric constants shared by the pool, the list and its cursors.
 *
 * A chunk is an array of 32-bit units: a 2-unit header (the prototype's 8-byte `next`
 * pointer, here a chunk index plus the count of used entry units), then the entry area.
 */
import { formatValue, RlistError } from "@rlist/encoding";

/** Chunk sizes a pool can carve: BASE_SMALL, the prototype's default, and a page. */
export type ChunkBytes = 128 | 512 | 4096;

/** Units in the chunk header: word 0 = next chunk index, word 1 = entry units in use. */
export const HEADER_UNITS = 2;
/** Header word holding the index of the next chunk of the list ({@link NIL} at the tail). */
export const HDR_NEXT = 0;
/** Header word holding how many entry units are in use (the END marker is not counted). */
export const HDR_USED = 1;

/** "No chunk": the link of the last chunk, and of an empty free list. */
export const NIL = 0xffff_ffff;

/** Largest safe integer, the bound of the `number` API. */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Largest position / total length a list can reach (u64, like the prototype's `position`). */
export const MAX_TOTAL_BIG = (1n << 64n) - 1n;

/** Entry units per chunk: 30, 126 or 1022 (docs/prototype.md#chunks, and its FIXME for 4 KiB chunks). */
export function entryUnits(chunkBytes: number): number {
  if (!isChunkBytes(chunkBytes)) {
    throw new RlistError("EINVAL", `chunkBytes must be 128, 512 or 4096, got ${formatValue(chunkBytes)}`);
  }
  return chunkBytes / 4 - HEADER_UNITS;
}

/** True for the three supported chunk sizes. */
export function isChunkBytes(v: unknown): v is ChunkBytes {
  return v === 128 || v === 512 || v === 4096;
}
