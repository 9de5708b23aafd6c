/**
 * The WebAssembly kernels against their TypeScript references and the model: checksum() and the
 * stats() form census on random lists of every entry form, both codecs, every chunk size, both
 * memory kinds, empty lists, and totals above 2^53 (through the bigint API).
 */
import type { RangeEntryBig } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ChunkBytes, ChunkPool, RangeList } from "../src/index.js";
import { checksumKernel, checksumReference, KERNEL_MIN_CHUNKS } from "../src/kernels/checksum.js";
import { formsKernel, formsReference } from "../src/kernels/forms.js";
import { CHUNK_BASE } from "../src/memory-layout.js";
import { arbEntry, type CodecName, MAX_U64, unitsOf } from "./model.js";

const CHUNKS: ChunkBytes[] = [128, 512, 4096];
const CODECS: CodecName[] = ["variable", "fixed16"];
const KINDS = ["shared", "reserved"] as const;

/** Appends what the list accepts (an entry that would pass the u64 total is refused); returns those. */
function fill(list: RangeList, entries: readonly RangeEntryBig[]): RangeEntryBig[] {
  const kept: RangeEntryBig[] = [];
  for (const e of entries) {
    try {
      list.appendBig(e);
      kept.push(e);
    } catch {
      // ERANGE: the model drops it too
    }
  }
  return kept;
}

function expected(codec: CodecName, kept: readonly RangeEntryBig[]) {
  let lengthSum = 0n;
  let baseSum = 0n;
  const byForm = { 8: 0, 16: 0, 24: 0 };
  for (const e of kept) {
    lengthSum += e.length;
    baseSum += e.base;
    byForm[(unitsOf(codec, e) * 4) as 8 | 16 | 24]++;
  }
  return { count: kept.length, lengthSum: lengthSum & MAX_U64, baseSum: baseSum & MAX_U64, byForm };
}

describe("list kernels", () => {
  it("agree with the TypeScript side on the chunk layout", () => {
    const pool = new ChunkPool();
    expect(pool.kernels().chunkBase()).toBe(CHUNK_BASE);
  });

  for (const kind of KINDS) {
    for (const codec of CODECS) {
      for (const chunkBytes of CHUNKS) {
        it(`${kind} memory, ${codec}, ${chunkBytes}-byte chunks: kernel == reference == model`, () => {
          const pool = new ChunkPool({ chunkBytes, slabBytes: 65536, memoryKind: kind, maxBytes: 64 << 20 });
          expect(pool.sharedMemory).toBe(kind === "shared");
          fc.assert(
            fc.property(
              fc.array(arbEntry(codec, true), { maxLength: 400 }),
              fc.array(arbEntry(codec, false), { maxLength: 400 }),
              (bigs, smalls) => {
                const list = new RangeList({ codec, pool });
                // bigint entries first (totals past 2^53 and 2^64 refusals), then safe ones
                const kept = fill(list, [...bigs, ...smalls]);
                const want = expected(codec, kept);
                const ref = checksumReference(list);
                const ker = checksumKernel(list);
                expect(ref).toEqual({ count: want.count, lengthSum: want.lengthSum, baseSum: want.baseSum });
                expect(ker).toEqual(ref);
                expect(list.checksum()).toEqual(ref);
                expect(formsReference(list)).toEqual(want.byForm);
                if (codec === "variable") expect(formsKernel(list)).toEqual(want.byForm);
                expect(list.stats().byForm).toEqual(want.byForm);
                list.clear();
              },
            ),
            { numRuns: 60 },
          );
        });
      }
    }
  }

  it("empty lists and single-chunk lists through the kernel directly", () => {
    for (const codec of CODECS) {
      const list = new RangeList({ codec, pool: new ChunkPool({ chunkBytes: 128 }) });
      expect(checksumKernel(list)).toEqual({ count: 0, lengthSum: 0n, baseSum: 0n });
      expect(list.checksum()).toEqual({ count: 0, lengthSum: 0n, baseSum: 0n });
      list.append({ type: 1, base: 7, length: 9, offset: 0, extra: 0 });
      expect(list.chunkCount).toBe(KERNEL_MIN_CHUNKS); // the smallest list the kernel serves
      expect(checksumKernel(list)).toEqual({ count: 1, lengthSum: 9n, baseSum: 7n });
      expect(checksumReference(list)).toEqual({ count: 1, lengthSum: 9n, baseSum: 7n });
    }
  });

  it("the base sum wraps mod 2^64 like the C yardstick's u64 adds; the length sum is the exact total", () => {
    const list = new RangeList({ pool: new ChunkPool({ chunkBytes: 128 }) });
    const top = (1n << 60n) - 1n;
    // 15 lengths of 2^60-1 stay below 2^64 (a list's total never passes 2^64-1).
    for (let i = 0; i < 40; i++) {
      list.appendBig({ type: 0, length: i < 15 ? top : 5n, base: MAX_U64, offset: 0, extra: 1 });
    }
    const c = list.checksum();
    expect(c.lengthSum).toBe(15n * top + 25n * 5n);
    expect(list.chunkCount).toBeGreaterThanOrEqual(KERNEL_MIN_CHUNKS);
    expect(c.count).toBe(list.count);
    expect(c.baseSum).toBe((MAX_U64 * BigInt(list.count)) & MAX_U64);
    expect(c.lengthSum).toBe(list.totalLengthBig & MAX_U64);
    expect(checksumReference(list)).toEqual(c);
  });
});
