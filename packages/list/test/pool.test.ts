import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeOf } from "../../../scripts/expect-code.js";
import { ChunkPool, RangeList } from "../src/index.js";

describe("ChunkPool", () => {
  it("carves chunks from slabs of its WebAssembly.Memory and reports them", () => {
    const pool = new ChunkPool({ chunkBytes: 512, slabBytes: 2048 });
    // One 64 KiB page at first: the kernels' scratch page, no chunk space yet.
    expect(pool.stats()).toEqual({
      chunkBytes: 512,
      slabs: 0,
      slabBytes: 0,
      chunksInUse: 0,
      chunksFree: 0,
      memoryBytes: 65536,
      memoryTailBytes: 0,
    });
    const ids = [pool.alloc(), pool.alloc(), pool.alloc(), pool.alloc(), pool.alloc()];
    expect(new Set(ids).size).toBe(5);
    // Two 2 KiB slabs carved; the memory grew by one whole page, 60 KiB of it not carved yet.
    expect(pool.stats()).toEqual({
      chunkBytes: 512,
      slabs: 2,
      slabBytes: 4096,
      chunksInUse: 5,
      chunksFree: 3,
      memoryBytes: 131072,
      memoryTailBytes: 65536 - 4096,
    });
    // every chunk is its own 128-word window of the memory, above the scratch page
    const seen = new Set<number>();
    for (const id of ids) {
      const w = pool.words(id);
      expect(w.buffer.byteLength).toBe(pool.memory.buffer.byteLength);
      expect(pool.wordBase(id) % 128).toBe(0);
      expect(pool.wordBase(id)).toBeGreaterThanOrEqual(65536 / 4);
      expect(pool.wordBase(id) + 128).toBeLessThanOrEqual(w.length);
      seen.add(pool.wordBase(id));
    }
    expect(seen.size).toBe(5);
  });

  it("recycles freed chunks before using fresh slab space (model: a set of ids in use)", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 300 }), (ops) => {
        const pool = new ChunkPool({ chunkBytes: 128, slabBytes: 1024 });
        const live: number[] = [];
        let peak = 0;
        for (const alloc of ops) {
          if (alloc || live.length === 0) {
            const id = pool.alloc();
            expect(live).not.toContain(id);
            live.push(id);
          } else {
            pool.free(live.splice(live.length >> 1, 1)[0] as number);
          }
          peak = Math.max(peak, live.length);
          const s = pool.stats();
          expect(s.chunksInUse).toBe(live.length);
          // never more slabs than the peak needs: freed chunks are reused first
          expect(s.slabs).toBe(Math.ceil(peak / 8));
          expect(s.chunksInUse + s.chunksFree).toBe(s.slabs * 8);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("refuses with ENOMEM at its limit and through the fault hook, changing nothing", () => {
    const pool = new ChunkPool({ chunkBytes: 128, limit: 2 });
    pool.alloc();
    const b = pool.alloc();
    const before = pool.stats();
    expect(codeOf(() => pool.alloc())).toBe("ENOMEM");
    expect(pool.stats()).toEqual(before);
    pool.free(b);
    pool.limit = Number.POSITIVE_INFINITY;
    pool.setFaultHook((n) => n === 1);
    pool.alloc();
    expect(codeOf(() => pool.alloc())).toBe("ENOMEM");
    pool.alloc();
    pool.setFaultHook(null);
    expect(pool.stats().chunksInUse).toBe(3);
  });

  it("free() refuses a double free and ids it never handed out (EINVAL), pool unchanged", () => {
    // Two pools driven alike; `pool` also sees every bad free. If a bad free changed anything
    // (counters, free list), later allocations would diverge from the twin's.
    const pool = new ChunkPool({ chunkBytes: 128, slabBytes: 1024 });
    const twin = new ChunkPool({ chunkBytes: 128, slabBytes: 1024 });
    const ids = [0, 1, 2, 3, 4].map(() => pool.alloc());
    for (let i = 0; i < 5; i++) twin.alloc();
    pool.free(ids[1] as number);
    twin.free(ids[1] as number);
    const bad: unknown[] = [
      ids[1], // double free
      5, // in the slab but never handed out
      7, // last chunk of the slab, never handed out
      8, // past every slab
      2 ** 32 - 1, // NIL
      2 ** 32,
      Number.NaN,
      -1,
      -0.5,
      1.5,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      2 ** 53 + 2,
      1n,
      "2",
      null,
      undefined,
      Symbol("id"),
      {},
    ];
    for (const id of bad) {
      const before = pool.stats();
      expect(codeOf(() => pool.free(id as number))).toBe("EINVAL");
      expect(pool.stats()).toEqual(before);
    }
    const next = [0, 1, 2, 3, 4].map(() => pool.alloc());
    expect(next).toEqual([0, 1, 2, 3, 4].map(() => twin.alloc()));
    expect(new Set([...ids.filter((id) => id !== ids[1]), ...next]).size).toBe(9);
  });

  it("free() after a double-free attempt still hands every chunk out once (model: ids in use)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(2), fc.nat(40)), { maxLength: 200 }), (ops) => {
        const pool = new ChunkPool({ chunkBytes: 128, slabBytes: 512 });
        const live = new Set<number>();
        for (const [op, n] of ops) {
          if (op === 0) {
            const id = pool.alloc();
            expect(live.has(id)).toBe(false);
            live.add(id);
          } else if (live.has(n)) {
            pool.free(n);
            live.delete(n);
          } else {
            const before = pool.stats();
            expect(codeOf(() => pool.free(n))).toBe("EINVAL");
            expect(pool.stats()).toEqual(before);
          }
          expect(pool.stats().chunksInUse).toBe(live.size);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("limit and the fault hook take only what they document (EINVAL otherwise, nothing changed)", () => {
    const pool = new ChunkPool({ chunkBytes: 128, limit: 4 });
    for (const v of [Number.NaN, -1, 1.5, "3", 3n, null, undefined, Symbol("x")]) {
      expect(
        codeOf(() => {
          (pool as { limit: unknown }).limit = v;
        }),
      ).toBe("EINVAL");
      expect(pool.limit).toBe(4);
    }
    pool.limit = Number.POSITIVE_INFINITY;
    pool.limit = 0;
    expect(codeOf(() => pool.alloc())).toBe("ENOMEM");
    for (const v of [1, "f", {}, Symbol("h")]) {
      expect(codeOf(() => pool.setFaultHook(v as never))).toBe("EINVAL");
    }
    pool.limit = 1;
    pool.alloc(); // no hook was installed by the refused calls
  });

  it("validates its options", () => {
    expect(codeOf(() => new ChunkPool({ chunkBytes: 256 as 512 }))).toBe("EINVAL");
    expect(codeOf(() => new ChunkPool({ slabBytes: 3000 }))).toBe("EINVAL");
    expect(codeOf(() => new ChunkPool({ chunkBytes: 4096, slabBytes: 2048 }))).toBe("EINVAL");
    expect(codeOf(() => new ChunkPool({ limit: -1 }))).toBe("EINVAL");
  });

  it("is shared by lists, and shared() gives one pool per chunk size", () => {
    expect(ChunkPool.shared(512)).toBe(ChunkPool.shared(512));
    expect(ChunkPool.shared(128)).not.toBe(ChunkPool.shared(512));
    expect(new RangeList().pool).toBe(ChunkPool.shared(512));
    expect(new RangeList({ chunkBytes: 4096 }).pool).toBe(ChunkPool.shared(4096));
    const pool = new ChunkPool({ chunkBytes: 128 });
    const a = new RangeList({ pool });
    const b = new RangeList({ pool });
    for (let i = 0; i < 100; i++) {
      a.append({ type: 0, length: 1, base: i, offset: 0, extra: 0 });
      b.append({ type: 1, length: 2, base: i, offset: 0, extra: 0 });
    }
    expect(pool.stats().chunksInUse).toBe(a.chunkCount + b.chunkCount);
    a.clear();
    expect(b.toArray().every((e) => e.type === 1 && e.length === 2)).toBe(true);
    expect(pool.stats().chunksInUse).toBe(b.chunkCount);
    expect(codeOf(() => new RangeList({ pool, chunkBytes: 512 }))).toBe("EINVAL");
  });
});
