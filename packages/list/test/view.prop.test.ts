import type { RangeEntryBig } from "@rlist/encoding";
import fc from "fast-check";
import { expect, it } from "vitest";
import {
  type ChunkBytes,
  ChunkPool,
  fixed16BaseAt,
  fixed16LengthAt,
  newChunkSpan,
  RangeList,
  typeAt,
  variableBaseAt,
  variableBaseIsSafe,
  variableExtraAt,
  variableLengthAt,
  variableLengthIsSafe,
  variableOffsetAt,
  variableUnitsAt,
} from "../src/index.js";
import { arbEntry, isSafe, Model } from "./model.js";

it("chunk spans and the inline decoders read exactly what the cursor reads", () => {
  fc.assert(
    fc.property(
      fc.constantFrom<ChunkBytes>(128, 512, 4096),
      fc.constantFrom("variable" as const, "fixed16" as const),
      fc.array(arbEntry("variable", true), { maxLength: 300 }),
      (chunkBytes, codec, xs) => {
        const list = new RangeList({ codec, pool: new ChunkPool({ chunkBytes }) });
        const model = new Model(codec, chunkBytes);
        for (const x of xs) {
          const e: RangeEntryBig = codec === "fixed16" ? { ...x, offset: 0, extra: 0 } : x;
          try {
            model.append(e);
          } catch {
            continue;
          }
          list.appendBig(e);
        }
        const span = newChunkSpan();
        const positions = model.positions();
        let i = 0;
        let k = 0;
        for (; list.chunkSpan(k, span); k++) {
          expect(span.firstIndex).toBe(i);
          expect(span.position).toBe(Number(positions[i]));
          const w = span.words;
          for (let at = span.start; at < span.end; i++) {
            const m = model.entries[i] as RangeEntryBig;
            expect(typeAt(w, at)).toBe(m.type);
            if (codec === "fixed16") {
              if (isSafe(m))
                expect([fixed16LengthAt(w, at), fixed16BaseAt(w, at)]).toEqual([
                  Number(m.length),
                  Number(m.base),
                ]);
              at += 4;
              continue;
            }
            expect(variableLengthIsSafe(w, at)).toBe(m.length <= BigInt(Number.MAX_SAFE_INTEGER));
            expect(variableBaseIsSafe(w, at)).toBe(m.base <= BigInt(Number.MAX_SAFE_INTEGER));
            expect(variableLengthAt(w, at)).toBe(Number(m.length));
            expect(variableBaseAt(w, at)).toBe(Number(m.base));
            expect(variableOffsetAt(w, at)).toBe(m.offset);
            expect(variableExtraAt(w, at)).toBe(m.extra);
            at += variableUnitsAt(w, at);
          }
        }
        expect(i).toBe(model.entries.length);
        expect(k).toBe(list.chunkCount);
        expect(list.chunkSpan(-1, span)).toBe(false);
      },
    ),
    { numRuns: 80 },
  );
});
