/**
 * Decoders fed arbitrary memory: random words, random `at` (including out of range and
 * non-integers), truncated arrays. They may only return a unit count that fits or throw an
 * `RlistError`; describe/hexdump never throw on word content and always terminate.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Codec,
  describe as describeWords,
  fixed16Codec,
  hexdump,
  isRlistError,
  variableCodec,
} from "../src/index.js";
import { blankEntry, blankEntryBig } from "./model.js";

/** Words whose low bits (tag/encoding) are spread evenly, the rest arbitrary. */
const arbWord = fc.oneof(
  fc.integer({ min: 0, max: 0xffff_ffff }),
  fc
    .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0x3fff_ffff }))
    .map(([lo, hi]) => (hi * 4 + lo) >>> 0),
  fc.constantFrom(0, 1, 2, 3, 0xffff_ffff),
);
const arbWords = fc.array(arbWord, { maxLength: 24 }).map((a) => Uint32Array.from(a));
const arbAt = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -2, max: 26 }) },
  { weight: 1, arbitrary: fc.constantFrom(0.5, Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 53) },
);

function outcome(fn: () => number): { units: number } | { code: string } {
  try {
    return { units: fn() };
  } catch (err) {
    if (!isRlistError(err)) throw err; // any other exception kind fails the property
    return { code: err.code };
  }
}

describe.each([variableCodec, fixed16Codec] as Codec[])("$name decoders on random memory", (codec) => {
  const allowed = codec === variableCodec ? [0, 2, 4, 6] : [0, 4];

  it("decode returns a unit count that fits, or EINVAL/ERANGE; decodeBig never ERANGE", () => {
    fc.assert(
      fc.property(arbWords, arbAt, (words, at) => {
        const copy = words.slice();
        const r = outcome(() => codec.decode(words, at, blankEntry()));
        const rb = outcome(() => codec.decodeBig(words, at, blankEntryBig()));
        for (const x of [r, rb]) {
          if ("units" in x) {
            expect(allowed).toContain(x.units);
            expect(at + Math.max(x.units, 1)).toBeLessThanOrEqual(words.length);
          }
        }
        if ("code" in r) expect(["EINVAL", "ERANGE"]).toContain(r.code);
        if ("code" in rb) expect(rb.code).toBe("EINVAL");
        // The number API fails with ERANGE exactly where decodeBig succeeds with a big value.
        if ("code" in r && r.code === "ERANGE") expect("units" in rb).toBe(true);
        if ("units" in r) expect(rb).toEqual(r);
        expect(words).toEqual(copy); // decoding never writes
      }),
      { numRuns: 3000 },
    );
  });

  it("describe/hexdump cover the words contiguously, stop at END, and never throw", () => {
    fc.assert(
      fc.property(arbWords, (words) => {
        const records = describeWords(words, codec);
        let unit = 0;
        for (const [i, r] of records.entries()) {
          expect(r.unit).toBe(unit);
          expect(r.words.length).toBeGreaterThan(0);
          expect(r.words).toEqual(Array.from(words.subarray(unit, unit + r.words.length)));
          if (r.kind === "end") expect(i).toBe(records.length - 1);
          unit += r.words.length;
        }
        expect(unit).toBeLessThanOrEqual(words.length);
        const last = records.at(-1);
        if (last?.kind !== "end") expect(unit).toBe(words.length);
        const lines = hexdump(words, codec).split("\n");
        expect(lines.length).toBe(Math.max(1, records.length));
      }),
      { numRuns: 1000 },
    );
  });
});
