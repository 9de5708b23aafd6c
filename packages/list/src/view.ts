/**
 * Low-level read view for hot loops in upper layers (DMA mapping, segment splitting): a
 * chunk's entries as the raw u32 words they are stored in, read with `@rlist/encoding`'s layout
 * accessors (`variableLengthAt`, ...; re-exported here), small enough for V8 to inline. A loop over spans decodes straight from the slab, with no cursor object between,
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
