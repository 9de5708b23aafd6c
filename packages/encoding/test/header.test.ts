import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ENCODING_8,
  ENCODING_16,
  ENCODING_24,
  ENCODING_END,
  headerEncoding,
  headerLengthLow,
  headerType,
  isEndMarker,
  makeHeader,
  VAR8_MAX_BASE,
  VAR8_MAX_LENGTH,
  VAR16_MAX_LENGTH,
  VAR16_MAX_OFFSET,
  variableCodec,
  variableUnitsOfHeader,
} from "../src/index.js";
import { arbEntry, blankEntry, fitsForm } from "./model.js";

const arbU32 = fc.integer({ min: 0, max: 0xffff_ffff });

describe("header helpers", () => {
  it("split any word into encoding (bits 0-1), type (2-3) and length bits 0..27 (4-31)", () => {
    fc.assert(
      fc.property(arbU32, (w) => {
        const big = BigInt(w);
        expect(headerEncoding(w)).toBe(Number(big & 3n));
        expect(headerType(w)).toBe(Number((big >> 2n) & 3n));
        expect(headerLengthLow(w)).toBe(Number(big >> 4n));
        expect(isEndMarker(w)).toBe((big & 3n) === 3n);
        expect(makeHeader(headerEncoding(w), headerType(w), headerLengthLow(w))).toBe(w);
      }),
    );
  });

  it("variableUnitsOfHeader agrees with what decode consumes", () => {
    fc.assert(
      fc.property(arbEntry(), (e) => {
        const words = new Uint32Array(6);
        const units = variableCodec.encode(words, 0, e);
        expect(variableUnitsOfHeader(words[0]!)).toBe(units);
        expect(variableCodec.decode(words, 0, blankEntry())).toBe(units);
      }),
      { numRuns: 500 },
    );
    expect([ENCODING_8, ENCODING_16, ENCODING_24, ENCODING_END].map(variableUnitsOfHeader)).toEqual([
      2, 4, 6, 0,
    ]);
  });

  it("form limit constants sit exactly on the model's boundaries", () => {
    const e = { type: 0, length: 0n, base: 0n, offset: 0, extra: 0 };
    expect(fitsForm(8, { ...e, length: BigInt(VAR8_MAX_LENGTH) })).toBe(true);
    expect(fitsForm(8, { ...e, length: BigInt(VAR8_MAX_LENGTH) + 1n })).toBe(false);
    expect(fitsForm(8, { ...e, base: BigInt(VAR8_MAX_BASE) })).toBe(true);
    expect(fitsForm(8, { ...e, base: BigInt(VAR8_MAX_BASE) + 1n })).toBe(false);
    expect(fitsForm(16, { ...e, length: BigInt(VAR16_MAX_LENGTH) })).toBe(true);
    expect(fitsForm(16, { ...e, length: BigInt(VAR16_MAX_LENGTH) + 1n })).toBe(false);
    expect(fitsForm(16, { ...e, offset: VAR16_MAX_OFFSET })).toBe(true);
    expect(fitsForm(16, { ...e, offset: VAR16_MAX_OFFSET + 1 })).toBe(false);
  });
});
