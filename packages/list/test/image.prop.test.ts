/**
 * fromBytes validation: the WebAssembly kernel (readImageKernel) against its TypeScript reference
 * (readImageReference) on valid images of random lists (every form, both codecs, every chunk
 * size, totals above 2^53) and on corrupted ones, with the checksum re-sealed so that the
 * structural checks run: the same image or the same first error, word for word.
 */
import type { RangeEntryBig } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ChunkBytes, ChunkPool, RangeList } from "../src/index.js";
import { readImageKernel } from "../src/kernels/image.js";
import { checksum, IMAGE_HEADER_WORDS, type ListImage, readImageReference } from "../src/serialize.js";
import { arbEntry, type CodecName } from "./model.js";

const CHUNKS: ChunkBytes[] = [128, 512, 4096];
const CODECS: CodecName[] = ["variable", "fixed16"];

type Outcome = { ok: ListImage } | { error: string };

function outcome(read: (b: Uint8Array) => ListImage, bytes: Uint8Array): Outcome {
  try {
    const img = read(bytes);
    return { ok: { ...img, words: img.words.slice() } };
  } catch (err) {
    expect((err as { code?: string }).code).toBe("EINVAL");
    return { error: (err as Error).message };
  }
}

/** Word edits: a word (by fraction of the image) set to a value biased to the layout's edges. */
const arbEdit = fc.record({
  at: fc.integer({ min: 0, max: 10_000 }).map((x) => x / 10_000),
  value: fc.oneof(
    fc.constantFrom(0, 1, 2, 3, 4, 0xffff_ffff, 0x10, 0x11, 0x12, 0x100, 0xff_ffff),
    fc.integer({ min: 0, max: 0xffff_ffff }),
  ),
});

describe("fromBytes validation kernel", () => {
  for (const codec of CODECS) {
    for (const chunkBytes of CHUNKS) {
      it(`${codec}, ${chunkBytes}-byte chunks: kernel == reference on valid and corrupted images`, () => {
        const pool = new ChunkPool({ chunkBytes });
        fc.assert(
          fc.property(
            fc.array(arbEntry(codec, true), { maxLength: 300 }),
            fc.array(arbEdit, { maxLength: 3 }),
            fc.boolean(),
            (entries: RangeEntryBig[], edits, reseal) => {
              const list = new RangeList({ codec, pool });
              for (const e of entries) {
                try {
                  list.appendBig(e);
                } catch {
                  // past the u64 total: skipped
                }
              }
              const bytes = list.toBytes();
              list.clear();
              const valid = outcome(readImageKernel, bytes);
              expect(valid).toEqual(outcome(readImageReference, bytes));
              expect("ok" in valid).toBe(true);
              if (edits.length === 0) return;
              const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
              // Edit the chunk words (the header checks are shared code), then reseal the checksum.
              const span = words.length - IMAGE_HEADER_WORDS;
              if (span === 0) return;
              for (const { at, value } of edits) {
                words[IMAGE_HEADER_WORDS + Math.min(span - 1, Math.floor(at * span))] = value;
              }
              if (reseal) words[9] = checksum(words, IMAGE_HEADER_WORDS, words.length);
              expect(outcome(readImageKernel, bytes)).toEqual(outcome(readImageReference, bytes));
            },
          ),
          { numRuns: 150 },
        );
      });
    }
  }

  it("fromBytes uses it: a multi-chunk list reloads byte-exactly, a corrupt one is EINVAL", () => {
    const pool = new ChunkPool({ chunkBytes: 128 });
    const list = new RangeList({ pool });
    for (let i = 0; i < 500; i++)
      list.append({ type: i & 3, base: i * 3, length: i + 1, offset: 0, extra: i % 5 });
    const bytes = list.toBytes();
    const again = RangeList.fromBytes(bytes, { pool });
    expect(Buffer.from(again.toBytes()).equals(Buffer.from(bytes))).toBe(true);
    expect(again.checksum()).toEqual(list.checksum());
    const c = again.cursor();
    expect(c.seek(1000)).toBe(true);
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    w[IMAGE_HEADER_WORDS + 40] = (w[IMAGE_HEADER_WORDS + 40] as number) ^ 1; // an END marker or an entry word
    w[9] = checksum(w, IMAGE_HEADER_WORDS, w.length);
    const before = pool.stats();
    expect(() => RangeList.fromBytes(bytes, { pool })).toThrow(/fromBytes/);
    expect(pool.stats()).toEqual(before);
  });
});
