import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  describe as describeWords,
  fixed16Codec,
  formatDescribed,
  hexdump,
  type RangeEntryBig,
  RlistError,
  variableCodec,
} from "../src/index.js";
import vectors from "./fixtures/encoding.json" with { type: "json" };
import { arbEntryBig } from "./model.js";

const e8: RangeEntryBig = { type: 0, length: 10n, base: 10n, offset: 0, extra: 0 };
const e16: RangeEntryBig = { type: 0, length: 1n, base: 0x1_0000_0000n, offset: 0, extra: 0 };
const e24: RangeEntryBig = { type: 3, length: 1n << 40n, base: 5n, offset: 7, extra: 9 };

function chunk(entries: RangeEntryBig[], size: number, codec = variableCodec): Uint32Array {
  const words = new Uint32Array(size);
  let at = 0;
  for (const e of entries) at += codec.encodeBig(words, at, e);
  if (at < size) codec.writeEndMarker(words, at);
  return words;
}

describe("describe", () => {
  it("lists every entry with unit, form, label, raw words and fields, then END", () => {
    const words = chunk([e8, e8, e16, e24], 20);
    const d = describeWords(words);
    expect(d.map((r) => r.kind)).toEqual(["entry", "entry", "entry", "entry", "end"]);
    expect(d.map((r) => r.unit)).toEqual([0, 2, 4, 8, 14]);
    expect(d.map((r) => (r.kind === "entry" ? r.label : "-"))).toEqual(["E8", "E8", "E16", "E24", "-"]);
    expect(d.map((r) => (r.kind === "entry" ? r.form : 0))).toEqual([8, 8, 16, 24, 0]);
    expect(d.map((r) => (r.kind === "entry" ? r.entry : null))).toEqual([e8, e8, e16, e24, null]);
    expect(d[2]!.words).toEqual([0x11, 0, 0, 1]);
    expect(d[4]!.words).toEqual([3]);
  });

  it("round-trips random chunks: the entries it reports are the ones encoded", () => {
    fc.assert(
      fc.property(fc.array(arbEntryBig(), { maxLength: 12 }), (list) => {
        const d = describeWords(chunk(list, 6 * list.length + 1));
        expect(d.filter((r) => r.kind === "entry").map((r) => (r.kind === "entry" ? r.entry : null))).toEqual(
          list,
        );
        expect(d.at(-1)!.kind).toBe("end");
      }),
      { numRuns: 200 },
    );
  });

  it("stops at a full chunk without an end marker", () => {
    const d = describeWords(chunk([e8, e8, e8], 6));
    expect(d.map((r) => r.kind)).toEqual(["entry", "entry", "entry"]);
  });

  it("reports a truncated entry as bad with the rest of the window", () => {
    const words = chunk([e8, e24], 8);
    const d = describeWords(words, variableCodec, { end: 5 });
    expect(d.map((r) => r.kind)).toEqual(["entry", "bad"]);
    const bad = d[1]!;
    expect(bad.kind === "bad" && bad.code).toBe("EINVAL");
    expect(bad.words).toEqual(Array.from(words.subarray(2, 5)));
  });

  it("honours start, and rejects a window outside the words", () => {
    const words = chunk([e8, e16, e8], 10);
    expect(describeWords(words, variableCodec, { start: 2 }).map((r) => r.unit)).toEqual([2, 6, 8]);
    for (const options of [{ start: -1 }, { start: 5, end: 4 }, { end: 11 }, { start: 0.5 }]) {
      expect(() => describeWords(words, variableCodec, options)).toThrow(RlistError);
    }
  });

  it("fixed16: labels F16, skips a bad tag by the fixed size and continues", () => {
    const f = { ...e16, type: 2 };
    const words = chunk([f, f, f], 13, fixed16Codec);
    words[4] = (words[4]! & ~3) | 1;
    const d = describeWords(words, fixed16Codec);
    expect(d.map((r) => `${r.kind}@${r.unit}`)).toEqual(["entry@0", "bad@4", "entry@8", "end@12"]);
    expect(d[0]!.kind === "entry" && d[0]!.label).toBe("F16");
    expect(d[1]!.words.length).toBe(4);
  });
});

describe("hexdump", () => {
  it("renders the documented line format (unit in hex, words, label and fields)", () => {
    const text = hexdump(chunk([e8, e8, e16], 10));
    expect(text.split("\n")).toEqual([
      "0000: 000000a0 0000000a  E8 type=0 len=0xa base=0xa off=0 extra=0",
      "0002: 000000a0 0000000a  E8 type=0 len=0xa base=0xa off=0 extra=0",
      "0004: 00000011 00000000 00000000 00000001  E16 type=0 len=0x1 base=0x100000000 off=0 extra=0",
      "0008: 00000003  END",
    ]);
  });

  it("prints every golden vector's words and fields", () => {
    for (const v of vectors.entries) {
      const words = Uint32Array.from(v.words.map((w) => Number.parseInt(w, 16)));
      const line = hexdump(words);
      expect(
        line.startsWith(`0000: ${v.words.map((w) => w.slice(2).toLowerCase()).join(" ")}  E${v.bytes} `),
      ).toBe(true);
      const hex = (s: string) => (BigInt(s) === 0n ? "0" : `0x${BigInt(s).toString(16)}`);
      expect(line).toContain(`type=${v.type} len=${hex(v.length)} base=${hex(v.base)}`);
    }
  });

  it("marks undecodable words BAD instead of throwing", () => {
    const words = Uint32Array.from([0x1, 0x0]);
    expect(hexdump(words)).toMatch(/^0000: 00000001 00000000 {2}BAD EINVAL: truncated/);
    expect(() => hexdump(Uint32Array.from([1, 2, 3]), fixed16Codec)).not.toThrow();
  });

  it("formatDescribed prints the 24-byte fields in hex", () => {
    const [r] = describeWords(chunk([e24], 6));
    expect(formatDescribed(r!)).toBe(
      "0000: 0000000e 00000007 00000005 00000000 00001000 00000009  E24 type=3 len=0x10000000000 base=0x5 off=0x7 extra=0x9",
    );
  });
});
