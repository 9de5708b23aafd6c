/**
 * Wrong-typed arguments to the list's entry points give an RlistError (never a TypeError or
 * RangeError), are never coerced (no "0x10" read as 16), and leave the list and its pool as
 * they were; hooks cannot change the list under a merge.
 */
import { describe, expect, it } from "vitest";
import { codeOf } from "../../../scripts/expect-code.js";
import * as listKernel from "../src/generated/list.wasm.js";
import { ChunkPool, entryUnits, instantiateKernel, newChunkSpan, RangeList } from "../src/index.js";
import { expectSnapshot, snapshot } from "./helpers.js";

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
/** Not a number, whatever the argument wants. */
const notNumbers: unknown[] = [null, Symbol("n"), throwingToString(), 1n, "16", "0x10", true, () => 0];
/** Numbers that no count, index or position may be. */
const badNumbers: unknown[] = [
  Number.NaN,
  -1,
  1.5,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  2 ** 53 + 2,
];
const e = (i: number) => ({ type: i & 3, length: 10, base: i * 100, offset: 0, extra: 0 });

function filled(n = 40, merge = false): RangeList {
  const list = new RangeList({ pool: new ChunkPool({ chunkBytes: 128, limit: 1000 }), merge });
  for (let i = 0; i < n; i++) list.append(e(i));
  return list;
}

describe("reserve", () => {
  it("2^53-1 entries: ENOMEM up front (no RangeError, nothing taken)", () => {
    for (const pool of [new ChunkPool({ chunkBytes: 128 }), new ChunkPool({ chunkBytes: 128, limit: 10 })]) {
      const list = new RangeList({ pool });
      list.append(e(1));
      const before = snapshot(list);
      expect(codeOf(() => list.reserve(2 ** 53 - 1))).toBe("ENOMEM");
      expect(codeOf(() => list.reserve(2 ** 40, 8))).toBe("ENOMEM");
      expectSnapshot(list, before);
    }
  });

  it("takes numbers only for both arguments: no bigint, no string coercion", () => {
    const list = filled();
    const before = snapshot(list);
    for (const v of notNumbers) {
      expect(codeOf(() => list.reserve(v as number))).toBe("EINVAL");
      expect(codeOf(() => list.reserve(10, v as number))).toBe("EINVAL");
    }
    for (const v of badNumbers) expect(codeOf(() => list.reserve(v as number))).toBe("ERANGE");
    for (const v of [...badNumbers, 0, 4, 12, 32, -8])
      expect(codeOf(() => list.reserve(10, v as number))).toBe("EINVAL");
    expectSnapshot(list, before);
    list.reserve(10, 16);
    expect(list.reservedChunks).toBeGreaterThan(0);
  });
});

describe("constructor, from, fromBytes and settable flags", () => {
  it("options must be an object, flags booleans", () => {
    for (const v of [null, 5, "x", Symbol("o"), 1n]) {
      expect(codeOf(() => new RangeList(v as never))).toBe("EINVAL");
      expect(codeOf(() => RangeList.fromBytes(filled(3).toBytes(), v as never))).toBe("EINVAL");
    }
    for (const v of [1, "yes", null, Symbol("b"), {}]) {
      expect(codeOf(() => new RangeList({ merge: v as boolean }))).toBe("EINVAL");
      expect(codeOf(() => new RangeList({ allocate: v as boolean }))).toBe("EINVAL");
    }
    for (const v of [Symbol("c"), throwingToString(), 256, "512", 512n]) {
      expect(codeOf(() => new RangeList({ chunkBytes: v as 512 }))).toBe("EINVAL");
      expect(codeOf(() => new RangeList({ codec: v as "variable" }))).toBe("EINVAL");
      expect(codeOf(() => new RangeList({ pool: v as ChunkPool }))).toBe("EINVAL");
    }
  });

  it("merge and allocate refuse non-booleans when set, list unchanged", () => {
    const list = filled(5, true);
    for (const v of [1, "false", null, undefined, Symbol("m")]) {
      expect(
        codeOf(() => {
          list.merge = v as unknown as boolean;
        }),
      ).toBe("EINVAL");
      expect(
        codeOf(() => {
          list.allocate = v as unknown as boolean;
        }),
      ).toBe("EINVAL");
    }
    expect(list.merge).toBe(true);
    expect(list.allocate).toBe(true);
  });

  it("from() wants an iterable of entries", () => {
    const pool = new ChunkPool({ chunkBytes: 128 });
    for (const v of [null, undefined, 5, Symbol("i"), {}, 1n, "", "abc"]) {
      expect(codeOf(() => RangeList.from(v as never, { pool }))).toBe("EINVAL");
    }
    expect(codeOf(() => RangeList.from([e(1), null as never], { pool }))).toBe("EINVAL");
    expect(pool.stats().chunksInUse).toBe(0);
  });
});

describe("slice, truncate, chunkSpan, cursors", () => {
  it("slice options must be an object; positions numbers", () => {
    const list = filled();
    const before = snapshot(list);
    for (const v of [null, 5, "base", Symbol("s")])
      expect(codeOf(() => list.slice(0, 10, v as never))).toBe("EINVAL");
    for (const v of notNumbers) {
      expect(codeOf(() => list.slice(v as number, 10))).toBe("EINVAL");
      expect(codeOf(() => list.truncate(v as number))).toBe("EINVAL");
    }
    expectSnapshot(list, before);
  });

  it("chunkSpan takes an integer chunk number (no such chunk: false) and a span object", () => {
    const list = filled();
    const span = newChunkSpan();
    for (const v of notNumbers) expect(codeOf(() => list.chunkSpan(v as number, span))).toBe("EINVAL");
    for (const v of [Number.NaN, -0.5, 1.5, Number.POSITIVE_INFINITY]) {
      expect(codeOf(() => list.chunkSpan(v, span))).toBe("ERANGE");
    }
    for (const v of [null, 5, Symbol("o"), Object.freeze(newChunkSpan())]) {
      expect(codeOf(() => list.chunkSpan(0, v as never))).toBe("EINVAL");
    }
    expect(list.chunkSpan(list.chunkCount, span)).toBe(false);
    expect(list.chunkSpan(-1, span)).toBe(false);
    expect(list.chunkSpan(0, span)).toBe(true);
  });

  it("cursor reads want a writable entry object; seeks numbers", () => {
    const list = filled();
    const c = list.cursor();
    c.reset();
    for (const v of [
      null,
      5,
      Symbol("o"),
      Object.freeze({ type: 0, length: 0, base: 0, offset: 0, extra: 0 }),
    ]) {
      expect(codeOf(() => c.read(v as never))).toBe("EINVAL");
      expect(codeOf(() => c.readBig(v as never))).toBe("EINVAL");
    }
    for (const v of notNumbers) {
      expect(codeOf(() => c.seek(v as number))).toBe("EINVAL");
      expect(codeOf(() => c.seekIndex(v as number))).toBe("EINVAL");
      if (typeof v !== "bigint") expect(codeOf(() => c.seekBig(v as bigint))).toBe("EINVAL");
    }
  });
});

describe("re-entrancy from a canMerge hook", () => {
  it.each(["clear", "truncate", "reserve", "releaseReserve", "append"] as const)(
    "%s inside the hook is EBUSY; the merge completes on an intact list",
    (what) => {
      let inner = "";
      const pool = new ChunkPool({ chunkBytes: 128 });
      const list = new RangeList({
        pool,
        merge: true,
        canMerge: () => {
          inner = codeOf(() => {
            if (what === "clear") list.clear();
            else if (what === "truncate") list.truncate(0);
            else if (what === "reserve") list.reserve(100);
            else if (what === "releaseReserve") list.releaseReserve();
            else list.append(e(9));
          });
          return true;
        },
      });
      list.reserve(20);
      for (let i = 0; i < 20; i++) list.append({ type: 0, length: 1, base: i * 10, offset: 0, extra: 0 });
      expect(inner).toBe("EBUSY");
      expect(list.count).toBe(1);
      expect(list.toArray()).toEqual([{ type: 0, length: 20, base: 0, offset: 0, extra: 0 }]);
    },
  );
});

describe("pool arguments", () => {
  it("limit is a safe integer or Infinity; shared() and the constructor take a chunk size, not null", () => {
    const pool = new ChunkPool({ chunkBytes: 128, limit: 4 });
    for (const v of [2 ** 53, 2 ** 64, Number.NaN, -1]) {
      expect(
        codeOf(() => {
          pool.limit = v;
        }),
      ).toBe("EINVAL");
      expect(codeOf(() => new ChunkPool({ limit: v }))).toBe("EINVAL");
    }
    expect(pool.limit).toBe(4);
    for (const v of [null, 256, "512", Symbol("c")]) {
      expect(codeOf(() => ChunkPool.shared(v as 512))).toBe("EINVAL");
      expect(codeOf(() => new ChunkPool({ chunkBytes: v as 512 }))).toBe("EINVAL");
      expect(codeOf(() => new ChunkPool({ slabBytes: v as number }))).toBe("EINVAL");
    }
    expect(ChunkPool.shared()).toBe(ChunkPool.shared(512));
  });

  it("entryUnits takes a chunk size", () => {
    expect(entryUnits(512)).toBe(126);
    for (const v of [Number.NaN, -1, 100, "512", null])
      expect(codeOf(() => entryUnits(v as number))).toBe("EINVAL");
  });
});

describe("instantiateKernel (the kernels' loader other packages use)", () => {
  const pool = new ChunkPool({ chunkBytes: 128 });
  it("refuses what is not a generated module, a memory or a boolean with EINVAL", () => {
    expect(codeOf(() => instantiateKernel(null as never, pool.memory, pool.sharedMemory))).toBe("EINVAL");
    expect(codeOf(() => instantiateKernel({ shared: 1 } as never, pool.memory, true))).toBe("EINVAL");
    expect(codeOf(() => instantiateKernel(listKernel, {} as never, pool.sharedMemory))).toBe("EINVAL");
    expect(codeOf(() => instantiateKernel(listKernel, pool.memory, "yes" as never))).toBe("EINVAL");
    expect(codeOf(() => instantiateKernel(listKernel, pool.memory, Symbol() as never))).toBe("EINVAL");
  });
  it("refuses bytes that are no module, and a variant that does not match the memory", () => {
    expect(codeOf(() => instantiateKernel({ shared: "!!", unshared: "!!" }, pool.memory, true))).toBe(
      "EINVAL",
    );
    expect(codeOf(() => instantiateKernel({ shared: "AAAA", unshared: "AAAA" }, pool.memory, true))).toBe(
      "EINVAL",
    );
    const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => never } }).WebAssembly;
    const unshared = new wasm.Memory({ initial: 2, maximum: 4 });
    expect(codeOf(() => instantiateKernel(listKernel, unshared, true))).toBe("EINVAL");
  });
  it("loads the list's own kernels over a pool's memory", () => {
    const k = instantiateKernel<Record<string, unknown>>(listKernel, pool.memory, pool.sharedMemory);
    expect(Object.keys(k).length).toBeGreaterThan(0);
  });
});
