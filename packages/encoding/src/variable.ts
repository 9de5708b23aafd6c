/**
 * The variable codec: the 2023 prototype's 8/16/24-byte entries, bit-exact on little-endian
 * (docs/prototype.md#entry-encoding), with the end marker in the `encoding` field (value 3) instead
 * of `type` (docs/prototype.md#the-end-marker).
 * The words of each form are drawn once, in layout.ts, whose accessors read and write them here.
 */

import { writeEndMarker } from "./end-marker.js";
import {
  lengthLowAt,
  typeAt,
  variableBaseAt,
  variableBaseHiAt,
  variableBaseLoAt,
  variableExtraAt,
  variableLengthAt,
  variableLengthHiAt,
  variableOffsetAt,
  variableUnitsAt,
  variableUnitsFor,
  writeVariable8,
  writeVariable16,
  writeVariable24,
} from "./layout.js";
import type { VariableForm } from "./limits.js";
import { VAR8_UNITS, VAR16_UNITS, VAR24_UNITS } from "./limits.js";
import { newSplit, type Split, splitEntry, splitEntryBig } from "./split.js";
import { storeEntry, storeEntryBig } from "./store.js";
import type { Codec, RangeEntry, RangeEntryBig } from "./types.js";
import { positionError, roomError, truncatedError, unsafeDecodeError } from "./validate.js";

const scratch = newSplit();

function writeSplit(words: Uint32Array, at: number, s: Split): number {
  const units = variableUnitsFor(s.lenHi, s.baseHi, s.offset, s.extra);
  if (!(words instanceof Uint32Array && Number.isInteger(at) && at >= 0 && at + units <= words.length)) {
    throw roomError(words, at, units);
  }
  if (units === VAR8_UNITS) writeVariable8(words, at, s.type, s.lenLo, s.baseLo);
  else if (units === VAR16_UNITS)
    writeVariable16(words, at, s.type, s.lenLo, s.lenHi, s.baseLo, s.baseHi, s.offset);
  else writeVariable24(words, at, s.type, s.lenLo, s.lenHi, s.baseLo, s.baseHi, s.offset, s.extra);
  return units;
}

function unitsFor(e: RangeEntry): number {
  splitEntry(e, scratch);
  return variableUnitsFor(scratch.lenHi, scratch.baseHi, scratch.offset, scratch.extra);
}

function unitsForBig(e: RangeEntryBig): number {
  splitEntryBig(e, scratch);
  return variableUnitsFor(scratch.lenHi, scratch.baseHi, scratch.offset, scratch.extra);
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
  const units = variableUnitsAt(words, at);
  if (units === 0) return 0; // encoding 3: the end marker
  if (at + units > words.length) throw truncatedError(words, at, units);
  // Above 2^53-1 a double rounds to 2^53 or more: one compare tells an unsafe value.
  const length = variableLengthAt(words, at);
  if (length > 9007199254740991) throw unsafeDecodeError("length", at);
  const base = variableBaseAt(words, at);
  if (base > 9007199254740991) throw unsafeDecodeError("base", at);
  storeEntry(out, typeAt(words, at), length, base, variableOffsetAt(words, at), variableExtraAt(words, at));
  return units;
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
  const units = variableUnitsAt(words, at);
  if (units === 0) return 0; // encoding 3: the end marker
  if (at + units > words.length) throw truncatedError(words, at, units);
  storeEntryBig(
    out,
    typeAt(words, at),
    (BigInt(variableLengthHiAt(words, at)) << 28n) | BigInt(lengthLowAt(words, at)),
    (BigInt(variableBaseHiAt(words, at)) << 32n) | BigInt(variableBaseLoAt(words, at)),
    variableOffsetAt(words, at),
    variableExtraAt(words, at),
  );
  return units;
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
