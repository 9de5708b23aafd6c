/**
 * Invalid input: every field class gives its stable code, and nothing is written
 * (docs/design.md#errors: a failing call leaves its outputs exactly as before).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../scripts/expect-code.js";
import {
  type Codec,
  entryForm,
  fixed16Codec,
  type RangeEntry,
  type RangeEntryBig,
  type RlistErrorCode,
  variableCodec,
} from "../src/index.js";
import { arbEntry, arbEntryBig, blankEntry, blankEntryBig } from "./model.js";

const codecs = [variableCodec, fixed16Codec];
const SENTINEL = 0x5a5a_5a5a;
const good: RangeEntry = { type: 1, length: 4096, base: 0x1000, offset: 0, extra: 0 };
const goodBig: RangeEntryBig = { type: 1, length: 4096n, base: 0x1000n, offset: 0, extra: 0 };

type Bad = [field: string, value: unknown, code: RlistErrorCode];

const badNumberFields: Bad[] = [
  ["type", 4, "ERANGE"],
  ["type", -1, "ERANGE"],
  ["type", 1.5, "ERANGE"],
  ["type", Number.NaN, "ERANGE"],
  ["type", "1", "EINVAL"],
  ["type", 1n, "EINVAL"],
  ["type", undefined, "EINVAL"],
  ["length", -1, "ERANGE"],
  ["length", 0.5, "ERANGE"],
  ["length", 2 ** 53, "ERANGE"],
  ["length", 2 ** 60, "ERANGE"],
  ["length", Number.POSITIVE_INFINITY, "ERANGE"],
  ["length", Number.NaN, "ERANGE"],
  ["length", 4096n, "EINVAL"],
  ["length", "4096", "EINVAL"],
  ["length", null, "EINVAL"],
  ["base", -4096, "ERANGE"],
  ["base", 2 ** 53, "ERANGE"],
  ["base", 2 ** 64, "ERANGE"],
  ["base", 1.25, "ERANGE"],
  ["base", 0x1000n, "EINVAL"],
  ["base", {}, "EINVAL"],
  ["offset", -1, "ERANGE"],
  ["offset", 2 ** 32, "ERANGE"],
  ["offset", 0.5, "ERANGE"],
  ["offset", "0", "EINVAL"],
  ["extra", 2 ** 32, "ERANGE"],
  ["extra", -1, "ERANGE"],
  ["extra", 0n, "EINVAL"],
];

const badBigFields: Bad[] = [
  ["type", 4, "ERANGE"],
  ["type", 3n, "EINVAL"],
  ["length", -1n, "ERANGE"],
  ["length", 1n << 60n, "ERANGE"],
  ["length", 4096, "EINVAL"],
  ["base", -1n, "ERANGE"],
  ["base", 1n << 64n, "ERANGE"],
  ["base", 4096, "EINVAL"],
  ["offset", 2 ** 32, "ERANGE"],
  ["offset", 1n, "EINVAL"],
  ["extra", -1, "ERANGE"],
  ["extra", undefined, "EINVAL"],
];

const notObjects: unknown[] = [null, undefined, 5, "entry", 1n];

describe.each(codecs)("$name encode rejects invalid entries and writes nothing", (codec) => {
  it.each(badNumberFields)("number API: %s = %o -> %s", (field, value, code) => {
    const e = { ...good, [field]: value } as unknown as RangeEntry;
    const words = new Uint32Array(8).fill(SENTINEL);
    const err = expectCode(() => codec.encode(words, 1, e), code);
    expect(err.message).toContain(field);
    expect(words.every((w) => w === SENTINEL)).toBe(true);
    expectCode(() => codec.unitsFor(e), code);
  });

  it.each(badBigFields)("bigint API: %s = %o -> %s", (field, value, code) => {
    const e = { ...goodBig, [field]: value } as unknown as RangeEntryBig;
    const words = new Uint32Array(8).fill(SENTINEL);
    const err = expectCode(() => codec.encodeBig(words, 1, e), code);
    expect(err.message).toContain(field);
    expect(words.every((w) => w === SENTINEL)).toBe(true);
    expectCode(() => codec.unitsForBig(e), code);
  });

  it.each(notObjects)("an entry that is not an object (%o) -> EINVAL", (e) => {
    const words = new Uint32Array(8).fill(SENTINEL);
    expectCode(() => codec.encode(words, 0, e as RangeEntry), "EINVAL");
    expectCode(() => codec.encodeBig(words, 0, e as RangeEntryBig), "EINVAL");
    expect(words.every((w) => w === SENTINEL)).toBe(true);
  });

  it.each([-1, 0.5, Number.NaN, "0", null])("unit index %o -> EINVAL", (at) => {
    const words = new Uint32Array(8).fill(SENTINEL);
    expectCode(() => codec.encode(words, at as number, good), "EINVAL");
    expectCode(() => codec.encodeBig(words, at as number, goodBig), "EINVAL");
    expectCode(() => codec.writeEndMarker(words, at as number), "EINVAL");
    expect(words.every((w) => w === SENTINEL)).toBe(true);
  });

  it("not enough units left -> ENOSPC and nothing written (property)", () => {
    fc.assert(
      fc.property(
        arbEntryBig({ noOffsetExtra: codec === fixed16Codec }),
        fc.nat(12),
        fc.nat(3),
        (e, size, gap) => {
          const units = codec.unitsForBig(e);
          const words = new Uint32Array(size).fill(SENTINEL);
          const at = Math.max(0, size - units + 1) + gap;
          expectCode(() => codec.encodeBig(words, at, e), "ENOSPC");
          expect(words.every((w) => w === SENTINEL)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("exactly enough units left succeeds", () => {
    fc.assert(
      fc.property(arbEntry({ noOffsetExtra: codec === fixed16Codec }), (e) => {
        const units = codec.unitsFor(e);
        const words = new Uint32Array(units + 3);
        expect(codec.encode(words, 3, e)).toBe(units);
      }),
      { numRuns: 200 },
    );
  });

  it("writeEndMarker past the end -> ENOSPC, nothing written", () => {
    const words = new Uint32Array(2).fill(SENTINEL);
    expectCode(() => codec.writeEndMarker(words, 2), "ENOSPC");
    expectCode(() => codec.writeEndMarker(new Uint32Array(0), 0), "ENOSPC");
    expect(words.every((w) => w === SENTINEL)).toBe(true);
  });

  it("an invalid entry is reported before lack of room", () => {
    expectCode(() => codec.encode(new Uint32Array(0), 0, { ...good, type: 7 }), "ERANGE");
  });
});

describe("fixed16 has no offset/extra", () => {
  it.each([
    ["offset", 1],
    ["extra", 1],
    ["offset", 2 ** 32 - 1],
  ])("%s = %d -> ERANGE that says to fold the offset into base", (field, value) => {
    const words = new Uint32Array(4).fill(SENTINEL);
    const e = { ...good, [field]: value };
    const err = expectCode(() => fixed16Codec.encode(words, 0, e), "ERANGE");
    expect(err.message).toMatch(/fold the offset into base/);
    expectCode(() => fixed16Codec.encodeBig(words, 0, { ...goodBig, [field]: value }), "ERANGE");
    expectCode(() => fixed16Codec.unitsFor(e), "ERANGE");
    expect(words.every((w) => w === SENTINEL)).toBe(true);
  });
});

describe.each(codecs)("$name decode of words that are no entry", (codec) => {
  it.each([-1, 4, 100, 0.5, Number.NaN, "0"])("unit index %o outside 0..3 -> EINVAL, out untouched", (at) => {
    const words = new Uint32Array(4);
    const out = blankEntry();
    const outBig = blankEntryBig();
    out.type = 2;
    expectCode(() => codec.decode(words, at as number, out), "EINVAL");
    expectCode(() => codec.decodeBig(words, at as number, outBig), "EINVAL");
    expect(out).toEqual({ ...blankEntry(), type: 2 });
    expect(outBig).toEqual(blankEntryBig());
  });

  it("a truncated entry at the end of the array -> EINVAL", () => {
    const full = new Uint32Array(6);
    const e = codec === variableCodec ? { ...good, extra: 1 } : good; // 24-byte / 16-byte entry
    const units = codec.encode(full, 0, e);
    for (let keep = 1; keep < units; keep++) {
      const out = blankEntry();
      expectCode(() => codec.decode(full.subarray(0, keep), 0, out), "EINVAL");
      expectCode(() => codec.decodeBig(full.subarray(0, keep), 0, blankEntryBig()), "EINVAL");
      expect(out).toEqual(blankEntry());
    }
  });
});

describe("fixed16 tags", () => {
  it.each([1, 2])("tag %d -> EINVAL", (tag) => {
    const words = new Uint32Array(4);
    fixed16Codec.encode(words, 0, good);
    words[0] = (words[0]! & ~3) | tag;
    expectCode(() => fixed16Codec.decode(words, 0, blankEntry()), "EINVAL");
    expectCode(() => fixed16Codec.decodeBig(words, 0, blankEntryBig()), "EINVAL");
  });
});

describe("number decode of values above 2^53-1", () => {
  const cases: [string, Codec, RangeEntryBig, "length" | "base"][] = [
    ["var16 base 2^53", variableCodec, { ...goodBig, base: 1n << 53n }, "base"],
    ["var24 length 2^53", variableCodec, { ...goodBig, length: 1n << 53n }, "length"],
    ["var24 base 2^64-1", variableCodec, { ...goodBig, base: (1n << 64n) - 1n, extra: 1 }, "base"],
    ["fixed16 length 2^53", fixed16Codec, { ...goodBig, length: 1n << 53n }, "length"],
    ["fixed16 base 2^53", fixed16Codec, { ...goodBig, base: 1n << 53n }, "base"],
  ];
  it.each(cases)("%s -> ERANGE naming %s, out untouched; 2^53-1 still decodes", (_name, codec, e, field) => {
    const words = new Uint32Array(6);
    codec.encodeBig(words, 0, e);
    const out = blankEntry();
    const err = expectCode(() => codec.decode(words, 0, out), "ERANGE");
    expect(err.message).toContain(field);
    expect(err.message).toContain("decodeBig");
    expect(out).toEqual(blankEntry());

    const edge = { ...e, [field]: (1n << 53n) - 1n };
    codec.encodeBig(words, 0, edge);
    codec.decode(words, 0, out);
    expect(out[field]).toBe(2 ** 53 - 1);
  });
});

describe("entryForm validates like encode", () => {
  it("rejects a length of 2^53 in the number API", () => {
    expectCode(() => entryForm({ ...good, length: 2 ** 53 }), "ERANGE");
  });
});
