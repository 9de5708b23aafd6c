import fc from "fast-check";
import { expect, it } from "vitest";
import { ChunkIndex } from "../src/chunk-index.js";

it("findByPositionNear agrees with a linear search (zero-length chunks and skewed sizes)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 1e9 })), {
        minLength: 1,
        maxLength: 300,
      }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), {
        minLength: 1,
        maxLength: 20,
      }),
      (sizes, fracs) => {
        const ix = new ChunkIndex();
        ix.reserve(sizes.length);
        let total = 0;
        for (const [k, s] of sizes.entries()) {
          ix.push(k, total, k, 0n);
          total += s;
        }
        if (total === 0) return;
        const targets = [0, total - 1, ...fracs.map((f) => Math.floor(f * total))];
        for (const [k] of sizes.entries())
          targets.push(ix.pos[k] as number, Math.max(0, (ix.pos[k] as number) - 1));
        for (const t of targets) {
          if (t >= total) continue;
          let want = 0;
          for (let k = 0; k < sizes.length; k++) if ((ix.pos[k] as number) <= t) want = k;
          expect(ix.findByPositionNear(t, total)).toBe(want);
          expect(ix.findByPosition(t)).toBe(want);
        }
      },
    ),
    { numRuns: 300 },
  );
});
