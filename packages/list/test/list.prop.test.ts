/**
 * Property tests: random sequences of append / merge-append / truncate / clear, with seek,
 * seekIndex, slice, cursor walks and toBytes round trips checked along the way, against the
 * plain-array model, for every chunk size and both codecs.
 */
import type { RangeEntryBig } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeOf } from "../../../scripts/expect-code.js";
import { type ChunkBytes, ChunkPool, RangeList } from "../src/index.js";
import { checkAgainst, checkInvariants } from "./helpers.js";
import { arbOps, type CodecName, isSafe, MAX_U64, Model, type Op, SAFE, toNum } from "./model.js";

const CHUNKS: ChunkBytes[] = [128, 512, 4096];
const CODECS: CodecName[] = ["variable", "fixed16"];

/** Many entries at once, so that 4 KiB chunks fill too: all three forms, all four types. */
function bulk(codec: CodecName, n: number, seed: number): RangeEntryBig[] {
  const out: RangeEntryBig[] = [];
  for (let i = 0; i < n; i++) {
    const kind = codec === "fixed16" ? 0 : (seed + i) % 3;
    out.push({
      type: (seed + i * 7) & 3,
      length: BigInt((i * 977 + seed) % 9000) + (kind === 1 ? 1n << 28n : 0n),
      base: BigInt(seed * 31 + i * 4096) + (kind === 1 ? 1n << 40n : 0n),
      offset: kind === 2 ? i : 0,
      extra: kind === 2 ? seed + 1 : 0,
    });
  }
  return out;
}

function appendBoth(list: RangeList, model: Model, e: RangeEntryBig, useBig: boolean): void {
  let expected: string | null = null;
  try {
    model.append(e);
  } catch {
    expected = "ERANGE";
  }
  if (expected !== null) {
    const count = list.count;
    const total = list.totalLengthBig;
    expect(codeOf(() => (useBig || !isSafe(e) ? list.appendBig(e) : list.append(toNum(e))))).toBe(expected);
    expect(list.count).toBe(count);
    expect(list.totalLengthBig).toBe(total);
    return;
  }
  if (useBig || !isSafe(e)) list.appendBig(e);
  else list.append(toNum(e));
}

/** seek / seekIndex / a cursor walk / slice / toBytes, all against the model. */
function checkReads(list: RangeList, model: Model, frac: number, codec: CodecName): void {
  const total = model.total();
  const c = list.cursor();
  // full walk: positions and indices
  const pos = model.positions();
  let i = 0;
  while (c.next()) {
    expect(c.index).toBe(i);
    expect(c.positionBig).toBe(pos[i]);
    expect(c.lengthBig).toBe(model.entries[i]?.length);
    i++;
  }
  expect(i).toBe(model.entries.length);
  expect(c.positionBig).toBe(total);
  expect(c.index).toBe(model.entries.length);
  // seek (bigint API covers every target; number API the safe ones)
  if (total > 0n) {
    const t = (total * BigInt(Math.floor(frac * 1e6))) / 1_000_000n;
    const want = model.seek(t);
    expect(c.seekBig(t)).toBe(want !== null);
    if (want) {
      expect(c.index).toBe(want.index);
      expect(c.positionBig).toBe(want.pos);
      expect(c.readBig({ type: 0, length: 0n, base: 0n, offset: 0, extra: 0 })).toEqual(
        model.entries[want.index],
      );
    }
    if (t <= SAFE) {
      expect(c.seek(Number(t))).toBe(want !== null);
      if (want) expect(c.index).toBe(want.index);
    }
  }
  expect(c.seekBig(total)).toBe(false);
  // seekIndex
  if (model.entries.length > 0) {
    const k = Math.min(model.entries.length - 1, Math.floor(frac * model.entries.length));
    expect(c.seekIndex(k)).toBe(true);
    expect(c.positionBig).toBe(pos[k]);
    expect(c.readBig({ type: 0, length: 0n, base: 0n, offset: 0, extra: 0 })).toEqual(model.entries[k]);
  }
  // slice [a, b) with a, b safe
  let cap = total;
  if (cap > SAFE) cap = SAFE;
  const a = (cap * BigInt(Math.floor(frac * 1000))) / 1000n;
  const b = a + ((cap - a) * BigInt(Math.floor((1 - frac) * 1000))) / 1000n;
  const how = codec === "fixed16" || frac > 0.5 ? "base" : "offset";
  const want = model.slice(a, b, how);
  const bad = want.some((e) => e.offset > 0xffff_ffff || e.base > MAX_U64);
  if (bad) {
    expect(codeOf(() => list.slice(Number(a), Number(b), { trimFront: how }))).toBe("ERANGE");
  } else {
    const s = list.slice(Number(a), Number(b), { trimFront: how });
    const m = new Model(codec, list.chunkBytes);
    m.entries = want;
    checkAgainst(s, m);
    s.clear();
  }
  // toBytes round trip
  const bytes = list.toBytes();
  const back = RangeList.fromBytes(bytes, { pool: list.pool });
  checkAgainst(back, model);
  expect(Buffer.from(back.toBytes()).equals(Buffer.from(bytes))).toBe(true);
  back.clear();
}

function run(codec: CodecName, chunkBytes: ChunkBytes, merge: boolean, ops: Op[], seed: number): void {
  // Small slabs, so that lists span several slabs.
  const pool = new ChunkPool({ chunkBytes, slabBytes: chunkBytes * 4 });
  const list = new RangeList({ codec, pool, merge });
  const model = new Model(codec, chunkBytes, merge);
  let n = 0;
  for (const op of ops) {
    n++;
    switch (op.op) {
      case "append":
        appendBoth(list, model, op.e, (op.e.type + n) % 2 === 0);
        break;
      case "cont": {
        const prev = model.entries[model.entries.length - 1];
        if (!prev) break;
        const base = prev.base + prev.length;
        const e = {
          type: prev.type,
          length: op.length,
          base: base > MAX_U64 ? 0n : base,
          offset: 0,
          extra: prev.extra,
        };
        appendBoth(list, model, e, n % 3 === 0);
        break;
      }
      case "truncate": {
        const k = Math.floor(op.frac * (model.entries.length + 1));
        const to = Math.min(k, model.entries.length);
        list.truncate(to);
        model.entries.length = to;
        break;
      }
      case "clear":
        list.clear();
        model.entries = [];
        break;
      case "check":
        if (n % 4 === 0)
          for (const e of bulk(codec, 40 + ((seed + n) % 300), seed + n)) appendBoth(list, model, e, false);
        checkAgainst(list, model);
        checkReads(list, model, op.frac, codec);
        break;
    }
    checkInvariants(list);
  }
  checkAgainst(list, model);
  checkReads(list, model, 0.37, codec);
  list.clear();
  expect(pool.stats().chunksInUse).toBe(0);
}

describe.each(CODECS)("RangeList (%s) against the array model", (codec) => {
  for (const chunkBytes of CHUNKS) {
    it(`${chunkBytes}-byte chunks, number and bigint entries, merge on and off`, () => {
      fc.assert(
        fc.property(arbOps(codec, true), fc.boolean(), fc.nat(1000), (ops, merge, seed) =>
          run(codec, chunkBytes, merge, ops, seed),
        ),
        { numRuns: chunkBytes === 512 ? 25 : 12 },
      );
    });
  }
});

describe("merge with a user canMerge hook", () => {
  it("replaces the default rule and extends the previous entry", () => {
    const hook = (p: { type: number }, n: { type: number }) => p.type === n.type;
    fc.assert(
      fc.property(arbOps("variable", false, 80), (ops) => {
        const pool = new ChunkPool({ chunkBytes: 128, slabBytes: 512 });
        const list = new RangeList({ pool, merge: true, canMerge: hook });
        const model = new Model("variable", 128, true, (p, n) => p.type === n.type && isSafe(p) && isSafe(n));
        for (const op of ops) {
          if (op.op === "append") appendBoth(list, model, op.e, false);
          if (op.op === "truncate") {
            const k = Math.min(Math.floor(op.frac * (model.entries.length + 1)), model.entries.length);
            list.truncate(k);
            model.entries.length = k;
          }
        }
        checkAgainst(list, model);
        list.clear();
      }),
      { numRuns: 60 },
    );
  });
});
