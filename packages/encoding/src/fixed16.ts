/**
 * The fixed 16-byte codec: the simpler alternative weighed against the variable one.
 * 64-bit base + 60-bit length + 4 flag bits (2-bit tag, 2-bit type) in every entry; no offset
 * or extra (fold an offset into base before encoding).
 *
 * | word | bits 0-1         | bits 2-3 | bits 4-31          |
 * |------|------------------|----------|--------------------|
 * | w0   | tag (0 entry, 3 end) | type | length bits 0..27  |
 * | w1   | length bits 28..59 (32 bits)                     |
 * | w2   | base bits 0..31                                  |
 * | w3   | base bits 32..63                                 |
 */

import { writeEndMarker } from "./end-marker.js";
import { RlistError } from "./errors.js";
import { FIXED16_TAG_END, FIXED16_TAG_ENTRY, FIXED16_UNITS } from "./limits.js";
import { newSplit, type Split, splitEntry, splitEntryBig } from "./split.js";
import { storeEntry, storeEntryBig } from "./store.js";
import type { Codec, RangeEntry, RangeEntryBig } from "./types.js";
import { positionError, roomError, truncatedError, unsafeDecodeError } from "./validate.js";

// Module-local copies of LENGTH_LOW_SPAN / U32_SPAN (limits.ts): V8 re-reads an imported const from
// its module cell on every use, which measured ~10% slower decode of the 16/24-byte forms.
const TWO28 = 0x1000_0000;
const TWO32 = 0x1_0000_0000;
const SAFE_LEN_HI = 0x1ff_ffff;
const SAFE_BASE_HI = 0x1f_ffff;

const scratch = newSplit();

function noOffsetExtra(s: Split): void {
  if (s.offset !== 0 || s.extra !== 0) {
    throw new RlistError(
      "ERANGE",
      `fixed16 stores no offset or extra (got offset ${s.offset}, extra ${s.extra}): ` +
        "fold the offset into base (base + offset) and keep extra elsewhere, or use the variable codec",
    );
  }
}

function writeSplit(words: Uint32Array, at: number, s: Split): number {
  noOffsetExtra(s);
  if (
    !(words instanceof Uint32Array && Number.isInteger(at) && at >= 0 && at + FIXED16_UNITS <= words.length)
  ) {
    throw roomError(words, at, FIXED16_UNITS);
  }
  words[at] = (s.lenLo << 4) | (s.type << 2) | FIXED16_TAG_ENTRY;
  words[at + 1] = s.lenHi;
  words[at + 2] = s.baseLo;
  words[at + 3] = s.baseHi;
  return FIXED16_UNITS;
}

function unitsFor(e: RangeEntry): number {
  splitEntry(e, scratch);
  noOffsetExtra(scratch);
  return FIXED16_UNITS;
}

function unitsForBig(e: RangeEntryBig): number {
  splitEntryBig(e, scratch);
  noOffsetExtra(scratch);
  return FIXED16_UNITS;
}

function encode(words: Uint32Array, at: number, e: RangeEntry): number {
  splitEntry(e, scratch);
  return writeSplit(words, at, scratch);
}

function encodeBig(words: Uint32Array, at: number, e: RangeEntryBig): number {
  splitEntryBig(e, scratch);
  return writeSplit(words, at, scratch);
}

function badTag(h: number, at: number): RlistError {
  return new RlistError(
    "EINVAL",
    `fixed16 word 0x${h.toString(16).padStart(8, "0")} at unit ${at} has invalid tag ${h & 3}`,
  );
}

function decode(words: Uint32Array, at: number, out: RangeEntry): number {
  if (
    !(
      words instanceof Uint32Array &&
      Number.isInteger(at) &&
      at >= 0 &&
      at < words.length &&
      typeof out === "object" &&
      out !== null
    )
  ) {
    throw positionError(words, at, out);
  }
  const h = words[at] as number;
  const tag = h & 3;
  if (tag === FIXED16_TAG_END) return 0;
  if (tag !== FIXED16_TAG_ENTRY) throw badTag(h, at);
  if (at + FIXED16_UNITS > words.length) throw truncatedError(words, at, FIXED16_UNITS);
  const lenHi = words[at + 1] as number;
  const baseHi = words[at + 3] as number;
  if (lenHi > SAFE_LEN_HI) throw unsafeDecodeError("length", at);
  if (baseHi > SAFE_BASE_HI) throw unsafeDecodeError("base", at);
  storeEntry(out, (h >>> 2) & 3, lenHi * TWO28 + (h >>> 4), baseHi * TWO32 + (words[at + 2] as number), 0, 0);
  return FIXED16_UNITS;
}

function decodeBig(words: Uint32Array, at: number, out: RangeEntryBig): number {
  if (
    !(
      words instanceof Uint32Array &&
      Number.isInteger(at) &&
      at >= 0 &&
      at < words.length &&
      typeof out === "object" &&
      out !== null
    )
  ) {
    throw positionError(words, at, out);
  }
  const h = words[at] as number;
  const tag = h & 3;
  if (tag === FIXED16_TAG_END) return 0;
  if (tag !== FIXED16_TAG_ENTRY) throw badTag(h, at);
  if (at + FIXED16_UNITS > words.length) throw truncatedError(words, at, FIXED16_UNITS);
  storeEntryBig(
    out,
    (h >>> 2) & 3,
    (BigInt(words[at + 1] as number) << 28n) | BigInt(h >>> 4),
    (BigInt(words[at + 3] as number) << 32n) | BigInt(words[at + 2] as number),
    0,
    0,
  );
  return FIXED16_UNITS;
}

/**
 * Fixed 16-byte entries (bio_vec-sized): every entry is 4 units, so unit index = 4 * entry
 * index and a cursor never has to look at a header to find the next entry.
 */
export const fixed16Codec: Codec = Object.freeze({
  name: "fixed16",
  unitsFor,
  unitsForBig,
  encode,
  decode,
  encodeBig,
  decodeBig,
  writeEndMarker,
  endMarkerUnits: 1,
  maxUnits: FIXED16_UNITS,
});
