import type { RangeEntry, RangeEntryBig } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeOf } from "../../../scripts/expect-code.js";
import { ChunkPool, RangeList } from "../src/index.js";
import { Model } from "./model.js";

const e = (length: number, base = 0, type = 0, offset = 0, extra = 0): RangeEntry => ({
  type,
  length,
  base,
  offset,
  extra,
});

function walk(list: RangeList): RangeEntryBig[] {
  const out: RangeEntryBig[] = [];
  const c = list.cursor();
  for (let ok = c.reset(); ok; ok = c.next()) {
    out.push(c.readBig({ type: 0, length: 0n, base: 0n, offset: 0, extra: 0 }));
  }
  return out;
}

describe("cursor basics", () => {
  it("a fresh cursor's next() acts as reset(); past the end it stays false", () => {
    const list = RangeList.from([e(1, 5), e(2, 6)], { pool: new ChunkPool() });
    const c = list.cursor();
    expect(c.valid).toBe(false);
    expect(c.next()).toBe(true);
    expect(c.valid).toBe(true);
    expect([c.index, c.position, c.length, c.base]).toEqual([0, 0, 1, 5]);
    expect(c.next()).toBe(true);
    expect([c.index, c.position, c.length, c.base]).toEqual([1, 1, 2, 6]);
    expect(c.next()).toBe(false);
    expect(c.valid).toBe(false);
    // after the end: fields read 0, position = total, index = count
    expect([c.type, c.length, c.base, c.offset, c.extra, c.position, c.index]).toEqual([0, 0, 0, 0, 0, 3, 2]);
    expect(c.next()).toBe(false);
    expect(c.reset()).toBe(true);
    expect(c.base).toBe(5);
  });

  it("reads every field of every form, in both codecs", () => {
    const entries = [
      e(7, 2 ** 32 - 1, 1),
      e(2 ** 28, 9, 2),
      e(5, 2 ** 50, 3, 2 ** 24 - 1),
      e(6, 1, 0, 2 ** 32 - 1, 77),
    ];
    const list = RangeList.from(entries, { pool: new ChunkPool() });
    const c = list.cursor();
    const got: RangeEntry[] = [];
    while (c.next())
      got.push({ type: c.type, length: c.length, base: c.base, offset: c.offset, extra: c.extra });
    expect(got).toEqual(entries);
    const fixed = RangeList.from([e(2 ** 40, 2 ** 52, 3), e(1, 0, 1)], {
      codec: "fixed16",
      pool: new ChunkPool(),
    });
    expect(fixed.toArray()).toEqual([e(2 ** 40, 2 ** 52, 3), e(1, 0, 1)]);
  });

  it("number getters throw ERANGE above 2^53-1; the bigint ones are exact", () => {
    const list = new RangeList({ pool: new ChunkPool() });
    const big: RangeEntryBig = {
      type: 1,
      length: (1n << 60n) - 1n,
      base: (1n << 64n) - 1n,
      offset: 3,
      extra: 4,
    };
    list.appendBig(big);
    list.appendBig({ type: 0, length: 5n, base: 1n, offset: 0, extra: 0 });
    const c = list.cursor();
    c.reset();
    expect(codeOf(() => c.length)).toBe("ERANGE");
    expect(codeOf(() => c.base)).toBe("ERANGE");
    expect(codeOf(() => c.read(e(0)))).toBe("ERANGE");
    expect([c.type, c.offset, c.extra, c.position]).toEqual([1, 3, 4, 0]);
    expect(c.lengthBig).toBe(big.length);
    expect(c.baseBig).toBe(big.base);
    expect(c.next()).toBe(true);
    expect(c.length).toBe(5);
    expect(codeOf(() => c.position)).toBe("ERANGE");
    expect(c.positionBig).toBe(big.length);
    expect(codeOf(() => list.totalLength)).toBe("ERANGE");
    expect(list.totalLengthBig).toBe(big.length + 5n);
    expect(c.seekBig(big.length + 2n)).toBe(true);
    expect(c.index).toBe(1);
    expect(c.positionBig).toBe(big.length);
    expect(c.seekBig(big.length + 5n)).toBe(false);
    expect(c.positionBig).toBe(big.length + 5n);
    expect(c.seek(12345)).toBe(true);
    expect(c.index).toBe(0);
    expect(codeOf(() => [...list])).toBe("ERANGE");
    expect(list.toArrayBig()).toEqual([big, { type: 0, length: 5n, base: 1n, offset: 0, extra: 0 }]);
  });

  it("validates seek targets", () => {
    const c = RangeList.from([e(10)], { pool: new ChunkPool() }).cursor();
    for (const bad of [-1, 0.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(codeOf(() => c.seek(bad))).toBe("ERANGE");
    }
    expect(codeOf(() => c.seek("3" as unknown as number))).toBe("EINVAL");
    expect(codeOf(() => c.seekBig(-1n))).toBe("ERANGE");
    expect(codeOf(() => c.seekBig(1n << 64n))).toBe("ERANGE");
    expect(codeOf(() => c.seekBig(3 as unknown as bigint))).toBe("EINVAL");
    expect(codeOf(() => c.seekIndex(-1))).toBe("ERANGE");
    expect(c.seekIndex(1)).toBe(false);
    expect(c.seekIndex(0)).toBe(true);
  });

  it("seek / seekIndex / position agree with a walk on every entry (lazy position)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 400 }), fc.nat(), (lens, seed) => {
        const list = new RangeList({ pool: new ChunkPool({ chunkBytes: 128 }) });
        const model = new Model("variable", 128);
        lens.forEach((len, i) => {
          const x = i % 3 === 0 ? e(len, 2 ** 40 + i) : e(len, i);
          list.append(x);
          model.append({ ...x, length: BigInt(x.length), base: BigInt(x.base) });
        });
        const pos = model.positions();
        const c = list.cursor();
        // reading position only every few steps exercises the lazy catch-up
        let i = 0;
        while (c.next()) {
          if ((i + seed) % 5 === 0) expect(c.position).toBe(Number(pos[i]));
          i++;
        }
        for (let k = 0; k < lens.length; k += 1 + (seed % 7)) {
          expect(c.seekIndex(k)).toBe(true);
          expect(c.position).toBe(Number(pos[k]));
          if ((lens[k] as number) > 0) {
            expect(c.seek(Number(pos[k]) + ((lens[k] as number) >> 1))).toBe(true);
            expect(c.index).toBe(k);
          }
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe("cursors and a list that changes", () => {
  it("sees entries appended after it reached the end of the tail, across new chunks", () => {
    const list = new RangeList({ pool: new ChunkPool({ chunkBytes: 128 }) });
    list.append(e(1, 0));
    const c = list.cursor();
    expect(c.next()).toBe(true);
    for (let i = 1; i < 100; i++) {
      list.append(e(1, i));
      expect(c.next()).toBe(true);
      expect([c.index, c.base, c.position]).toEqual([i, i, i]);
    }
    expect(c.next()).toBe(false);
  });

  it("sees a merge that grows the current entry in place (8 -> 16 bytes)", () => {
    const list = new RangeList({ pool: new ChunkPool({ chunkBytes: 128 }), merge: true });
    list.append(e(10, 100));
    const c = list.cursor();
    c.next();
    list.append(e(2 ** 28, 110)); // continues: 10 + 2^28 no longer fits the 8-byte form
    expect(list.count).toBe(1);
    expect(c.length).toBe(10 + 2 ** 28);
    list.append(e(5, 7));
    expect(c.next()).toBe(true);
    expect([c.index, c.base, c.position]).toEqual([1, 7, 10 + 2 ** 28]);
  });

  it("follows the last entry when a merge moves it to a new chunk", () => {
    const list = new RangeList({ pool: new ChunkPool({ chunkBytes: 128 }), merge: true });
    for (let i = 0; i < 15; i++) list.append(e(10, i * 100)); // exactly one full chunk
    const on = list.cursor(); // sits on the entry that will move
    on.seekIndex(14);
    const before = list.cursor(); // sits two entries before it
    before.seekIndex(12);
    list.append(e(2 ** 28, 1410)); // grows entry 14 to 16 bytes: moves to chunk 2
    expect(list.chunkCount).toBe(2);
    list.append(e(1, 5));
    expect(before.next()).toBe(true);
    expect(before.index).toBe(13);
    expect(before.next()).toBe(true);
    expect([before.index, before.length, before.base]).toEqual([14, 10 + 2 ** 28, 1400]);
    expect(before.next()).toBe(true);
    expect([before.index, before.base, before.position]).toEqual([15, 5, 150 + 2 ** 28]);
    expect(on.next()).toBe(true);
    expect([on.index, on.base, on.position]).toEqual([15, 5, 150 + 2 ** 28]);
    expect(walk(list).length).toBe(16);
  });

  it("after truncate or clear, a positioned cursor is stale until reset/seek", () => {
    const list = new RangeList({ pool: new ChunkPool({ chunkBytes: 128 }) });
    for (let i = 0; i < 40; i++) list.append(e(1, i));
    const c = list.cursor();
    c.seekIndex(3);
    list.truncate(20);
    expect(
      codeOf(() => {
        while (c.next());
      }),
    ).toBe("EINVAL");
    expect(c.reset()).toBe(true);
    let n = 1;
    while (c.next()) n++;
    expect(n).toBe(20);
    c.seekIndex(2);
    list.clear();
    expect(
      codeOf(() => {
        while (c.next());
      }),
    ).toBe("EINVAL");
    expect(c.reset()).toBe(false);
  });

  it("a canMerge hook cannot re-enter append (EBUSY), and a throwing hook leaves the list as it was", () => {
    const list: RangeList = new RangeList({
      pool: new ChunkPool(),
      merge: true,
      canMerge: (p, n) => {
        if (n.base === 1) list.append(e(1));
        if (n.base === 2) throw new Error("hook");
        return p.type === n.type;
      },
    });
    list.append(e(5, 0));
    expect(codeOf(() => list.append(e(5, 1)))).toBe("EBUSY");
    expect(() => list.append(e(5, 2))).toThrow("hook");
    expect(list.toArray()).toEqual([e(5, 0)]);
    list.append(e(5, 3));
    expect(list.toArray()).toEqual([e(10, 0)]);
  });
});
