/**
 * toBytes() / fromBytes(): a list's chunks, in list order, behind a small header, so a list
 * reloads byte-exactly (reload then toBytes() gives the same bytes).
 *
 * Layout (little-endian u32 words):
 *
 * | word | field                                             |
 * |------|---------------------------------------------------|
 * | 0    | magic 0x54534C52 ("RLST")                         |
 * | 1    | format version (1)                                |
 * | 2    | codec: 0 variable, 1 fixed16                      |
 * | 3    | chunk size in bytes (128, 512, 4096)              |
 * | 4    | number of chunks n                                |
 * | 5-6  | entry count (lo, hi)                              |
 * | 7-8  | total length (lo, hi)                             |
 * | 9    | FNV-1a checksum of the chunk words                |
 * | 10.. | n chunks of chunkBytes/4 words each               |
 *
 * In a serialised chunk, header word 0 is the ordinal of the next chunk (or 0xFFFFFFFF for the
 * last), word 1 the used units; the END marker follows the entries when room is left, and
 * every word after it is 0. Loading checks all of this, and that the packing and the forms
 * are exactly those appends produce, so a loaded list behaves like the original.
 */
import { encodingAt, hi32, join32, RlistError, variableUnitsAt } from "@rlist/encoding";
import {
  entryUnits,
  HDR_NEXT,
  HDR_USED,
  HEADER_UNITS,
  isChunkBytes,
  MAX_SAFE,
  MAX_TOTAL_BIG,
  NIL,
} from "./constants.js";
import type { RangeList } from "./range-list.js";
import { newRaw, rawLength, rawLengthBig, readFixed16, readVariable, variableUnits } from "./raw.js";

export const MAGIC = 0x5453_4c52;
export const FORMAT_VERSION = 1;
export const IMAGE_HEADER_WORDS = 10;

/** A validated serialised list, ready to be copied into pool chunks. */
export interface ListImage {
  codec: "variable" | "fixed16";
  chunkBytes: 128 | 512 | 4096;
  nChunks: number;
  /** The chunk words as serialised (links are ordinals). */
  words: Uint32Array;
  pos: Float64Array;
  first: Float64Array;
  /** Exact chunk start positions, only when the total is above 2^53-1. */
  posBig: BigUint64Array | null;
  count: number;
  total: number;
  totalBig: bigint;
  tailUsed: number;
  lastAt: number;
}

/** FNV-1a of `words[from..to)`: the image checksum. */
export function checksum(words: Uint32Array, from: number, to: number): number {
  let h = 0x811c_9dc5;
  for (let i = from; i < to; i++) {
    h ^= words[i] as number;
    h = Math.imul(h, 0x0100_0193);
  }
  return h >>> 0;
}

export function bad(msg: string): RlistError {
  return new RlistError("EINVAL", `fromBytes: ${msg}`);
}

export function listToBytes(list: RangeList): Uint8Array {
  const ix = list._ix;
  const n = ix.length;
  const cw = list.chunkBytes / 4;
  const cap = list.unitsPerChunk;
  const out = new Uint32Array(IMAGE_HEADER_WORDS + n * cw);
  for (let k = 0; k < n; k++) {
    const id = ix.ids[k] as number;
    const w = list.pool.words(id);
    const hdr = list.pool.wordBase(id);
    const used = w[hdr + HDR_USED] as number;
    const o = IMAGE_HEADER_WORDS + k * cw;
    out[o + HDR_NEXT] = k + 1 < n ? k + 1 : NIL;
    out[o + HDR_USED] = used;
    out.set(w.subarray(hdr + HEADER_UNITS, hdr + HEADER_UNITS + used), o + HEADER_UNITS);
    if (used < cap) out[o + HEADER_UNITS + used] = 3;
  }
  const count = list._count;
  const total = list._totalExact();
  out[0] = MAGIC;
  out[1] = FORMAT_VERSION;
  out[2] = list._fixed ? 1 : 0;
  out[3] = list.chunkBytes;
  out[4] = n;
  out[5] = count >>> 0;
  out[6] = hi32(count);
  out[7] = Number(total & 0xffff_ffffn);
  out[8] = Number(total >> 32n);
  out[9] = checksum(out, IMAGE_HEADER_WORDS, out.length);
  return new Uint8Array(out.buffer);
}

/** A serialised list's header, checked, and its words (header included). */
export interface ImageHeader {
  words: Uint32Array;
  fixed: boolean;
  chunkBytes: 128 | 512 | 4096;
  nChunks: number;
  count: number;
  totalHdr: bigint;
}

/** Checks everything up to the chunks: type, length, magic, version, codec, chunk size, size. */
export function readHeader(bytes: unknown): ImageHeader {
  if (!(bytes instanceof Uint8Array)) throw bad("input must be a Uint8Array");
  if (bytes.byteLength < IMAGE_HEADER_WORDS * 4 || bytes.byteLength % 4 !== 0) {
    throw bad(`length ${bytes.byteLength} is not a header plus whole words`);
  }
  const words =
    bytes.byteOffset % 4 === 0
      ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
      : new Uint32Array(bytes.slice().buffer);
  if (words[0] !== MAGIC) throw bad("bad magic");
  if (words[1] !== FORMAT_VERSION) throw bad(`unsupported version ${words[1]}`);
  const codecId = words[2] as number;
  if (codecId !== 0 && codecId !== 1) throw bad(`unknown codec ${codecId}`);
  const chunkBytes = words[3] as number;
  if (!isChunkBytes(chunkBytes)) throw bad(`bad chunk size ${chunkBytes}`);
  const n = words[4] as number;
  if (words.length !== IMAGE_HEADER_WORDS + n * (chunkBytes / 4)) {
    throw bad(`${n} chunks of ${chunkBytes} bytes do not match the input length`);
  }
  return {
    words,
    fixed: codecId === 1,
    chunkBytes,
    nChunks: n,
    count: join32(words[6] as number, words[5] as number),
    totalHdr: (BigInt(words[8] as number) << 32n) | BigInt(words[7] as number),
  };
}

/** The checks after the chunk walk: entry count and total against the header. */
export function checkTotals(hdr: ImageHeader, seen: number, exact: bigint): void {
  if (seen !== hdr.count) throw bad(`header says ${hdr.count} entries, chunks hold ${seen}`);
  if (exact !== hdr.totalHdr) {
    throw bad(`header total ${hdr.totalHdr} does not match the entries' ${exact}`);
  }
}

/**
 * Validates `bytes` completely; throws EINVAL (nothing allocated from any pool). The TypeScript
 * reference of the validation kernel (assembly/list.ts: validateChunks, fnv1a), which makes the
 * same checks in the same order, so both report the same first error.
 */
export function readImageReference(bytes: unknown): ListImage {
  const hdr = readHeader(bytes);
  const { words, fixed, chunkBytes, nChunks: n } = hdr;
  const cw = chunkBytes / 4;
  if (checksum(words, IMAGE_HEADER_WORDS, words.length) !== words[9]) throw bad("checksum mismatch");
  const cap = entryUnits(chunkBytes);
  const pos = new Float64Array(n);
  const first = new Float64Array(n);
  const posBigs = new BigUint64Array(n);
  const r = newRaw();
  let seen = 0;
  let total = 0;
  let big = false;
  let totalBig = 0n;
  let prevUsed = 0;
  let lastAt = -1;
  for (let k = 0; k < n; k++) {
    const o = IMAGE_HEADER_WORDS + k * cw;
    const area = o + HEADER_UNITS;
    if (words[o + HDR_NEXT] !== (k + 1 < n ? k + 1 : NIL)) throw bad(`chunk ${k}: bad next link`);
    const used = words[o + HDR_USED] as number;
    if (used === 0 || used > cap) throw bad(`chunk ${k}: used units ${used} not in 1..${cap}`);
    pos[k] = big ? Number(totalBig) : total;
    first[k] = seen;
    posBigs[k] = big ? totalBig : BigInt(total);
    let at = 0;
    while (at < used) {
      let units = 4;
      if (fixed) {
        if (encodingAt(words, area + at) !== 0) throw bad(`chunk ${k} unit ${at}: bad fixed16 tag`);
      } else {
        units = variableUnitsAt(words, area + at);
        if (units === 0) throw bad(`chunk ${k} unit ${at}: END marker inside the used area`);
      }
      // Checked before the entry is read, so no read leaves the used area.
      if (at + units > used) throw bad(`chunk ${k} unit ${at}: entry crosses the used area`);
      if (fixed) readFixed16(words, area + at, r);
      else {
        readVariable(words, area + at, r);
        if (variableUnits(r) !== units) throw bad(`chunk ${k} unit ${at}: entry not in its smallest form`);
      }
      if (at === 0 && k > 0 && prevUsed + units <= cap) {
        throw bad(`chunk ${k}: its first entry would have fit chunk ${k - 1} (not append packing)`);
      }
      if (!big) {
        const t = total + rawLength(r);
        if (t > MAX_SAFE) {
          big = true;
          totalBig = BigInt(total) + rawLengthBig(r);
        } else {
          total = t;
        }
      } else {
        totalBig += rawLengthBig(r);
      }
      if (totalBig > MAX_TOTAL_BIG) throw bad("total length passes 2^64-1");
      lastAt = at;
      at += units;
      seen++;
    }
    if (used < cap) {
      if (words[area + used] !== 3) throw bad(`chunk ${k}: missing END marker`);
      for (let i = area + used + 1; i < o + cw; i++) {
        if (words[i] !== 0) throw bad(`chunk ${k}: non-zero word after the END marker`);
      }
    }
    prevUsed = used;
  }
  checkTotals(hdr, seen, big ? totalBig : BigInt(total));
  return {
    codec: fixed ? "fixed16" : "variable",
    chunkBytes,
    nChunks: n,
    words: words.subarray(IMAGE_HEADER_WORDS),
    pos,
    first,
    posBig: big ? posBigs : null,
    count: hdr.count,
    total: big ? Number(totalBig) : total,
    totalBig: big ? totalBig : 0n,
    tailUsed: prevUsed,
    lastAt,
  };
}
