/**
 * Low-level read view for hot loops in upper layers (DMA mapping, segment splitting): a
 * chunk's entries as the raw u32 words they are stored in, plus decoders small enough for V8
 * to inline. A loop over spans decodes straight from the slab, with no cursor object between,
 * which is what the lab's "raw view" figures measure.
 *
 *     const span = newChunkSpan();
 *     for (let k = 0; list.chunkSpan(k, span); k++) {
 *       const w = span.words;
 *       for (let at = span.start; at < span.end; at += variableUnitsAt(w, at)) {
 *         use(variableLengthAt(w, at), variableBaseAt(w, at));
 *       }
 *     }
 *
 * The decoders do no range checks on the value: above 2^53-1 a length or base comes back
 * rounded (`variableLengthIsSafe` / `variableBaseIsSafe` tell). Spans are valid until the
 * list is truncated or cleared; appends may add entries after `end`.
 */
import type { RangeList } from "./range-list.js";

export interface ChunkSpan {
  /** The slab holding the chunk; the entries are `words[start .. end)`. */
  words: Uint32Array;
  start: number;
  end: number;
  /** Index of the chunk's first entry. */
  firstIndex: number;
  /** Position of the chunk's first entry (a double: exact while <= 2^53-1). */
  position: number;
}

const EMPTY = new Uint32Array(0);

export function newChunkSpan(): ChunkSpan {
  return { words: EMPTY, start: 0, end: 0, firstIndex: 0, position: 0.5 };
}

/** Fills `out` with chunk number `k` of `list`; false when `k >= list.chunkCount`. */
export function chunkSpanOf(list: RangeList, k: number, out: ChunkSpan): boolean {
  const ix = list._ix;
  if (!(k >= 0 && k < ix.length)) return false;
  const id = ix.ids[k] as number;
  const w = list.pool.words(id);
  const hdr = list.pool.wordBase(id);
  out.words = w;
  out.start = hdr + 2;
  out.end = hdr + 2 + (w[hdr + 1] as number);
  out.firstIndex = ix.first[k] as number;
  out.position = ix.pos[k] as number;
  return true;
}

// Variable codec (8/16/24 bytes). Literals, not named constants: see cursor.ts.

/** Units of the variable entry at `at`: 2, 4 or 6 (0 at an END marker). */
export function variableUnitsAt(w: Uint32Array, at: number): number {
  const enc = (w[at] as number) & 3;
  return enc === 0 ? 2 : enc === 1 ? 4 : enc === 2 ? 6 : 0;
}

export function variableLengthAt(w: Uint32Array, at: number): number {
  const h = w[at] as number;
  const enc = h & 3;
  if (enc === 0) return h >>> 4;
  if (enc === 1) return ((w[at + 1] as number) & 0xff) * 0x1000_0000 + (h >>> 4);
  return (w[at + 4] as number) * 0x1000_0000 + (h >>> 4);
}

export function variableBaseAt(w: Uint32Array, at: number): number {
  if (((w[at] as number) & 3) === 0) return w[at + 1] as number;
  return (w[at + 3] as number) * 0x1_0000_0000 + (w[at + 2] as number);
}

export function variableOffsetAt(w: Uint32Array, at: number): number {
  const enc = (w[at] as number) & 3;
  return enc === 0 ? 0 : enc === 1 ? (w[at + 1] as number) >>> 8 : (w[at + 1] as number);
}

export function variableExtraAt(w: Uint32Array, at: number): number {
  return ((w[at] as number) & 3) === 2 ? (w[at + 5] as number) : 0;
}

export function variableLengthIsSafe(w: Uint32Array, at: number): boolean {
  return ((w[at] as number) & 3) !== 2 || (w[at + 4] as number) <= 0x1ff_ffff;
}

export function variableBaseIsSafe(w: Uint32Array, at: number): boolean {
  return ((w[at] as number) & 3) === 0 || (w[at + 3] as number) <= 0x1f_ffff;
}

// fixed16 (every entry is 4 units).

export function fixed16LengthAt(w: Uint32Array, at: number): number {
  return (w[at + 1] as number) * 0x1000_0000 + ((w[at] as number) >>> 4);
}

export function fixed16BaseAt(w: Uint32Array, at: number): number {
  return (w[at + 3] as number) * 0x1_0000_0000 + (w[at + 2] as number);
}

/** 2-bit type of the entry at `at` (both codecs). */
export function typeAt(w: Uint32Array, at: number): number {
  return ((w[at] as number) >>> 2) & 3;
}
