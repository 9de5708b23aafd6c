/**
 * The CPU range list's cursors read its RangeList's chunk words directly. Growing the pool's
 * WebAssembly.Memory in the middle of their walks and seeks (other users of the same pool taking
 * chunks) must not change what they read: each is compared, step by step, with the same cursor
 * over a twin list on a pool that never grows during the walk.
 */
import { type ChunkBytes, ChunkPool, RangeList } from "@rlist/list";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { applyOps, opsArb, world } from "./list-fixture.js";
import { ListModel } from "./model.js";

const CHUNKS: ChunkBytes[] = [128, 512, 4096];

/** Takes chunks from `pool` until its memory has grown once (they stay held). */
function growOnce(pool: ChunkPool, held: number[]): void {
  const bytes = pool.memory.buffer.byteLength;
  while (pool.memory.buffer.byteLength === bytes) held.push(pool.alloc());
}

interface Walker {
  reset(): boolean;
  next(): boolean;
  seek(position: number): boolean;
  readonly position: number;
  readonly length: number;
  readonly phys: number;
  readonly index: number;
}

type Step = { grow: boolean; seek: number | null };
const stepsArb = fc.array(
  fc.record({
    grow: fc.boolean(),
    seek: fc.option(
      fc.integer({ min: 0, max: 1000 }).map((x) => x / 1000),
      { freq: 8 },
    ),
  }),
  { maxLength: 300 },
);

function walkBoth(a: Walker, b: Walker, steps: readonly Step[], pool: ChunkPool, total: number): number {
  const held: number[] = [];
  let grows = 0;
  let ok = b.reset();
  expect(a.reset()).toBe(ok);
  for (const s of steps) {
    if (s.grow) {
      growOnce(pool, held);
      grows++;
    }
    if (s.seek !== null && total > 0) {
      const t = Math.floor(s.seek * (total - 1));
      ok = b.seek(t);
      expect(a.seek(t)).toBe(ok);
    } else {
      ok = b.next();
      expect(a.next()).toBe(ok);
    }
    expect([a.position, a.length, a.phys, a.index]).toEqual([b.position, b.length, b.phys, b.index]);
    if (!ok) {
      ok = b.reset();
      expect(a.reset()).toBe(ok);
    }
  }
  for (const id of held) pool.free(id);
  return grows;
}

describe("CPU range list cursors while the pool's memory grows", () => {
  for (const chunkBytes of CHUNKS) {
    it(`${chunkBytes}-byte chunks: entry, folio and page cursors read the same as on a quiet pool`, () => {
      let grows = 0;
      fc.assert(
        fc.property(opsArb, stepsArb, (ops, steps) => {
          const { memory, provider } = world();
          const pool = new ChunkPool({ chunkBytes, slabBytes: chunkBytes });
          const list = new CpuRangeList(memory, { store: new RangeList({ chunkBytes, pool }) });
          const twin = new CpuRangeList(memory, { chunkBytes });
          applyOps(ops, list, new ListModel(), provider);
          applyOps(ops, twin, new ListModel(), provider);
          list.seal();
          twin.seal();
          const total = twin.length;
          grows += walkBoth(list.cursor(), twin.cursor(), steps, pool, total);
          grows += walkBoth(list.folioCursor(), twin.folioCursor(), steps, pool, total);
          grows += walkBoth(list.pageCursor(), twin.pageCursor(), steps, pool, total);
          list.clear();
          twin.clear();
        }),
        { numRuns: 30 },
      );
      expect(grows).toBeGreaterThan(100);
    });
  }
});
