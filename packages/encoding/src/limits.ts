/**
 * Field limits and form constants of the entry encodings (docs/prototype.md#the-three-forms).
 * `number` constants are exact safe integers; the `..._BIG` ones cover the full 60/64-bit range.
 */

/** Largest `type` (2 bits). */
export const MAX_TYPE = 3;
/** Largest u32 (`offset`, `extra`, one storage unit). */
export const MAX_U32 = 0xffff_ffff;
/** Largest value the `number` API accepts for `length` and `base` (2^53-1). */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Largest logical length (60 bits): 2^60-1. */
export const MAX_LENGTH_BIG = (1n << 60n) - 1n;
/** Largest base (u64): 2^64-1. */
export const MAX_BASE_BIG = (1n << 64n) - 1n;

/** 2^28: the header holds length bits 0..27. */
export const LENGTH_LOW_SPAN = 0x1000_0000;
/** 2^32: one storage unit. */
export const U32_SPAN = 0x1_0000_0000;

/** 8-byte form: length <= 2^28-1 (it must fit the header). */
export const VAR8_MAX_LENGTH = 0x0fff_ffff;
/** 8-byte form: base <= 2^32-1 (a PFN of up to 16 TiB of 4K pages, or a 32-bit IOVA). */
export const VAR8_MAX_BASE = MAX_U32;
/** 8-byte form stores neither offset nor extra: both must be 0. */
export const VAR8_MAX_OFFSET = 0;
/** 16-byte form: length <= 2^36-1 (28 header bits + 8 bits in word 1). */
export const VAR16_MAX_LENGTH = 0xf_ffff_ffff;
/** 16-byte form: offset <= 2^24-1 (any slice of a 16M folio). */
export const VAR16_MAX_OFFSET = 0xff_ffff;
/** 24-byte form: length <= 2^60-1, i.e. any valid length. */
export const VAR24_MAX_LENGTH_BIG = MAX_LENGTH_BIG;

/** Value of the header's `encoding` field (bits 0-1) for each variable form. */
export const ENCODING_8 = 0;
export const ENCODING_16 = 1;
export const ENCODING_24 = 2;
/** `encoding` field value of the end-of-chunk marker (the prototype's END_PAD, moved off `type`). */
export const ENCODING_END = 3;

/** The exact word `writeEndMarker` stores, for both codecs. */
export const END_MARKER_WORD = 3;

/** Units (32-bit words) per variable form. */
export const VAR8_UNITS = 2;
export const VAR16_UNITS = 4;
export const VAR24_UNITS = 6;
/** Units per fixed16 entry. */
export const FIXED16_UNITS = 4;

/** fixed16 word-0 tag (bits 0-1): an entry. */
export const FIXED16_TAG_ENTRY = 0;
/** fixed16 word-0 tag: the end marker. Tags 1 and 2 are invalid. */
export const FIXED16_TAG_END = 3;

/** Size in bytes of a stored variable entry. */
export type VariableForm = 8 | 16 | 24;
