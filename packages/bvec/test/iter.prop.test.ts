/** Property tests: bvec_iter arithmetic and the two cursors against a byte-level reference. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Bio,
  BioSegmentCursor,
  BvecArray,
  BvecIter,
  bvecIterAdvance,
  bvecIterLen,
  bvecIterOffset,
  bvecIterPage,
  mpBvecIterLen,
  mpBvecIterOffset,
  mpBvecIterPage,
  PAGE_SIZE,
} from "../src/index.js";
import { arbVecs, bvecRuns, refRuns, segmentRuns } from "./model.js";

const total = (vecs: { len: number }[]) => vecs.reduce((s, v) => s + v.len, 0);

describe("bvec_iter properties", () => {
  it("advancing in steps equals advancing at once, and the views point at the right byte", () => {
    fc.assert(
      fc.property(arbVecs(), fc.array(fc.nat(30000), { maxLength: 8 }), (vecs, steps) => {
        const table = BvecArray.from(vecs);
        const size = total(vecs);
        const stream = refRuns(vecs, 0, 0, size);
        const byteAt = (p: number) => {
          for (const [phys, len] of stream) {
            if (p < len) return phys + p;
            p -= len;
          }
          throw new Error("past end");
        };
        const it = new BvecIter({ size });
        let pos = 0;
        for (const s of steps) {
          const ok = bvecIterAdvance(table, it, s);
          expect(ok).toBe(pos + s <= size);
          pos = Math.min(size, pos + s);
          const once = new BvecIter({ size });
          bvecIterAdvance(table, once, pos);
          expect([it.size, it.idx, it.bvecDone]).toEqual([once.size, once.idx, once.bvecDone]);
          expect(it.size).toBe(size - pos);
          if (it.size > 0) {
            const mpLen = mpBvecIterLen(table, it);
            if (mpLen > 0) {
              const phys = mpBvecIterPage(table, it) * PAGE_SIZE + mpBvecIterOffset(table, it);
              expect(phys).toBe(byteAt(pos));
              expect(bvecIterPage(table, it) * PAGE_SIZE + bvecIterOffset(table, it)).toBe(phys);
              expect(bvecIterOffset(table, it)).toBeLessThan(PAGE_SIZE);
              const l = bvecIterLen(table, it);
              expect(l).toBeGreaterThan(0);
              expect(l).toBeLessThanOrEqual(Math.min(mpLen, PAGE_SIZE - bvecIterOffset(table, it)));
            }
          } else {
            // At the end: idx/done describe the end of the bytes (clamped consistently).
            expect(it.bvecDone === 0 || it.bvecDone < table.len(it.idx)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("segments and bvecs cover the same bytes as the reference, from any start", () => {
    fc.assert(
      fc.property(arbVecs(), fc.nat(), fc.nat(), (vecs, startSeed, sizeSeed) => {
        const all = total(vecs);
        const start = all === 0 ? 0 : startSeed % (all + 1);
        const size = all - start === 0 ? 0 : sizeSeed % (all - start + 1);
        const bio = Bio.fromVecs(vecs, { size: start + size });
        bio.advance(start);
        const ref = refRuns(vecs, bio.iter.idx, bio.iter.bvecDone, size);
        expect(bvecRuns(bio)).toEqual(ref);
        expect(segmentRuns(bio)).toEqual(ref);
        // Segments never cross a page; their lengths add up.
        const c = new BioSegmentCursor();
        let sum = 0;
        for (let ok = c.reset(bio); ok; ok = c.next()) {
          expect(c.offset + c.len).toBeLessThanOrEqual(PAGE_SIZE);
          expect(c.position).toBe(sum);
          sum += c.len;
        }
        expect(sum).toBe(size);
        // The cursors never move the bio itself.
        expect(bio.size).toBe(size);
      }),
      { numRuns: 300 },
    );
  });

  it("a chain iterates as the concatenation of its bios", () => {
    fc.assert(
      fc.property(fc.array(arbVecs({ maxVecs: 4 }), { minLength: 1, maxLength: 4 }), (lists) => {
        const bios = lists.map((v) => Bio.fromVecs(v));
        const head = Bio.chain(bios);
        const expected = refRuns(lists.flat(), 0, 0, total(lists.flat()));
        expect(bvecRuns(head, true)).toEqual(expected);
        expect(segmentRuns(head, true)).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });
});
