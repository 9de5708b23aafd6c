/**
 * Failure atomicity: every failing call leaves the list exactly as it was. The pool is made
 * to refuse at every allocation point of an append sequence (chunk openings and merges that
 * move an entry to a new chunk), and the list is compared with a snapshot; then the sequence
 * is finished and compared with the model, to catch hidden state drift.
 */
import type { RangeEntryBig } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeOf } from "../../../scripts/expect-code.js";
import { type ChunkBytes, ChunkPool, RangeList } from "../src/index.js";
import { checkAgainst, expectSnapshot, snapshot } from "./helpers.js";
import { arbEntry, type CodecName, isSafe, Model, toNum, unitsOf } from "./model.js";

/**
 * Entries that provably make a merge move its entry to a new chunk (variable codec, merge on):
 * `cap / 2` 8-byte entries that do not continue each other fill the first chunk exactly, then
 * one continues the last with a length that pushes it past 2^28-1, so it needs 16 bytes and
 * no longer fits. Types, bases and the final length vary; the move is certain.
 */
function arbForcedMove(chunkBytes: ChunkBytes): fc.Arbitrary<RangeEntryBig[]> {
  const fill = (chunkBytes / 4 - 2) / 2;
  return fc
    .tuple(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.bigInt(1n, 4095n)), {
        minLength: fill,
        maxLength: fill,
      }),
      fc.bigInt(1n << 28n, 1n << 36n),
    )
    .map(([heads, push]) => {
      // Bases 2^20 apart and lengths below 2^12: no entry continues the one before it.
      const out: RangeEntryBig[] = heads.map(([type, length], i) => ({
        type,
        length,
        base: BigInt(i) << 20n,
        offset: 0,
        extra: 0,
      }));
      const last = out[out.length - 1] as RangeEntryBig;
      out.push({
        type: last.type,
        length: push - last.length,
        base: last.base + last.length,
        offset: 0,
        extra: 0,
      });
      return out;
    });
}

/**
 * A sequence with many merges, some of which grow the entry into a larger form at the end of a
 * chunk, so that it must move to a new chunk: it opens with {@link arbForcedMove} (so every
 * merge-on run of the variable codec has at least one move), then runs of small 8-byte entries
 * fill chunks and continuations push lengths past 2^28 or 2^36.
 */
function arbSequence(codec: CodecName, chunkBytes: ChunkBytes): fc.Arbitrary<RangeEntryBig[]> {
  const small = fc.record({
    type: fc.integer({ min: 0, max: 3 }),
    length: fc.bigInt(0n, 4095n),
    base: fc.bigInt(0n, (1n << 32n) - 1n),
    offset: fc.constant(0),
    extra: fc.constant(0),
  });
  const contLength = fc.oneof(
    fc.bigInt(0n, 4096n),
    fc.constant(1n << 28n),
    fc.constant(1n << 36n),
    fc.bigInt(0n, 1n << 37n),
  );
  const step = fc.oneof(
    { weight: 6, arbitrary: small.map((e) => ({ e, cont: false, len: 0n })) },
    { weight: 2, arbitrary: arbEntry(codec, false).map((e) => ({ e, cont: false, len: 0n })) },
    { weight: 4, arbitrary: contLength.map((len) => ({ e: null, cont: true, len })) },
  );
  const rest = fc.array(step, { minLength: 1, maxLength: 80, size: "max" });
  return fc.tuple(arbForcedMove(chunkBytes), rest).map(([forced, steps]) => {
    const out: RangeEntryBig[] = [...forced];
    for (const { e, cont, len } of steps) {
      const prev = out[out.length - 1];
      if (cont && prev && prev.offset === 0) {
        out.push({
          type: prev.type,
          base: prev.base + prev.length,
          length: len,
          offset: 0,
          extra: prev.extra,
        });
      } else if (e) {
        out.push(e);
      }
    }
    return out;
  });
}

function push(list: RangeList, e: RangeEntryBig): void {
  if (isSafe(e)) list.append(toNum(e));
  else list.appendBig(e);
}

describe.each(["variable", "fixed16"] as const)("fault injection (%s)", (codec) => {
  for (const chunkBytes of [128, 512] as ChunkBytes[]) {
    it(`${chunkBytes}-byte chunks: ENOMEM at every allocation point leaves the list unchanged`, () => {
      fc.assert(
        fc.property(arbSequence(codec, chunkBytes), fc.boolean(), (seq, merge) => {
          // Count the allocations of a clean run.
          const clean = new ChunkPool({ chunkBytes });
          let allocs = 0;
          clean.setFaultHook(() => {
            allocs++;
            return false;
          });
          const ref = new RangeList({ codec, pool: clean, merge });
          const model = new Model(codec, chunkBytes, merge);
          let moves = 0; // merges that moved their entry to a new chunk
          for (const e of seq) {
            const [count, chunks] = [ref.count, ref.chunkCount];
            push(ref, e);
            model.append(e);
            if (ref.count === count && ref.chunkCount > chunks) moves++;
          }
          checkAgainst(ref, model);
          // The opening block forces a move, so failing every allocation below fails a move too.
          if (codec === "variable" && merge) expect(moves).toBeGreaterThan(0);
          // Fail each allocation in turn.
          for (let failAt = 0; failAt < allocs; failAt++) {
            const pool = new ChunkPool({ chunkBytes });
            pool.setFaultHook((n) => n === failAt);
            const list = new RangeList({ codec, pool, merge });
            let failed = false;
            for (const e of seq) {
              const before = snapshot(list);
              try {
                push(list, e);
              } catch (err) {
                expect((err as { code: string }).code).toBe("ENOMEM");
                expect(failed).toBe(false);
                failed = true;
                expectSnapshot(list, before);
                push(list, e); // the hook refuses only once: retrying succeeds
              }
            }
            expect(failed).toBe(true);
            checkAgainst(list, model);
            list.clear();
            expect(pool.stats().chunksInUse).toBe(0);
          }
        }),
        { numRuns: chunkBytes === 128 ? 40 : 15 },
      );
    });
  }
  if (codec === "variable") {
    it.each([128, 512] as ChunkBytes[])(
      "the opening block of every sequence moves an entry (%i-byte chunks)",
      (chunkBytes) => {
        fc.assert(
          fc.property(arbForcedMove(chunkBytes), (seq) => {
            const list = new RangeList({ pool: new ChunkPool({ chunkBytes }), merge: true });
            for (const e of seq.slice(0, -1)) push(list, e);
            expect([list.count, list.chunkCount]).toEqual([seq.length - 1, 1]);
            push(list, seq[seq.length - 1] as RangeEntryBig);
            expect([list.count, list.chunkCount]).toEqual([seq.length - 1, 2]); // merged, and moved
          }),
          { numRuns: 50 },
        );
      },
    );
  }
});

describe("allocate: false and reserve", () => {
  it("ENOSPC when a new chunk is needed, list unchanged; the reserve lifts it", () => {
    const pool = new ChunkPool({ chunkBytes: 128 });
    const list = new RangeList({ pool, allocate: false });
    const e = { type: 0, length: 1, base: 1, offset: 0, extra: 0 };
    expect(codeOf(() => list.append(e))).toBe("ENOSPC");
    expect(list.count).toBe(0);
    list.reserve(15, 8);
    expect(list.reservedChunks).toBe(1);
    for (let i = 0; i < 15; i++) list.append({ ...e, base: i * 10 });
    const before = snapshot(list);
    expect(codeOf(() => list.append(e))).toBe("ENOSPC");
    expectSnapshot(list, before);
    list.allocate = true;
    list.append(e);
    expect(list.count).toBe(16);
  });

  it("a merge that must move its entry fails with ENOSPC atomically", () => {
    const pool = new ChunkPool({ chunkBytes: 128 });
    const list = new RangeList({ pool, merge: true });
    for (let i = 0; i < 15; i++) list.append({ type: 0, length: 10, base: i * 100, offset: 0, extra: 0 });
    list.allocate = false;
    const before = snapshot(list);
    // continues the last entry and pushes its length past 2^28: 8 -> 16 bytes, no room left
    const next = { type: 0, length: 2 ** 28, base: 1410, offset: 0, extra: 0 };
    expect(codeOf(() => list.append(next))).toBe("ENOSPC");
    expectSnapshot(list, before);
    list.allocate = true;
    list.append(next);
    expect(list.count).toBe(15);
    expect(list.chunkCount).toBe(2);
    expect(list.toArray()[14]).toEqual({ type: 0, length: 2 ** 28 + 10, base: 1400, offset: 0, extra: 0 });
  });

  it("reserve is all or nothing under ENOMEM", () => {
    const pool = new ChunkPool({ chunkBytes: 128, limit: 3 });
    const list = new RangeList({ pool });
    expect(codeOf(() => list.reserve(100))).toBe("ENOMEM");
    expect(list.reservedChunks).toBe(0);
    expect(pool.stats().chunksInUse).toBe(0);
    list.reserve(15); // 5 x 24-byte entries per chunk: 3 chunks
    expect(list.reservedChunks).toBe(3);
    list.releaseReserve();
    expect(pool.stats().chunksInUse).toBe(0);
  });

  it("fromBytes under ENOMEM allocates nothing", () => {
    const src = new RangeList({ pool: new ChunkPool({ chunkBytes: 128 }) });
    for (let i = 0; i < 100; i++) src.append({ type: 0, length: 3, base: i, offset: 0, extra: 0 });
    const pool = new ChunkPool({ chunkBytes: 128, limit: 3 });
    expect(codeOf(() => RangeList.fromBytes(src.toBytes(), { pool }))).toBe("ENOMEM");
    expect(pool.stats().chunksInUse).toBe(0);
  });
});

describe("reserve guarantee", () => {
  it("is exact for entries of the worst-case form: every reserved chunk gets used", () => {
    for (const chunkBytes of [128, 512, 4096] as ChunkBytes[]) {
      for (const codec of ["variable", "fixed16"] as const) {
        for (const form of codec === "fixed16" ? [16] : [8, 16, 24]) {
          const per = Math.floor((chunkBytes / 4 - 2) / (form / 4));
          for (const pre of [0, 1, per - 1]) {
            for (const n of [1, per - 1, per, per + 1, 2 * per, 3 * per + 1]) {
              const list = new RangeList({ codec, pool: new ChunkPool({ chunkBytes }) });
              const e = (i: number) => ({
                type: i & 3,
                length: 1 + i,
                base: form === 8 ? i : 2 ** 40 + i,
                offset: 0,
                extra: form === 24 ? 1 : 0,
              });
              for (let i = 0; i < pre; i++) list.append(e(i));
              list.reserve(n, form);
              list.allocate = false;
              for (let i = 0; i < n; i++) list.append(e(pre + i));
              expect(list.reservedChunks).toBe(0);
            }
          }
        }
      }
    }
  });

  it("after reserve(n, bytes), n appends of entries up to `bytes` (merges included) never allocate", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ChunkBytes>(128, 512, 4096),
        fc.constantFrom<CodecName>("variable", "fixed16"),
        fc.boolean(),
        fc.array(fc.tuple(arbEntry("variable", false), fc.boolean()), { maxLength: 80 }),
        fc.array(fc.tuple(arbEntry("variable", false), fc.boolean(), fc.bigInt(0n, 1n << 37n)), {
          maxLength: 300,
        }),
        (chunkBytes, codec, merge, pre, post) => {
          const pool = new ChunkPool({ chunkBytes });
          const list = new RangeList({ codec, pool, merge });
          const fix = (e: RangeEntryBig): RangeEntryBig =>
            codec === "fixed16" ? { ...e, offset: 0, extra: 0 } : e;
          for (const [e] of pre) push(list, fix(e));
          // the entries to come and the largest form among them
          const seq: RangeEntryBig[] = [];
          let prev = list.toArrayBig().pop();
          for (const [e, cont, len] of post) {
            const x =
              cont && prev && prev.offset === 0
                ? {
                    type: prev.type,
                    base: prev.base + prev.length,
                    length: len,
                    offset: 0,
                    extra: prev.extra,
                  }
                : fix(e);
            seq.push(x);
            prev = x;
          }
          const model = new Model(codec, chunkBytes, merge);
          model.entries = list.toArrayBig();
          // `worst`: the largest stored form any of these appends produces (merged ones included)
          let worst = codec === "fixed16" ? 16 : 8;
          for (const e of seq) {
            model.append(e);
            worst = Math.max(
              worst,
              4 * unitsOf(codec, model.entries[model.entries.length - 1] as RangeEntryBig),
            );
          }
          list.reserve(seq.length, worst);
          list.allocate = false;
          const before = pool.stats().chunksInUse;
          for (const e of seq) push(list, e);
          expect(pool.stats().chunksInUse).toBe(before);
          checkAgainst(list, model);
        },
      ),
      { numRuns: 150 },
    );
  });
});
