/** @rlist/encoding: codecs, header helpers, describe/hexdump, the error type. */
import {
  type Codec,
  describe,
  fixed16Codec,
  type RangeEntry,
  type RangeEntryBig,
  variableCodec,
} from "@rlist/encoding";
import type { Api, Override } from "../api.js";
import { any, array, type Kind, nat, natMax, obj, oneOf, opt, u32, u32words } from "../kinds.js";
import type { World } from "../world.js";

const RLIST_CODES = [
  "ERANGE",
  "EINVAL",
  "ENOSPC",
  "ENOMEM",
  "EREMOTEIO",
  "EFAULT",
  "EBUSY",
  "EOPNOTSUPP",
  "EIO",
];

/**
 * Whole source files of helpers documented as unchecked, for the other packages' hot paths: the
 * entry layout's accessors over chunk words and the exact-number helpers (their preconditions are
 * in their doc comments; the `check*` helpers check their value, not their name or bound).
 */
export const ENCODING_UNCHECKED_FILES: Readonly<Record<string, string>> = {
  "packages/encoding/src/layout.ts":
    "entry-layout accessor of the hot paths, documented as unchecked (src/layout.ts)",
  "packages/encoding/src/numbers.ts":
    "exact-number helper of the hot paths, preconditions in its doc comment (src/numbers.ts)",
};

/** A number-API entry: every field a number in its range. */
export const entry: Kind = obj({ type: natMax(3), length: nat, base: nat, offset: u32, extra: u32 });
/** A bigint-API entry: length below 2^60, base below 2^64. */
export const entryBig: Kind = obj({
  type: natMax(3),
  length: { t: "bigint", min: 0n, max: (1n << 60n) - 1n },
  base: { t: "bigint", min: 0n, max: (1n << 64n) - 1n },
  offset: u32,
  extra: u32,
});

/** A valid entry for `codec` (fixed16 stores no offset or extra). */
export function someEntry(w: World, codec: Codec = variableCodec): RangeEntry {
  const r = w.rng;
  const small = codec === fixed16Codec;
  return {
    type: r.int(4),
    length: r.pick([1, 0x1000, 2 ** 30, 2 ** 40]),
    base: r.pick([0, 0x1000, 2 ** 33, 2 ** 52]),
    offset: small ? 0 : r.pick([0, 0, 7, 2 ** 24, 2 ** 32 - 1]),
    extra: small ? 0 : r.pick([0, 0, 0, 9]),
  };
}

export function someEntryBig(w: World, codec: Codec = variableCodec): RangeEntryBig {
  const e = someEntry(w, codec);
  return { ...e, length: BigInt(e.length) * BigInt(1 + w.rng.int(2 ** 20)), base: BigInt(e.base) << 11n };
}

/** Words holding one encoded entry and an end marker. */
function wordsWithEntry(w: World, codec: Codec): Uint32Array {
  const words = new Uint32Array(8);
  const units = codec.encode(words, 0, someEntry(w, codec));
  codec.writeEndMarker(words, units);
  return words;
}

const describeOptions = opt(obj({ start: opt(nat), end: opt(nat) }));

function codecOverrides(name: "variableCodec" | "fixed16Codec", codec: Codec): Record<string, Override> {
  const p = `encoding:${name}`;
  return {
    [`${p}.encode`]: {
      params: [u32words, nat, entry],
      valid: (w) => [new Uint32Array(12), w.rng.int(4), someEntry(w, codec)],
      readOnce: [2],
    },
    [`${p}.encodeBig`]: {
      params: [u32words, nat, entryBig],
      valid: (w) => [new Uint32Array(12), w.rng.int(4), someEntryBig(w, codec)],
      readOnce: [2],
    },
    [`${p}.decode`]: {
      params: [u32words, nat, obj({})],
      valid: (w) => [wordsWithEntry(w, codec), 0, { type: 0, length: 0, base: 0, offset: 0, extra: 0 }],
    },
    [`${p}.decodeBig`]: {
      params: [u32words, nat, obj({})],
      valid: (w) => [wordsWithEntry(w, codec), 0, { type: 0, length: 0n, base: 0n, offset: 0, extra: 0 }],
    },
    [`${p}.unitsFor`]: { params: [entry], valid: (w) => [someEntry(w, codec)], readOnce: [0] },
    [`${p}.unitsForBig`]: { params: [entryBig], valid: (w) => [someEntryBig(w, codec)], readOnce: [0] },
    [`${p}.writeEndMarker`]: { params: [u32words, nat], valid: (w) => [new Uint32Array(4), w.rng.int(4)] },
  };
}

export const encodingOverrides: Record<string, Override> = {
  "encoding:checkBig": { valid: () => ["count", 5n, 10n] },
  ...codecOverrides("variableCodec", variableCodec),
  ...codecOverrides("fixed16Codec", fixed16Codec),
  "encoding:entryForm": { params: [entry], valid: (w) => [someEntry(w)], readOnce: [0] },
  "encoding:entryFormBig": { params: [entryBig], valid: (w) => [someEntryBig(w)], readOnce: [0] },
  "encoding:headerEncoding": { params: [u32] },
  "encoding:headerType": { params: [u32] },
  "encoding:headerLengthLow": { params: [u32] },
  "encoding:isEndMarker": { params: [u32] },
  "encoding:variableUnitsOfHeader": { params: [u32] },
  "encoding:makeHeader": { params: [natMax(3), natMax(3), natMax(0x0fff_ffff)] },
  "encoding:variableUnitsForFields": { params: [nat, nat, u32, u32] },
  "encoding:describe": {
    // the codec is judged by the unit tests (only the two codec objects are accepted)
    params: [u32words, any, describeOptions],
    valid: (w) => [wordsWithEntry(w, variableCodec), variableCodec, {}],
    extras: 1,
    extra: () => ({ label: "describe(Uint32Array(2^26))", args: [new Uint32Array(2 ** 26)], invalid: true }),
  },
  "encoding:hexdump": {
    params: [u32words, any, describeOptions],
    valid: (w) => [wordsWithEntry(w, fixed16Codec), fixed16Codec, { start: 0 }],
    extras: 1,
    // the case: 2^25 records used to exhaust the heap (an abort no caller can catch)
    extra: () => ({ label: "hexdump(Uint32Array(2^26))", args: [new Uint32Array(2 ** 26)], invalid: true }),
  },
  "encoding:formatDescribed": {
    params: [obj({ kind: oneOf("entry", "end", "bad"), unit: nat, words: array(u32) })],
    valid: (w) => [describe(wordsWithEntry(w, variableCodec))[w.rng.int(2)]],
  },
  "encoding:formatValue": { params: [any] },
  "encoding:isRlistError": { params: [any, opt(oneOf(...RLIST_CODES))] },
  "encoding:new RlistError": {
    params: [any, any, any],
    valid: (w) => [w.rng.pick(RLIST_CODES), "a message", undefined],
  },
};

export const encodingAdded: Api[] = [];
