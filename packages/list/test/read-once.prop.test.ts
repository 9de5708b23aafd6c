/**
 * append / appendBig / RangeList.from read each field of the entry they are given exactly once,
 * on every path (8-byte fast path, chunk change, 16/24-byte forms, fixed16, merges that extend
 * or move the last entry, totals past 2^53, errors). A getter that answers differently on a
 * later read can neither get an invalid value stored (e.g. an offset of 0xFFFFFFFF after
 * `offset: 0` passed the merge rule) nor leave the list half-changed.
 */
import type { RangeEntryBig } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeOf } from "../../../scripts/expect-code.js";
import { ChunkPool, RangeList } from "../src/index.js";
import { checkAgainst, expectSnapshot, fickleEntry, snapshot } from "./helpers.js";
import { arbEntry, type CodecName, isSafe, Model, toNum } from "./model.js";

const HOSTILE_NUMBER = { type: 7, length: -1, base: 2 ** 64, offset: -1, extra: 2 ** 32 + 5 };
const HOSTILE_BIG = { type: 7, length: 1n << 61n, base: -1n, offset: -1, extra: 2 ** 32 + 5 };
const ONCE = { type: 1, length: 1, base: 1, offset: 1, extra: 1 };

function push(list: RangeList, e: RangeEntryBig): void {
  if (isSafe(e)) list.append(toNum(e));
  else list.appendBig(e);
}

/** A list state (built from `pre`) and the entry to append next: fresh or continuing the last. */
const arbCase = (codec: CodecName) =>
  fc.record({
    merge: fc.boolean(),
    pre: fc.array(arbEntry(codec, true), { maxLength: 40 }),
    next: arbEntry(codec, true),
    cont: fc.boolean(),
    contLength: fc.oneof(fc.bigInt(0n, 5000n), fc.constantFrom(1n << 28n, 1n << 36n, 1n << 53n)),
  });

describe.each(["variable", "fixed16"] as const)("read-once (%s)", (codec) => {
  it("append/appendBig store what the first read said, whatever later reads say", () => {
    fc.assert(
      fc.property(arbCase(codec), ({ merge, pre, next, cont, contLength }) => {
        const list = new RangeList({ codec, pool: new ChunkPool({ chunkBytes: 128 }), merge });
        const model = new Model(codec, 128, merge);
        for (const e of pre) {
          try {
            model.append(e);
          } catch {
            continue; // would pass 2^64-1
          }
          push(list, e);
        }
        const last = model.entries.at(-1);
        const e: RangeEntryBig =
          cont && last && last.offset === 0
            ? {
                type: last.type,
                base: (last.base + last.length) & ((1n << 64n) - 1n),
                length: contLength,
                offset: 0,
                extra: last.extra,
              }
            : next;
        let modelOk = true;
        try {
          model.append(e);
        } catch {
          modelOk = false;
        }
        const before = snapshot(list);
        const f = isSafe(e) ? fickleEntry(toNum(e), HOSTILE_NUMBER) : fickleEntry(e, HOSTILE_BIG);
        const call = () => (isSafe(e) ? list.append(f.entry as never) : list.appendBig(f.entry as never));
        if (modelOk) {
          call();
          checkAgainst(list, model);
        } else {
          expect(codeOf(call)).toBe("ERANGE");
          expectSnapshot(list, before);
        }
        expect(f.reads).toEqual(ONCE);
      }),
      { numRuns: 300 },
    );
  });

  it("an entry invalid on its first read is refused from that read (list unchanged), read once", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(arbEntry(codec, false), { maxLength: 30 }),
        fc.constantFrom("type", "length", "base", "offset", "extra"),
        fc.boolean(),
        (merge, pre, field, big) => {
          const list = new RangeList({ codec, pool: new ChunkPool({ chunkBytes: 128 }), merge });
          for (const e of pre) push(list, e);
          const before = snapshot(list);
          const valid = { type: 0, length: 1, base: 1, offset: 0, extra: 0 };
          const validBig = { ...valid, length: 1n, base: 1n };
          const f = big
            ? fickleEntry({ ...validBig, [field]: HOSTILE_BIG[field] }, validBig)
            : fickleEntry({ ...valid, [field]: HOSTILE_NUMBER[field] }, valid);
          expect(codeOf(() => (big ? list.appendBig(f.entry as never) : list.append(f.entry as never)))).toBe(
            "ERANGE",
          );
          expect(f.reads[field]).toBe(1);
          for (const n of Object.values(f.reads)) expect(n).toBeLessThanOrEqual(1);
          expectSnapshot(list, before);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("the issue's case", () => {
  it("merge with an offset getter (0, then -1) never stores 0xFFFFFFFF", () => {
    const list = new RangeList({ pool: new ChunkPool({ chunkBytes: 128 }), merge: true });
    list.append({ type: 0, length: 0x1000, base: 0x10000, offset: 0, extra: 0 });
    const f = fickleEntry(
      { type: 0, length: 0x1000, base: 0x11000, offset: 0, extra: 0 },
      { offset: -1, extra: -1 },
    );
    list.append(f.entry);
    expect(list.toArray()).toEqual([{ type: 0, length: 0x2000, base: 0x10000, offset: 0, extra: 0 }]);
    expect(f.reads).toEqual(ONCE);
  });

  it("RangeList.from reads each element's fields once", () => {
    const a = fickleEntry({ type: 1, length: 5, base: 9, offset: 0, extra: 0 }, HOSTILE_NUMBER);
    const b = fickleEntry({ type: 2, length: 2 ** 40, base: 2 ** 50, offset: 3, extra: 4 }, HOSTILE_NUMBER);
    const list = RangeList.from([a.entry, b.entry], { pool: new ChunkPool({ chunkBytes: 128 }) });
    expect(list.toArray()).toEqual([
      { type: 1, length: 5, base: 9, offset: 0, extra: 0 },
      { type: 2, length: 2 ** 40, base: 2 ** 50, offset: 3, extra: 4 },
    ]);
    expect(a.reads).toEqual(ONCE);
    expect(b.reads).toEqual(ONCE);
  });
});
