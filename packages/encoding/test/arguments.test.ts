/**
 * Wrong-typed arguments to every encoding entry point give an RlistError, never a TypeError or
 * RangeError, and change nothing (issue 12, items 11 and 13). Every bad value is also tried as a
 * Symbol and as an object whose toString throws, so no message template can throw instead.
 */
import { describe, expect, it } from "vitest";
import { codeOf } from "../../../scripts/expect-code.js";
import {
  DESCRIBE_MAX_UNITS,
  describe as describeWords,
  entryForm,
  entryFormBig,
  fixed16Codec,
  formatDescribed,
  headerEncoding,
  headerLengthLow,
  headerType,
  hexdump,
  isEndMarker,
  makeHeader,
  type RangeEntry,
  variableCodec,
  variableUnitsForFields,
  variableUnitsOfHeader,
} from "../src/index.js";

/** An object whose conversions throw (a fresh one each time: decode may write into it). */
function throwingToString(): object {
  return {
    toString() {
      throw new Error("toString");
    },
    valueOf() {
      throw new Error("valueOf");
    },
  };
}
/** Values that are not what any argument wants, whatever it wants. */
const junk: unknown[] = [null, undefined, Symbol("junk"), throwingToString(), 1n, "3", true, () => 0];
/** Decode targets that cannot take an entry. */
const notTargets: unknown[] = [null, undefined, Symbol("out"), 1n, "3", true, () => 0];
const notWords: unknown[] = [
  ...junk,
  [0, 0, 0, 0],
  new Uint8Array(16),
  new Int32Array(4),
  new Float64Array(4),
  5,
];
const good: RangeEntry = { type: 1, length: 0x1000, base: 0x2000, offset: 0, extra: 0 };

describe.each([variableCodec, fixed16Codec])("$name: wrong-typed arguments", (codec) => {
  it("words that are not a Uint32Array -> EINVAL (encode, encodeBig, decode, decodeBig, writeEndMarker)", () => {
    for (const w of notWords) {
      const words = w as Uint32Array;
      expect(codeOf(() => codec.encode(words, 0, good))).toBe("EINVAL");
      expect(codeOf(() => codec.encodeBig(words, 0, { ...good, length: 1n, base: 1n }))).toBe("EINVAL");
      expect(codeOf(() => codec.decode(words, 0, { ...good }))).toBe("EINVAL");
      expect(codeOf(() => codec.decodeBig(words, 0, { ...good, length: 0n, base: 0n }))).toBe("EINVAL");
      expect(codeOf(() => codec.writeEndMarker(words, 0))).toBe("EINVAL");
    }
  });

  it("a decode target that is not a writable object -> EINVAL, nothing written", () => {
    const words = new Uint32Array(8);
    codec.encode(words, 0, good);
    const setterThrows = Object.defineProperty({}, "type", {
      set() {
        throw new Error("setter");
      },
    });
    for (const out of [...notTargets, Object.freeze({ ...good, type: 3 }), setterThrows]) {
      expect(codeOf(() => codec.decode(words, 0, out as RangeEntry))).toBe("EINVAL");
      expect(codeOf(() => codec.decodeBig(words, 0, out as never))).toBe("EINVAL");
    }
  });

  it("unit indexes of every wrong type -> EINVAL", () => {
    const words = new Uint32Array(8);
    for (const at of junk) {
      expect(codeOf(() => codec.encode(words, at as number, good))).toBe("EINVAL");
      expect(codeOf(() => codec.decode(words, at as number, { ...good }))).toBe("EINVAL");
      expect(codeOf(() => codec.writeEndMarker(words, at as number))).toBe("EINVAL");
    }
    expect(words).toEqual(new Uint32Array(8));
  });

  it("entries and fields of every wrong type -> RlistError (Symbols included)", () => {
    const words = new Uint32Array(8);
    for (const v of junk) {
      expect(codeOf(() => codec.encode(words, 0, v as RangeEntry))).toBe("EINVAL");
      expect(codeOf(() => codec.unitsForBig(v as never))).toBe("EINVAL");
      for (const field of ["type", "length", "base", "offset", "extra"]) {
        expect(codeOf(() => codec.encode(words, 0, { ...good, [field]: v }))).toMatch(/^E/);
        const validBig = typeof v === "bigint" && (field === "length" || field === "base");
        if (!validBig) {
          expect(
            codeOf(() => codec.encodeBig(words, 0, { ...good, length: 1n, base: 1n, [field]: v })),
          ).toMatch(/^E/);
        }
      }
    }
    expect(words).toEqual(new Uint32Array(8));
  });
});

describe("entryForm / entryFormBig", () => {
  it("refuse wrong types with RlistError", () => {
    for (const v of junk) {
      expect(codeOf(() => entryForm(v as RangeEntry))).toBe("EINVAL");
      expect(codeOf(() => entryFormBig(v as never))).toBe("EINVAL");
      expect(codeOf(() => entryForm({ ...good, base: v as number }))).toBe("EINVAL");
    }
  });
});

describe("header helpers and variableUnitsForFields", () => {
  const wordHelpers = [headerEncoding, headerType, headerLengthLow, isEndMarker, variableUnitsOfHeader];

  it("take u32 words only: EINVAL for a non-number, ERANGE for NaN, -1, 1.5, 2^32", () => {
    for (const fn of wordHelpers) {
      for (const v of junk) expect(codeOf(() => fn(v as number))).toBe("EINVAL");
      for (const v of [Number.NaN, -1, 1.5, 2 ** 32, Number.POSITIVE_INFINITY])
        expect(codeOf(() => fn(v))).toBe("ERANGE");
      expect(codeOf(() => fn(-0))).toBe("no error");
      expect(codeOf(() => fn(0xffff_ffff))).toBe("no error");
    }
  });

  it("makeHeader refuses fields wider than their bits instead of masking them", () => {
    expect(makeHeader(2, 3, 0x0fff_ffff)).toBe(0xffff_fffe);
    expect(codeOf(() => makeHeader(4, 0, 0))).toBe("ERANGE");
    expect(codeOf(() => makeHeader(0, 4, 0))).toBe("ERANGE");
    expect(codeOf(() => makeHeader(0, 0, 2 ** 28))).toBe("ERANGE");
    expect(codeOf(() => makeHeader(0, 0, -1))).toBe("ERANGE");
    for (const v of junk) {
      expect(codeOf(() => makeHeader(v as number, 0, 0))).toBe("EINVAL");
      expect(codeOf(() => makeHeader(0, v as number, 0))).toBe("EINVAL");
      expect(codeOf(() => makeHeader(0, 0, v as number))).toBe("EINVAL");
    }
  });

  it("variableUnitsForFields validates like unitsFor", () => {
    expect(variableUnitsForFields(1, 1, 0, 0)).toBe(2);
    expect(codeOf(() => variableUnitsForFields(-1, 0, 0, 0))).toBe("ERANGE");
    expect(codeOf(() => variableUnitsForFields(2 ** 53, 0, 0, 0))).toBe("ERANGE");
    expect(codeOf(() => variableUnitsForFields(0, 0.5, 0, 0))).toBe("ERANGE");
    expect(codeOf(() => variableUnitsForFields(0, 0, 2 ** 32, 0))).toBe("ERANGE");
    for (const v of junk) {
      expect(codeOf(() => variableUnitsForFields(v as number, 0, 0, 0))).toBe("EINVAL");
      expect(codeOf(() => variableUnitsForFields(0, 0, 0, v as number))).toBe("EINVAL");
    }
  });
});

describe("describe / hexdump / formatDescribed", () => {
  it("refuse words, codecs and options of the wrong type with EINVAL", () => {
    const words = new Uint32Array(4);
    for (const w of notWords) {
      expect(codeOf(() => describeWords(w as Uint32Array))).toBe("EINVAL");
      expect(codeOf(() => hexdump(w as Uint32Array))).toBe("EINVAL");
    }
    for (const c of [...junk.filter((v) => v !== undefined), "variable", {}, { name: "variable" }]) {
      expect(codeOf(() => describeWords(words, c as never))).toBe("EINVAL");
    }
    for (const o of junk.filter((v) => v !== undefined && typeof v !== "object")) {
      expect(codeOf(() => hexdump(words, variableCodec, o as never))).toBe("EINVAL");
    }
    for (const v of junk.filter((x) => x !== undefined)) {
      expect(codeOf(() => describeWords(words, variableCodec, { start: v as number }))).toBe("EINVAL");
      expect(codeOf(() => describeWords(words, variableCodec, { end: v as number }))).toBe("EINVAL");
    }
  });

  it("refuse a window above DESCRIBE_MAX_UNITS up front (ERANGE) instead of exhausting the heap", () => {
    expect(DESCRIBE_MAX_UNITS).toBe(2 ** 20);
    const huge = new Uint32Array(2 ** 26); // the case: 2^25 E8 records would not fit the heap
    const t0 = performance.now();
    expect(codeOf(() => hexdump(huge))).toBe("ERANGE");
    expect(codeOf(() => describeWords(huge))).toBe("ERANGE");
    expect(performance.now() - t0).toBeLessThan(1000); // refused before any work, not after
    expect(codeOf(() => describeWords(huge, variableCodec, { start: 0, end: DESCRIBE_MAX_UNITS + 1 }))).toBe(
      "ERANGE",
    );
    // a window at the cap is served; end markers stop the walk early
    expect(describeWords(huge, variableCodec, { start: 2 ** 25, end: 2 ** 25 + 8 })).toHaveLength(4);
  });

  it("formatDescribed refuses anything that is not a record describe() makes (EINVAL)", () => {
    const record = describeWords(new Uint32Array([3]))[0]!;
    expect(formatDescribed(record)).toBe("0000: 00000003  END");
    for (const v of [
      ...junk,
      {},
      { kind: "entry" },
      { ...record, unit: -1 },
      { ...record, words: [Symbol("w")] },
    ]) {
      expect(codeOf(() => formatDescribed(v as never))).toBe("EINVAL");
    }
  });
});
