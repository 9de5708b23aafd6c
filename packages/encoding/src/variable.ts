/**
 * The variable codec: the 2023 prototype's 8/16/24-byte entries, bit-exact on little-endian
 * (docs/prototype.md#entry-encoding), with the end marker in the `encoding` field (value 3) instead
 * of `type` (docs/prototype.md#the-end-marker).
 *
 * | form | units | w0     | w1                             | w2-3       | w4                | w5    |
 * |------|-------|--------|--------------------------------|------------|-------------------|-------|
 * | 8 B  | 2     | header | base (u32)                     | -          | -                 | -     |
 * | 16 B | 4     | header | length bits 28..35, offset<<8  | base u64   | -                 | -     |
 * | 24 B | 6     | header | offset (u32)                   | base u64   | length bits 28..59| extra |
 */

import { writeEndMarker } from "./end-marker.js";
import type { VariableForm } from "./limits.js";
import { ENCODING_8, ENCODING_16, ENCODING_24, VAR8_UNITS, VAR16_UNITS, VAR24_UNITS } from "./limits.js";
import { newSplit, type Split, splitEntry, splitEntryBig } from "./split.js";
import { storeEntry, storeEntryBig } from "./store.js";
import type { Codec, RangeEntry, RangeEntryBig } from "./types.js";
import { positionError, roomError, truncatedError, unsafeDecodeError } from "./validate.js";

// Module-local copies of LENGTH_LOW_SPAN / U32_SPAN (limits.ts): V8 re-reads an imported const from
// its module cell on every use, which measured ~10% slower decode of the 16/24-byte forms.
const TWO28 = 0x1000_0000;
const TWO32 = 0x1_0000_0000;
/** Largest length bits 28..59 / base high word whose value stays <= 2^53-1. */
const SAFE_LEN_HI = 0x1ff_ffff;
const SAFE_BASE_HI = 0x1f_ffff;

const scratch = newSplit();

/** The selection rule (docs/prototype.md#choosing-a-form) over split fields: first form that fits of 8, 16, 24. */
function unitsOfSplit(s: Split): number {
  if (s.extra !== 0) return VAR24_UNITS;
  if (s.offset === 0 && s.lenHi === 0 && s.baseHi === 0) return VAR8_UNITS;
  if (s.lenHi <= 0xff && s.offset <= 0xff_ffff) return VAR16_UNITS;
  return VAR24_UNITS;
}

function writeSplit(words: Uint32Array, at: number, s: Split): number {
  const units = unitsOfSplit(s);
  if (!(words instanceof Uint32Array && Number.isInteger(at) && at >= 0 && at + units <= words.length)) {
    throw roomError(words, at, units);
  }
  const low = (s.lenLo << 4) | (s.type << 2);
  if (units === VAR8_UNITS) {
    words[at] = low | ENCODING_8;
    words[at + 1] = s.baseLo;
  } else if (units === VAR16_UNITS) {
    words[at] = low | ENCODING_16;
    words[at + 1] = s.lenHi | (s.offset << 8);
    words[at + 2] = s.baseLo;
    words[at + 3] = s.baseHi;
  } else {
    words[at] = low | ENCODING_24;
    words[at + 1] = s.offset;
    words[at + 2] = s.baseLo;
    words[at + 3] = s.baseHi;
    words[at + 4] = s.lenHi;
    words[at + 5] = s.extra;
  }
  return units;
}

function unitsFor(e: RangeEntry): number {
  splitEntry(e, scratch);
  return unitsOfSplit(scratch);
}

function unitsForBig(e: RangeEntryBig): number {
  splitEntryBig(e, scratch);
  return unitsOfSplit(scratch);
}

function encode(words: Uint32Array, at: number, e: RangeEntry): number {
  splitEntry(e, scratch);
  return writeSplit(words, at, scratch);
}

function encodeBig(words: Uint32Array, at: number, e: RangeEntryBig): number {
  splitEntryBig(e, scratch);
  return writeSplit(words, at, scratch);
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
  const enc = h & 3;
  if (enc === ENCODING_8) {
    if (at + VAR8_UNITS > words.length) throw truncatedError(words, at, VAR8_UNITS);
    storeEntry(out, (h >>> 2) & 3, h >>> 4, words[at + 1] as number, 0, 0);
    return VAR8_UNITS;
  }
  if (enc === ENCODING_16) {
    if (at + VAR16_UNITS > words.length) throw truncatedError(words, at, VAR16_UNITS);
    const w1 = words[at + 1] as number;
    const baseHi = words[at + 3] as number;
    if (baseHi > SAFE_BASE_HI) throw unsafeDecodeError("base", at);
    storeEntry(
      out,
      (h >>> 2) & 3,
      (w1 & 0xff) * TWO28 + (h >>> 4),
      baseHi * TWO32 + (words[at + 2] as number),
      w1 >>> 8,
      0,
    );
    return VAR16_UNITS;
  }
  if (enc === ENCODING_24) {
    if (at + VAR24_UNITS > words.length) throw truncatedError(words, at, VAR24_UNITS);
    const baseHi = words[at + 3] as number;
    const lenHi = words[at + 4] as number;
    if (lenHi > SAFE_LEN_HI) throw unsafeDecodeError("length", at);
    if (baseHi > SAFE_BASE_HI) throw unsafeDecodeError("base", at);
    storeEntry(
      out,
      (h >>> 2) & 3,
      lenHi * TWO28 + (h >>> 4),
      baseHi * TWO32 + (words[at + 2] as number),
      words[at + 1] as number,
      words[at + 5] as number,
    );
    return VAR24_UNITS;
  }
  return 0; // encoding 3: end marker
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
  const enc = h & 3;
  if (enc === ENCODING_8) {
    if (at + VAR8_UNITS > words.length) throw truncatedError(words, at, VAR8_UNITS);
    storeEntryBig(out, (h >>> 2) & 3, BigInt(h >>> 4), BigInt(words[at + 1] as number), 0, 0);
    return VAR8_UNITS;
  }
  if (enc === ENCODING_16) {
    if (at + VAR16_UNITS > words.length) throw truncatedError(words, at, VAR16_UNITS);
    const w1 = words[at + 1] as number;
    storeEntryBig(
      out,
      (h >>> 2) & 3,
      BigInt((w1 & 0xff) * TWO28 + (h >>> 4)),
      (BigInt(words[at + 3] as number) << 32n) | BigInt(words[at + 2] as number),
      w1 >>> 8,
      0,
    );
    return VAR16_UNITS;
  }
  if (enc === ENCODING_24) {
    if (at + VAR24_UNITS > words.length) throw truncatedError(words, at, VAR24_UNITS);
    storeEntryBig(
      out,
      (h >>> 2) & 3,
      (BigInt(words[at + 4] as number) << 28n) | BigInt(h >>> 4),
      (BigInt(words[at + 3] as number) << 32n) | BigInt(words[at + 2] as number),
      words[at + 1] as number,
      words[at + 5] as number,
    );
    return VAR24_UNITS;
  }
  return 0;
}

/**
 * The prototype's variable-size encoding: 8, 16 or 24 bytes per entry, smallest that fits.
 * Like rls_append()'s encoder and rls_decode(), minus the END_PAD/type-3 collision.
 */
export const variableCodec: Codec = Object.freeze({
  name: "variable",
  unitsFor,
  unitsForBig,
  encode,
  decode,
  encodeBig,
  decodeBig,
  writeEndMarker,
  endMarkerUnits: 1,
  maxUnits: VAR24_UNITS,
});

/** Stored size in bytes (8, 16 or 24) the variable codec picks for `e`. Validates like `encode`. */
export function entryForm(e: RangeEntry): VariableForm {
  return (unitsFor(e) * 4) as VariableForm;
}

/** {@link entryForm} for the bigint form. */
export function entryFormBig(e: RangeEntryBig): VariableForm {
  return (unitsForBig(e) * 4) as VariableForm;
}
