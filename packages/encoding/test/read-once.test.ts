/**
 * Every encoding entry point that takes an entry object reads each of its fields exactly once:
 * a getter that answers differently on a second read can neither get an invalid value stored
 * nor change the error (issue 12, item 10).
 */
import { describe, expect, it } from "vitest";
import {
  entryForm,
  entryFormBig,
  fixed16Codec,
  type RangeEntry,
  type RangeEntryBig,
  RlistError,
  variableCodec,
} from "../src/index.js";
import { fickle, HOSTILE_BIG, HOSTILE_NUMBER } from "./fickle.js";

const numberEntries: RangeEntry[] = [
  { type: 1, length: 0x1000, base: 0x2000, offset: 0, extra: 0 }, // 8 B
  { type: 2, length: 2 ** 30, base: 2 ** 40, offset: 0, extra: 0 }, // 16 B
  { type: 3, length: 2 ** 40, base: 7, offset: 9, extra: 11 }, // 24 B
];
const bigEntries: RangeEntryBig[] = [
  { type: 1, length: 0x1000n, base: 0x2000n, offset: 0, extra: 0 },
  { type: 0, length: (1n << 60n) - 1n, base: (1n << 64n) - 1n, offset: 0, extra: 0 },
  { type: 3, length: 1n << 40n, base: 7n, offset: 9, extra: 11 },
];

function allOnce(reads: Record<string, number>): void {
  expect(reads).toEqual({ type: 1, length: 1, base: 1, offset: 1, extra: 1 });
}

describe.each([variableCodec, fixed16Codec])("$name: each entry field is read once", (codec) => {
  const fits = (e: { offset: number; extra: number }) =>
    codec === variableCodec || (e.offset === 0 && e.extra === 0);

  it.each(numberEntries.filter(fits))(
    "encode / unitsFor store or size what the first read said (%o)",
    (e) => {
      const expected = new Uint32Array(8);
      const units = codec.encode(expected, 1, e);
      const f = fickle(e, HOSTILE_NUMBER);
      const words = new Uint32Array(8);
      expect(codec.encode(words, 1, f.entry)).toBe(units);
      expect(words).toEqual(expected);
      allOnce(f.reads);
      const g = fickle(e, HOSTILE_NUMBER);
      expect(codec.unitsFor(g.entry)).toBe(units);
      allOnce(g.reads);
    },
  );

  it.each(bigEntries.filter(fits))(
    "encodeBig / unitsForBig store or size what the first read said (%o)",
    (e) => {
      const expected = new Uint32Array(8);
      const units = codec.encodeBig(expected, 1, e);
      const f = fickle(e, HOSTILE_BIG);
      const words = new Uint32Array(8);
      expect(codec.encodeBig(words, 1, f.entry)).toBe(units);
      expect(words).toEqual(expected);
      allOnce(f.reads);
      const g = fickle(e, HOSTILE_BIG);
      expect(codec.unitsForBig(g.entry)).toBe(units);
      allOnce(g.reads);
    },
  );

  it("an entry invalid on the first read is refused, explained from that read, and read once", () => {
    const good = numberEntries[0]!;
    const f = fickle({ ...good, type: 9 }, { type: 1 });
    const words = new Uint32Array(8);
    let err: unknown;
    try {
      codec.encode(words, 0, f.entry);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RlistError);
    expect((err as RlistError).code).toBe("ERANGE");
    expect((err as RlistError).message).toContain("type 9");
    expect(words).toEqual(new Uint32Array(8));
    allOnce(f.reads);
    const g = fickle({ ...bigEntries[0]!, base: -5n }, { base: 5n });
    expect(() => codec.encodeBig(words, 0, g.entry)).toThrow(/base -5n/);
    allOnce(g.reads);
  });
});

describe("entryForm / entryFormBig", () => {
  it("read each field once", () => {
    for (const e of numberEntries) {
      const f = fickle(e, HOSTILE_NUMBER);
      expect(entryForm(f.entry)).toBe(entryForm(e));
      allOnce(f.reads);
    }
    for (const e of bigEntries) {
      const f = fickle(e, HOSTILE_BIG);
      expect(entryFormBig(f.entry)).toBe(entryFormBig(e));
      allOnce(f.reads);
    }
  });
});
