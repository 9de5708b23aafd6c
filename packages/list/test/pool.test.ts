import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChunkPool, RangeList } from "../src/index.js";
import { codeOf } from "./helpers.js";

describe("ChunkPool", () => {
  it("carves chunks from slabs and reports them", () => {
    const pool = new ChunkPool({ chunkBytes: 512, slabBytes: 2048 });
    expect(pool.stats()).toEqual({ chunkBytes: 512, slabs: 0, slabBytes: 0, chunksInUse: 0, chunksFree: 0 });
    const ids = [pool.alloc(), pool.alloc(), pool.alloc(), pool.alloc(), pool.alloc()];
    expect(new Set(ids).size).toBe(5);
    expect(pool.stats()).toEqual({
      chunkBytes: 512,
      slabs: 2,
      slabBytes: 4096,
      chunksInUse: 5,
      chunksFree: 3,
    });
    // every chunk is its own 128-word window of a slab
    const seen = new Set<string>();
    for (const id of ids) {
      expect(pool.words(id).length).toBe(512);
      expect(pool.wordBase(id) % 128).toBe(0);
      seen.add(`${pool.slabs.indexOf(pool.words(id))}:${pool.wordBase(id)}`);
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
