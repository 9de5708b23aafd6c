/**
 * The bvec hot paths' integer-only math (no `%`: a call to fmod in V8 once a value may pass
 * 2^31) is exact around 2^31, 2^32, 2^52 and 2^53 - 1: low bits under any mask, bi_sector
 * stepping and wrapping at 2^64, page frames stored as two u32 words, in-page offsets.
 */

import { lowBits } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BvecArray } from "../src/bio-vec.js";
import { BvecIter, bvecIterOffset } from "../src/bvec-iter.js";

const EDGES = [0, 2 ** 31, 2 ** 32, 2 ** 52, 2 ** 53 - 1];
const nearEdge = fc
  .tuple(fc.constantFrom(...EDGES), fc.integer({ min: -(2 ** 20), max: 2 ** 20 }))
  .map(([e, d]) => Math.min(Math.max(e + d, 0), Number.MAX_SAFE_INTEGER));
const anySafe = fc.oneof(nearEdge, fc.maxSafeNat());

describe("bvec integer math", () => {
  it("lowBits(x, 2^k) (encoding's, which bvec uses) is x mod 2^k for every safe x and k <= 53", () => {
    fc.assert(
      fc.property(anySafe, fc.integer({ min: 0, max: 53 }), (x, k) => {
        expect(lowBits(x, 2 ** k)).toBe(Number(BigInt(x) % 2n ** BigInt(k)));
      }),
      { numRuns: 2000 },
    );
  });

  it("bi_sector set, read and advanced past 2^32 and 2^64 stays exact", () => {
    fc.assert(
      fc.property(anySafe, fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.boolean(), (s, n, high) => {
        const it = new BvecIter({ sector: s });
        expect(it.sectorBig).toBe(BigInt(s));
        if (high) it.sectorBig = 2n ** 64n - 1n - BigInt(n >>> 1);
        const before = it.sectorBig;
        it.addSectors(n);
        expect(it.sectorBig).toBe((before + BigInt(n)) % 2n ** 64n);
      }),
      { numRuns: 1000 },
    );
  });

  it("a bvec's page frame splits into exact u32 words, and its in-page offsets are exact", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 41 - 2 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.nat(2 ** 31),
        (page, len, offset, done) => {
          const v = new BvecArray(1);
          if ((page + 1) * 4096 + offset + len > 2 ** 53 - 1) return;
          v.push(page, len, offset);
          expect(v.page(0)).toBe(page);
          expect(v.phys(0)).toBe(page * 4096 + offset);
          const it = new BvecIter({ size: len, bvecDone: Math.min(done, len - 1) });
          expect(bvecIterOffset(v, it)).toBe((offset + it.bvecDone) % 4096);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
