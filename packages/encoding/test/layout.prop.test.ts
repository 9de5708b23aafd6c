/**
 * The layout accessors (src/layout.ts) against the bigint model of model.ts: every reader returns
 * the model's field from the words the codecs write, every writer writes the model's words, and the
 * number helpers (src/numbers.ts) split and join exactly. Biased to the form boundaries.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  alignDown,
  alignUp,
  encodingAt,
  fixed16BaseAt,
  fixed16BaseExactAt,
  fixed16BaseHiAt,
  fixed16BaseIsSafe,
  fixed16BaseLoAt,
  fixed16Codec,
  fixed16LengthAt,
  fixed16LengthExactAt,
  fixed16LengthHiAt,
  fixed16LengthIsSafe,
  hi32,
  isEndAt,
  isPowerOfTwo,
  isRlistError,
  join32,
  joinLength,
  LAYOUT_READERS,
  LAYOUT_WRITERS,
  lengthHiOf,
  lengthLowAt,
  lengthLowOf,
  lo32,
  log2Pow2,
  lowBits,
  makeHeader,
  packHeader,
  SAFE_BASE_HI,
  SAFE_LENGTH_HI,
  typeAt,
  variableBaseAt,
  variableBaseExactAt,
  variableBaseHiAt,
  variableBaseIsSafe,
  variableBaseLoAt,
  variableCodec,
  variableExtraAt,
  variableLengthAt,
  variableLengthExactAt,
  variableLengthHiAt,
  variableLengthIsSafe,
  variableOffsetAt,
  variableUnitsAt,
  variableUnitsFor,
  variableWideUnitsFor,
  writeFixed16,
  writeFixed16Fields,
  writeVariable8,
  writeVariable16,
  writeVariable24,
  writeVariableWide,
} from "../src/index.js";
import { arbEntryBig, arbUnsigned, refFixed16Words, refForm, refVariableWords } from "./model.js";

const RUNS = { numRuns: 2000 };
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const arbAt = fc.integer({ min: 0, max: 5 });

/** Exactly what a reader must return for a value the model holds as a bigint. */
function asDouble(v: bigint): number {
  return Number(v); // rounds above 2^53-1, like the readers
}

/** What an `...ExactAt` reader must do: return the value while it is safe, else throw ERANGE. */
function expectExact(read: () => number, v: bigint, field: string): void {
  if (v <= MAX_SAFE) {
    expect(read()).toBe(Number(v));
    return;
  }
  let thrown: unknown;
  try {
    read();
  } catch (err) {
    thrown = err;
  }
  expect(isRlistError(thrown, "ERANGE")).toBe(true);
  expect((thrown as Error).message).toContain(`${field}Big`);
}

describe("variable layout", () => {
  it("the readers return the fields of every entry the codec writes", () => {
    fc.assert(
      fc.property(arbEntryBig(), arbAt, (e, at) => {
        const w = new Uint32Array(at + 8).fill(0xdead_beef);
        const units = variableCodec.encodeBig(w, at, e);
        const form = refForm(e);
        expect(units).toBe(form / 4);
        expect(variableUnitsAt(w, at)).toBe(units);
        expect(encodingAt(w, at)).toBe(form === 8 ? 0 : form === 16 ? 1 : 2);
        expect(isEndAt(w, at)).toBe(false);
        expect(typeAt(w, at)).toBe(e.type);
        expect(lengthLowAt(w, at)).toBe(Number(e.length & 0x0fff_ffffn));
        expect(variableLengthHiAt(w, at)).toBe(Number(e.length >> 28n));
        expect(variableBaseLoAt(w, at)).toBe(Number(e.base & 0xffff_ffffn));
        expect(variableBaseHiAt(w, at)).toBe(Number(e.base >> 32n));
        expect(variableOffsetAt(w, at)).toBe(e.offset);
        expect(variableExtraAt(w, at)).toBe(e.extra);
        expect(variableLengthIsSafe(w, at)).toBe(e.length <= MAX_SAFE);
        expect(variableBaseIsSafe(w, at)).toBe(e.base <= MAX_SAFE);
        expect(variableLengthAt(w, at)).toBe(asDouble(e.length));
        expect(variableBaseAt(w, at)).toBe(asDouble(e.base));
        expectExact(() => variableLengthExactAt(w, at), e.length, "length");
        expectExact(() => variableBaseExactAt(w, at), e.base, "base");
      }),
      RUNS,
    );
  });

  it("the writers write the model's words and nothing else, in the form variableUnitsFor picks", () => {
    fc.assert(
      fc.property(arbEntryBig(), arbAt, (e, at) => {
        const lenLo = Number(e.length & 0x0fff_ffffn);
        const lenHi = Number(e.length >> 28n);
        const baseLo = Number(e.base & 0xffff_ffffn);
        const baseHi = Number(e.base >> 32n);
        const units = variableUnitsFor(lenHi, baseHi, e.offset, e.extra);
        expect(units).toBe(refForm(e) / 4);
        const w = new Uint32Array(at + 8).fill(0xdead_beef);
        if (units === 2) writeVariable8(w, at, e.type, lenLo, baseLo);
        else if (units === 4) writeVariable16(w, at, e.type, lenLo, lenHi, baseLo, baseHi, e.offset);
        else writeVariable24(w, at, e.type, lenLo, lenHi, baseLo, baseHi, e.offset, e.extra);
        const want = new Uint32Array(at + 8).fill(0xdead_beef);
        want.set(refVariableWords(e), at);
        expect(w).toEqual(want);
      }),
      RUNS,
    );
  });

  it("the whole-field writers (append paths) write the model's words in the form the model picks", () => {
    fc.assert(
      fc.property(arbEntryBig({ safe: true }), arbAt, (e, at) => {
        const length = Number(e.length);
        const base = Number(e.base);
        const w = new Uint32Array(at + 8).fill(0xdead_beef);
        const form = refForm(e);
        if (form === 8) {
          writeVariable8(w, at, e.type, length, base);
        } else {
          const units = variableWideUnitsFor(length, e.offset, e.extra);
          expect(units).toBe(form / 4);
          writeVariableWide(w, at, units, e.type, length, base, e.offset, e.extra);
        }
        const want = new Uint32Array(at + 8).fill(0xdead_beef);
        want.set(refVariableWords(e), at);
        expect(w).toEqual(want);
      }),
      RUNS,
    );
  });

  it("LAYOUT_READERS and LAYOUT_WRITERS are the module's own functions, frozen", () => {
    for (const rec of [LAYOUT_READERS, LAYOUT_WRITERS]) {
      expect(Object.isFrozen(rec)).toBe(true);
      for (const fn of Object.values(rec)) expect(typeof fn).toBe("function");
    }
    expect(LAYOUT_READERS.variableLengthExactAt).toBe(variableLengthExactAt);
    expect(LAYOUT_WRITERS.writeVariableWide).toBe(writeVariableWide);
  });

  it("the END marker reads as 0 units, and the header packs like makeHeader", () => {
    const w = new Uint32Array(4);
    variableCodec.writeEndMarker(w, 1);
    expect(isEndAt(w, 1)).toBe(true);
    expect(encodingAt(w, 1)).toBe(3);
    expect(variableUnitsAt(w, 1)).toBe(0);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 0x0fff_ffff }),
        (enc, type, low) => {
          const h = packHeader(enc, type, low);
          expect(h).toBe(makeHeader(enc, type, low));
          w[0] = h;
          expect([encodingAt(w, 0), typeAt(w, 0), lengthLowAt(w, 0)]).toEqual([enc, type, low]);
        },
      ),
      RUNS,
    );
  });

  it("the safe bounds are the last high words below 2^53", () => {
    expect(joinLength(SAFE_LENGTH_HI, 0x0fff_ffff)).toBe(Number.MAX_SAFE_INTEGER);
    expect(join32(SAFE_BASE_HI, 0xffff_ffff)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe("fixed16 layout", () => {
  it("readers and writer agree with the codec and the model", () => {
    fc.assert(
      fc.property(arbEntryBig({ noOffsetExtra: true }), arbAt, (e, at) => {
        const w = new Uint32Array(at + 6).fill(0xdead_beef);
        expect(fixed16Codec.encodeBig(w, at, e)).toBe(4);
        expect(typeAt(w, at)).toBe(e.type);
        expect(lengthLowAt(w, at)).toBe(Number(e.length & 0x0fff_ffffn));
        expect(fixed16LengthHiAt(w, at)).toBe(Number(e.length >> 28n));
        expect(fixed16BaseLoAt(w, at)).toBe(Number(e.base & 0xffff_ffffn));
        expect(fixed16BaseHiAt(w, at)).toBe(Number(e.base >> 32n));
        expect(fixed16LengthIsSafe(w, at)).toBe(e.length <= MAX_SAFE);
        expect(fixed16BaseIsSafe(w, at)).toBe(e.base <= MAX_SAFE);
        expect(fixed16LengthAt(w, at)).toBe(asDouble(e.length));
        expect(fixed16BaseAt(w, at)).toBe(asDouble(e.base));
        expectExact(() => fixed16LengthExactAt(w, at), e.length, "length");
        expectExact(() => fixed16BaseExactAt(w, at), e.base, "base");
        const v = new Uint32Array(at + 6).fill(0xdead_beef);
        writeFixed16(
          v,
          at,
          e.type,
          Number(e.length & 0x0fff_ffffn),
          Number(e.length >> 28n),
          Number(e.base & 0xffff_ffffn),
          Number(e.base >> 32n),
        );
        const want = new Uint32Array(at + 6).fill(0xdead_beef);
        want.set(refFixed16Words(e), at);
        expect(v).toEqual(want);
        expect(w).toEqual(want);
        if (e.length <= MAX_SAFE && e.base <= MAX_SAFE) {
          const f = new Uint32Array(at + 6).fill(0xdead_beef);
          writeFixed16Fields(f, at, e.type, Number(e.length), Number(e.base));
          expect(f).toEqual(want);
        }
      }),
      RUNS,
    );
  });
});

describe("exact number helpers", () => {
  const arbSafe = arbUnsigned(MAX_SAFE);

  it("hi32 / lo32 / join32 and the length split are exact for every safe integer", () => {
    fc.assert(
      fc.property(arbSafe, (b) => {
        const v = Number(b);
        expect(lo32(v)).toBe(Number(b & 0xffff_ffffn));
        expect(hi32(v)).toBe(Number(b >> 32n));
        expect(join32(hi32(v), lo32(v))).toBe(v);
        expect(lengthLowOf(v)).toBe(Number(b & 0x0fff_ffffn));
        expect(lengthHiOf(v)).toBe(Number(b >> 28n));
        expect(joinLength(lengthHiOf(v), lengthLowOf(v))).toBe(v);
      }),
      RUNS,
    );
  });

  it("lowBits / alignDown / alignUp match bigint arithmetic for every power of two up to 2^53", () => {
    fc.assert(
      fc.property(arbSafe, fc.integer({ min: 0, max: 53 }), (b, k) => {
        const v = Number(b);
        const align = 2 ** k;
        const low = b & ((1n << BigInt(k)) - 1n);
        expect(isPowerOfTwo(align)).toBe(true);
        expect(log2Pow2(align)).toBe(k);
        expect(lowBits(v, align)).toBe(Number(low));
        expect(alignDown(v, align)).toBe(Number(b - low));
        if (b - low + (low === 0n ? 0n : 1n << BigInt(k)) <= MAX_SAFE) {
          expect(alignUp(v, align)).toBe(Number(low === 0n ? b : b - low + (1n << BigInt(k))));
        }
      }),
      RUNS,
    );
  });

  it("isPowerOfTwo refuses everything else", () => {
    for (const v of [0, -1, -2, 3, 6, 0.5, 1.5, 2 ** 53 + 2, 2 ** 54, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(isPowerOfTwo(v)).toBe(false);
    }
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (v) => {
        expect(isPowerOfTwo(v)).toBe((BigInt(v) & (BigInt(v) - 1n)) === 0n);
      }),
      RUNS,
    );
  });
});
