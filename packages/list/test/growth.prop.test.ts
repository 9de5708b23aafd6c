/**
 * Growth of the pool's WebAssembly.Memory in the middle of walks, appends, seeks and slices
 * never leaves a cursor, a chunk view or a list reading a dead buffer.
 *
 * List A shares its pool with chunks held by the test, which can push the pool to the brink (every
 * carved chunk in use, the memory's last page full) so that A's next chunk, or the next chunk of a
 * slice of A, grows the memory right there. A twin list on its own roomy pool gets the same
 * operations; A must read, walk, seek, slice, serialise and checksum exactly like its twin.
 */
import type { RangeEntryBig } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeOf } from "../../../scripts/expect-code.js";
import { type ChunkBytes, ChunkPool, newChunkSpan, RangeList } from "../src/index.js";
import { checkInvariants } from "./helpers.js";
import { arbEntry, type CodecName } from "./model.js";

const CHUNKS: ChunkBytes[] = [128, 512, 4096];
const CODECS: CodecName[] = ["variable", "fixed16"];

type Op =
  | { op: "step"; n: number }
  | { op: "brink" }
  | { op: "release" }
  | { op: "append"; es: RangeEntryBig[] }
  | { op: "seek"; frac: number }
  | { op: "slice"; a: number; b: number }
  | { op: "span"; frac: number };

const frac = fc.integer({ min: 0, max: 1000 }).map((x) => x / 1000);

function arbOps(codec: CodecName): fc.Arbitrary<Op[]> {
  return fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 80 }).map((n) => ({ op: "step" as const, n })) },
      { weight: 4, arbitrary: fc.constant({ op: "brink" as const }) },
      { weight: 1, arbitrary: fc.constant({ op: "release" as const }) },
      {
        weight: 5,
        arbitrary: fc
          .array(arbEntry(codec, false), { minLength: 1, maxLength: 60 })
          .map((es) => ({ op: "append" as const, es })),
      },
      { weight: 2, arbitrary: frac.map((f) => ({ op: "seek" as const, frac: f })) },
      { weight: 2, arbitrary: fc.tuple(frac, frac).map(([a, b]) => ({ op: "slice" as const, a, b })) },
      { weight: 2, arbitrary: frac.map((f) => ({ op: "span" as const, frac: f })) },
    ),
    { maxLength: 40 },
  );
}

/** Appends `e` to both lists, or checks both refuse it alike. */
function appendBoth(a: RangeList, twin: RangeList, e: RangeEntryBig): void {
  let err: string | null = null;
  try {
    twin.appendBig(e);
  } catch (x) {
    err = (x as { code: string }).code;
  }
  if (err === null) a.appendBig(e);
  else expect(codeOf(() => a.appendBig(e))).toBe(err);
}

const blank = (): RangeEntryBig => ({ type: 0, length: 0n, base: 0n, offset: 0, extra: 0 });

describe("pool growth in the middle of every operation", () => {
  let grows = 0;
  for (const codec of CODECS) {
    for (const chunkBytes of CHUNKS) {
      it(`${codec}, ${chunkBytes}-byte chunks: walks, appends, seeks, slices and views survive growth`, () => {
        fc.assert(
          fc.property(fc.array(arbEntry(codec, false), { maxLength: 200 }), arbOps(codec), (init, ops) => {
            const pool = new ChunkPool({ chunkBytes, slabBytes: chunkBytes });
            const a = new RangeList({ codec, pool });
            const twin = new RangeList({ codec, pool: new ChunkPool({ chunkBytes }) });
            for (const e of init) appendBoth(a, twin, e);
            const held: number[] = [];
            const c = a.cursor();
            const tc = twin.cursor();
            let bytes = pool.memory.buffer.byteLength;
            for (const o of ops) {
              if (o.op === "step") {
                for (let i = 0; i < o.n; i++) {
                  const ok = tc.next();
                  expect(c.next()).toBe(ok);
                  expect(c.readBig(blank())).toEqual(tc.readBig(blank()));
                  expect(c.index).toBe(tc.index);
                  if (!ok) break;
                }
              } else if (o.op === "brink") {
                // Every carved chunk in use and the memory's last page full: the next chunk grows it.
                while (pool.stats().chunksFree > 0 || pool.stats().memoryTailBytes >= chunkBytes) {
                  held.push(pool.alloc());
                }
              } else if (o.op === "release") {
                for (const id of held.splice(0)) pool.free(id);
              } else if (o.op === "append") {
                for (const e of o.es) appendBoth(a, twin, e);
                // the cursor sees appends: it is compared with the twin's at the next steps
              } else if (o.op === "seek") {
                const t = BigInt(Math.floor(o.frac * Number(twin.totalLengthBig)));
                const ok = tc.seekBig(t);
                expect(c.seekBig(t)).toBe(ok);
                expect(c.readBig(blank())).toEqual(tc.readBig(blank()));
              } else if (o.op === "slice") {
                if (twin.totalLengthBig > BigInt(Number.MAX_SAFE_INTEGER)) continue;
                const total = twin.totalLength;
                const lo = Math.floor(Math.min(o.a, o.b) * total);
                const hi = Math.floor(Math.max(o.a, o.b) * total);
                let want: RangeEntryBig[] | string;
                try {
                  const s = twin.slice(lo, hi, { trimFront: "base" });
                  want = s.toArrayBig();
                  s.clear();
                } catch (x) {
                  want = (x as { code: string }).code;
                }
                if (typeof want === "string") {
                  expect(codeOf(() => a.slice(lo, hi, { trimFront: "base" }))).toBe(want);
                } else {
                  const s = a.slice(lo, hi, { trimFront: "base" });
                  expect(s.toArrayBig()).toEqual(want);
                  checkInvariants(s);
                  s.clear();
                }
              } else {
                // A chunk view taken before growth still reads the chunk's words after it.
                if (a.chunkCount === 0) continue;
                const k = Math.min(a.chunkCount - 1, Math.floor(o.frac * a.chunkCount));
                const span = newChunkSpan();
                a.chunkSpan(k, span);
                const before = Array.from(span.words.subarray(span.start, span.end));
                while (pool.stats().chunksFree > 0 || pool.stats().memoryTailBytes >= chunkBytes) {
                  held.push(pool.alloc());
                }
                held.push(pool.alloc()); // grows the memory
                expect(pool.memory.buffer.byteLength).toBeGreaterThan(span.words.buffer.byteLength);
                expect(Array.from(span.words.subarray(span.start, span.end))).toEqual(before);
                const fresh = newChunkSpan();
                a.chunkSpan(k, fresh);
                expect(Array.from(fresh.words.subarray(fresh.start, fresh.end))).toEqual(before);
              }
              const now = pool.memory.buffer.byteLength;
              if (now > bytes) grows++;
              bytes = now;
            }
            checkInvariants(a);
            expect(a.toArrayBig()).toEqual(twin.toArrayBig());
            expect(Buffer.from(a.toBytes()).equals(Buffer.from(twin.toBytes()))).toBe(true);
            expect(a.checksum()).toEqual(twin.checksum());
            expect(a.stats().byForm).toEqual(twin.stats().byForm);
            for (const id of held) pool.free(id);
            a.clear();
            twin.clear();
          }),
          { numRuns: 40 },
        );
      });
    }
  }

  it("the memory really grew in the middle of those operations", () => {
    // Guards the test above: without growth it would prove nothing.
    expect(grows).toBeGreaterThan(50);
  });

  it("growth keeps the old view valid: a shared memory, so views are never detached", () => {
    const pool = new ChunkPool({ chunkBytes: 4096, slabBytes: 65536 });
    expect(pool.sharedMemory).toBe(true);
    const list = new RangeList({ pool });
    list.append({ type: 0, base: 1, length: 2, offset: 0, extra: 0 });
    const old = pool.words(list._ix.ids[0] as number);
    for (let i = 0; i < 20_000; i++) list.append({ type: 0, base: i * 2, length: 1, offset: 0, extra: 0 });
    expect(pool.memory.buffer.byteLength).toBeGreaterThan(old.byteLength);
    expect(old.length).toBeGreaterThan(0);
    expect(old[pool.wordBase(list._ix.ids[0] as number) + 3]).toBe(1); // the first entry's base
  });
});

describe("memory limits", () => {
  for (const kind of ["shared", "reserved"] as const) {
    it(`${kind}: a full memory is ENOMEM with every list unchanged (the 4 GiB wasm32 ceiling, scaled down)`, () => {
      const maxBytes = 4 * 65536; // the scratch page plus 3 pages of chunks
      const pool = new ChunkPool({ chunkBytes: 4096, slabBytes: 65536, maxBytes, memoryKind: kind });
      expect(pool.maxBytes).toBe(maxBytes);
      const list = new RangeList({ pool });
      const e = { type: 0, base: 0, length: 1, offset: 0, extra: 1 };
      let n = 0;
      let failure: unknown = null;
      while (failure === null) {
        try {
          list.append({ ...e, base: n });
          n++;
        } catch (err) {
          failure = err;
        }
      }
      expect((failure as { code: string }).code).toBe("ENOMEM");
      expect((failure as Error).message).toContain("4 GiB");
      // unchanged: exactly the list of the n accepted appends
      const twin = new RangeList({ pool: new ChunkPool({ chunkBytes: 4096 }) });
      for (let i = 0; i < n; i++) twin.append({ ...e, base: i });
      expect(Buffer.from(list.toBytes()).equals(Buffer.from(twin.toBytes()))).toBe(true);
      expect(list.chunkCount).toBe((maxBytes - 65536) / 4096);
      expect(pool.memory.buffer.byteLength).toBe(maxBytes);
      expect(pool.stats().memoryTailBytes).toBe(0);
      // freeing makes room again
      list.truncate(0);
      list.append(e);
      expect(list.count).toBe(1);
    });
  }

  for (const kind of ["shared", "reserved"] as const) {
    it(`${kind}: available counts the memory's ceiling, so a reserve() past it is ENOMEM up front with nothing taken`, () => {
      const maxBytes = 4 * 65536; // 3 pages of 4 KiB chunks: 48 chunks
      const pool = new ChunkPool({ chunkBytes: 4096, slabBytes: 65536, maxBytes, memoryKind: kind });
      expect(pool.limit).toBe(Number.POSITIVE_INFINITY);
      expect(pool.available).toBe(48);
      const list = new RangeList({ pool });
      list.append({ type: 0, base: 0, length: 1, offset: 0, extra: 1 });
      expect(pool.available).toBe(47);
      const before = Buffer.from(list.toBytes());
      // 2^31 entries would take ~2^31 / 340 chunks, far past the 47 left: refused before any
      // chunk is taken (this used to allocate chunk by chunk until the memory ran out).
      expect(codeOf(() => list.reserve(2 ** 31))).toBe("ENOMEM");
      expect(codeOf(() => list.reserve(47 * 340 + 1000))).toBe("ENOMEM");
      expect(pool.stats().chunksInUse).toBe(1);
      expect(Buffer.from(list.toBytes()).equals(before)).toBe(true);
      // exactly what fits is granted
      pool.limit = 10;
      expect(pool.available).toBe(9);
      pool.limit = Number.POSITIVE_INFINITY;
      list.reserve(20 * 340);
      expect(pool.stats().chunksInUse).toBeGreaterThan(1);
      list.releaseReserve();
      expect(pool.stats().chunksInUse).toBe(1);
    });
  }

  it("maxBytes is checked (EINVAL)", () => {
    for (const bad of [0, 65536, 100_000, 2 ** 32 + 65536, -1, 1.5, "1"]) {
      expect(codeOf(() => new ChunkPool({ maxBytes: bad as number }))).toBe("EINVAL");
    }
    expect(new ChunkPool({ maxBytes: 2 ** 32 }).maxBytes).toBe(2 ** 32);
  });
});
