/**
 * Golden vectors: fixtures/encoding.json (E1-E12), the form-only vectors FORM-1/FORM-2 and the END
 * word: docs/vectors.md#encoding-vectors.
 */
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../scripts/expect-code.js";
import {
  END_MARKER_WORD,
  entryForm,
  entryFormBig,
  fixed16Codec,
  MAX_SAFE,
  type RangeEntry,
  type RangeEntryBig,
  variableCodec,
} from "../src/index.js";
import vectors from "./fixtures/encoding.json" with { type: "json" };
import { blankEntry, blankEntryBig, refFixed16Words, refVariableWords } from "./model.js";

interface Vector {
  name: string;
  type: number;
  length: string;
  base: string;
  offset: number;
  extra: number;
  bytes: number;
  words: string[];
}

const cases = (vectors.entries as Vector[]).map((v) => {
  const big: RangeEntryBig = {
    type: v.type,
    length: BigInt(v.length),
    base: BigInt(v.base),
    offset: v.offset,
    extra: v.extra,
  };
  return { ...v, big, expected: v.words.map((w) => Number.parseInt(w, 16)) };
});

function isSafe(e: RangeEntryBig): boolean {
  return e.length <= BigInt(MAX_SAFE) && e.base <= BigInt(MAX_SAFE);
}

describe("vectors/encoding.json with the variable codec", () => {
  it("holds the expected vectors", () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
    expect(vectors.endMarkerWord).toBe(3);
  });

  describe.each(cases)("$name", (c) => {
    it("encodeBig writes exactly the golden words and reports the byte size", () => {
      const words = new Uint32Array(8).fill(0xdeadbeef);
      const units = variableCodec.encodeBig(words, 1, c.big);
      expect(units * 4).toBe(c.bytes);
      expect(Array.from(words.subarray(1, 1 + units))).toEqual(c.expected);
      expect(words[0]).toBe(0xdeadbeef);
      expect(Array.from(words.subarray(1 + units)).every((w) => w === 0xdeadbeef)).toBe(true);
      expect(variableCodec.unitsForBig(c.big)).toBe(units);
      expect(entryFormBig(c.big)).toBe(c.bytes);
    });

    it("decodeBig of the golden words gives the entry back", () => {
      const out = blankEntryBig();
      expect(variableCodec.decodeBig(Uint32Array.from(c.expected), 0, out) * 4).toBe(c.bytes);
      expect(out).toEqual(c.big);
    });

    it("the independent test model agrees", () => {
      expect(refVariableWords(c.big)).toEqual(c.expected);
    });

    it("number API: same words both ways, or ERANGE on decode when a value is above 2^53-1", () => {
      const out = blankEntry();
      if (!isSafe(c.big)) {
        expectCode(() => variableCodec.decode(Uint32Array.from(c.expected), 0, out), "ERANGE");
        expect(out).toEqual(blankEntry());
        return;
      }
      const e: RangeEntry = { ...c.big, length: Number(c.big.length), base: Number(c.big.base) };
      const words = new Uint32Array(c.expected.length);
      expect(variableCodec.encode(words, 0, e) * 4).toBe(c.bytes);
      expect(Array.from(words)).toEqual(c.expected);
      expect(entryForm(e)).toBe(c.bytes);
      expect(variableCodec.decode(words, 0, out)).toBe(c.expected.length);
      expect(out).toEqual(e);
    });
  });
});

describe("form-only vectors (docs/vectors.md#encoding-vectors)", () => {
  it("FORM-1 {0, 0x1_0000_0000, 2^36-1, 2^24-1, 0} is a 16-byte entry (every 16-byte limit at its maximum)", () => {
    const e: RangeEntry = {
      type: 0,
      base: 0x1_0000_0000,
      length: 2 ** 36 - 1,
      offset: 2 ** 24 - 1,
      extra: 0,
    };
    expect(entryForm(e)).toBe(16);
    expect(variableCodec.encode(new Uint32Array(6), 0, e)).toBe(4);
  });

  it("FORM-2 {0, 0xFFFFFFFF, 2^28, 0, 0} is a 16-byte entry (length over the 8-byte limit by 1)", () => {
    const e: RangeEntry = { type: 0, base: 0xffff_ffff, length: 2 ** 28, offset: 0, extra: 0 };
    expect(entryForm(e)).toBe(16);
    expect(entryForm({ ...e, length: 2 ** 28 - 1 })).toBe(8);
  });
});

describe("end marker", () => {
  it.each([variableCodec, fixed16Codec])(
    "$name writes exactly the word 3 and decodes it as 0 units",
    (codec) => {
      expect(END_MARKER_WORD).toBe(vectors.endMarkerWord);
      const words = new Uint32Array(3).fill(0xffff_ffff);
      codec.writeEndMarker(words, 1);
      expect(Array.from(words)).toEqual([0xffff_ffff, 3, 0xffff_ffff]);
      expect(codec.endMarkerUnits).toBe(1);
      const out = blankEntry();
      const outBig = blankEntryBig();
      expect(codec.decode(words, 1, out)).toBe(0);
      expect(codec.decodeBig(words, 1, outBig)).toBe(0);
      expect(out).toEqual(blankEntry());
      expect(outBig).toEqual(blankEntryBig());
    },
  );

  it("does not collide with type 3 (the prototype's END_PAD bug): a type-3 entry decodes", () => {
    const words = new Uint32Array(2);
    variableCodec.encode(words, 0, { type: 3, length: 1, base: 0x12345, offset: 0, extra: 0 });
    const out = blankEntry();
    expect(variableCodec.decode(words, 0, out)).toBe(2);
    expect(out.type).toBe(3);
  });
});

describe("fixed16 layout", () => {
  // Hand-computed from the layout table: w0 = tag | type<<2 | len[0..27]<<4, w1 = len[28..59], w2-3 = base.
  const hand: { e: RangeEntryBig; words: number[] }[] = [
    { e: { type: 0, length: 10n, base: 10n, offset: 0, extra: 0 }, words: [0xa0, 0, 0xa, 0] },
    {
      e: { type: 3, length: (1n << 60n) - 1n, base: (1n << 64n) - 1n, offset: 0, extra: 0 },
      words: [0xffff_fffc, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff],
    },
    {
      e: { type: 1, length: 1n << 28n, base: 0x1_2345_6789n, offset: 0, extra: 0 },
      words: [0x4, 0x1, 0x2345_6789, 0x1],
    },
    { e: { type: 2, length: 0n, base: 0n, offset: 0, extra: 0 }, words: [0x8, 0, 0, 0] },
  ];

  it.each(hand)("encodes $e.length / $e.base to the hand-computed words and back", ({ e, words }) => {
    const got = new Uint32Array(4);
    expect(fixed16Codec.encodeBig(got, 0, e)).toBe(4);
    expect(Array.from(got)).toEqual(words);
    expect(refFixed16Words(e)).toEqual(words);
    const out = blankEntryBig();
    expect(fixed16Codec.decodeBig(got, 0, out)).toBe(4);
    expect(out).toEqual(e);
  });

  it("takes 4 units for every vector that has no offset or extra", () => {
    for (const c of cases.filter((x) => x.offset === 0 && x.extra === 0)) {
      expect(fixed16Codec.unitsForBig(c.big)).toBe(4);
      const got = new Uint32Array(4);
      fixed16Codec.encodeBig(got, 0, c.big);
      expect(Array.from(got)).toEqual(refFixed16Words(c.big));
    }
    expect(fixed16Codec.maxUnits).toBe(4);
    expect(variableCodec.maxUnits).toBe(6);
  });
});
