/**
 * The fixed 16-byte codec: the simpler alternative weighed against the variable one.
 * 64-bit base + 60-bit length + 4 flag bits (2-bit tag, 2-bit type) in every entry; no offset
 * or extra (fold an offset into base before encoding).
 * The words are drawn once, in layout.ts, whose accessors read and write them here.
 */

import { writeEndMarker } from "./end-marker.js";
import { RlistError } from "./errors.js";
import {
  fixed16BaseAt,
  fixed16BaseHiAt,
  fixed16BaseIsSafe,
  fixed16BaseLoAt,
  fixed16LengthAt,
  fixed16LengthHiAt,
  fixed16LengthIsSafe,
  lengthLowAt,
  typeAt,
  writeFixed16,
} from "./layout.js";
import { FIXED16_TAG_END, FIXED16_TAG_ENTRY, FIXED16_UNITS } from "./limits.js";
import { newSplit, type Split, splitEntry, splitEntryBig } from "./split.js";
import { storeEntry, storeEntryBig } from "./store.js";
import type { Codec, RangeEntry, RangeEntryBig } from "./types.js";
import { positionError, roomError, truncatedError, unsafeDecodeError } from "./validate.js";

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
  writeFixed16(words, at, s.type, s.lenLo, s.lenHi, s.baseLo, s.baseHi);
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
  if (!fixed16LengthIsSafe(words, at)) throw unsafeDecodeError("length", at);
  if (!fixed16BaseIsSafe(words, at)) throw unsafeDecodeError("base", at);
  storeEntry(out, typeAt(words, at), fixed16LengthAt(words, at), fixed16BaseAt(words, at), 0, 0);
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
    typeAt(words, at),
    (BigInt(fixed16LengthHiAt(words, at)) << 28n) | BigInt(lengthLowAt(words, at)),
    (BigInt(fixed16BaseHiAt(words, at)) << 32n) | BigInt(fixed16BaseLoAt(words, at)),
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
