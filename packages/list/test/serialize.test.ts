import type { RangeEntryBig } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeOf } from "../../../scripts/expect-code.js";
import { type ChunkBytes, ChunkPool, FORMAT_VERSION, MAGIC, RangeList } from "../src/index.js";
import { checkAgainst } from "./helpers.js";
import { arbEntry, type CodecName, Model } from "./model.js";

const HEADER_WORDS = 10;

function fnv(words: Uint32Array, from: number): number {
  let h = 0x811c_9dc5;
  for (let i = from; i < words.length; i++) {
    h ^= words[i] as number;
    h = Math.imul(h, 0x0100_0193);
  }
  return h >>> 0;
}

/** Re-seals a tampered image (fixes its checksum) so the structural checks are reached. */
function reseal(bytes: Uint8Array): Uint8Array {
  const w = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  w[9] = fnv(w, HEADER_WORDS);
  return bytes;
}

function sample(codec: CodecName = "variable", chunkBytes: ChunkBytes = 128): RangeList {
  const list = new RangeList({ codec, pool: new ChunkPool({ chunkBytes }) });
  for (let i = 0; i < 40; i++) {
    list.appendBig({
      type: i & 3,
      length: BigInt(i * 1000),
      base: codec === "fixed16" || i % 3 === 0 ? BigInt(i) : 1n << 40n,
      offset: codec === "fixed16" ? 0 : i % 5 === 0 ? 3 : 0,
      extra: codec === "fixed16" ? 0 : i % 7 === 0 ? 9 : 0,
    });
  }
  return list;
}

describe("toBytes / fromBytes", () => {
  it("round-trips byte-exactly, for every chunk size and codec (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ChunkBytes>(128, 512, 4096),
        fc.constantFrom<CodecName>("variable", "fixed16"),
        fc.boolean(),
        fc.array(arbEntry("variable", true), { maxLength: 200 }),
        (chunkBytes, codec, merge, raw) => {
          const list = new RangeList({ codec, pool: new ChunkPool({ chunkBytes }), merge });
          const model = new Model(codec, chunkBytes, merge);
          for (const x of raw) {
            const e: RangeEntryBig = codec === "fixed16" ? { ...x, offset: 0, extra: 0 } : x;
            try {
              model.append(e);
            } catch {
              continue; // total would pass 2^64-1
            }
            list.appendBig(e);
          }
          const bytes = list.toBytes();
          const words = new Uint32Array(bytes.buffer);
          expect(words[0]).toBe(MAGIC);
          expect(words[1]).toBe(FORMAT_VERSION);
          expect(words[3]).toBe(chunkBytes);
          expect(bytes.byteLength).toBe(HEADER_WORDS * 4 + list.chunkCount * chunkBytes);
          const back = RangeList.fromBytes(bytes, { pool: new ChunkPool({ chunkBytes }), merge });
          expect(back.codec.name).toBe(codec);
          checkAgainst(back, model);
          expect(Buffer.from(back.toBytes()).equals(Buffer.from(bytes))).toBe(true);
          // the reloaded list keeps appending exactly like the original
          const more: RangeEntryBig = { type: 2, length: 77n, base: 5n, offset: 0, extra: 0 };
          list.appendBig(more);
          back.appendBig(more);
          expect(Buffer.from(back.toBytes()).equals(Buffer.from(list.toBytes()))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("an empty list is a bare header", () => {
    const bytes = new RangeList({ pool: new ChunkPool() }).toBytes();
    expect(bytes.byteLength).toBe(HEADER_WORDS * 4);
    expect(RangeList.fromBytes(bytes).isEmpty).toBe(true);
  });

  it("accepts an unaligned copy, and rejects options that contradict the bytes", () => {
    const bytes = sample().toBytes();
    const shifted = new Uint8Array(bytes.byteLength + 1).subarray(1);
    shifted.set(bytes);
    expect(RangeList.fromBytes(shifted, { pool: new ChunkPool({ chunkBytes: 128 }) }).count).toBe(40);
    expect(codeOf(() => RangeList.fromBytes(bytes, { codec: "fixed16" }))).toBe("EINVAL");
    expect(codeOf(() => RangeList.fromBytes(bytes, { chunkBytes: 512 }))).toBe("EINVAL");
  });

  it("rejects any single-word corruption with EINVAL and allocates nothing", () => {
    for (const codec of ["variable", "fixed16"] as const) {
      const bytes = sample(codec).toBytes();
      const words = new Uint32Array(bytes.buffer);
      const pool = new ChunkPool({ chunkBytes: 128 });
      for (let i = 0; i < words.length; i++) {
        for (const flip of [1, 0x8000_0000, 3]) {
          const bad = bytes.slice();
          const w = new Uint32Array(bad.buffer);
          w[i] = (w[i] as number) ^ flip;
          expect(codeOf(() => RangeList.fromBytes(bad, { pool }))).toBe("EINVAL");
        }
      }
      expect(pool.stats().chunksInUse).toBe(0);
    }
  });

  it("checks the structure itself, behind a valid checksum", () => {
    const pool = new ChunkPool({ chunkBytes: 128 });
    const tamper = (edit: (w: Uint32Array) => void, codec: CodecName = "variable"): string => {
      const bytes = sample(codec).toBytes();
      edit(new Uint32Array(bytes.buffer));
      return codeOf(() => RangeList.fromBytes(reseal(bytes), { pool }));
    };
    const chunk = (k: number) => HEADER_WORDS + k * 32;
    // links, used counts, END markers and the zero tail
    expect(tamper((w) => (w[chunk(0)] = 2))).toBe("EINVAL");
    expect(tamper((w) => (w[chunk(0) + 1] = 0))).toBe("EINVAL");
    expect(tamper((w) => (w[chunk(0) + 1] = 31))).toBe("EINVAL");
    expect(tamper((w) => (w[w.length - 1] = 5))).toBe("EINVAL");
    // an END marker inside the used area; a fixed16 tag of 1
    expect(tamper((w) => (w[chunk(0) + 2] = 3))).toBe("EINVAL");
    expect(tamper((w) => (w[chunk(0) + 2] = (w[chunk(0) + 2] as number) | 1), "fixed16")).toBe("EINVAL");
    // entry 0 (24 bytes: it has an extra) relabelled as a 16-byte entry
    expect(
      tamper((w) => {
        const o = chunk(0) + 2;
        w[o] = ((w[o] as number) & ~3) | 1;
      }),
    ).toBe("EINVAL");
    // header counts and totals
    expect(tamper((w) => (w[5] = 39))).toBe("EINVAL");
    expect(tamper((w) => (w[7] = (w[7] as number) + 1))).toBe("EINVAL");
    expect(tamper((w) => (w[2] = 2))).toBe("EINVAL");
    expect(tamper((w) => (w[4] = (w[4] as number) + 1))).toBe("EINVAL");
    expect(codeOf(() => RangeList.fromBytes(new Uint8Array(12)))).toBe("EINVAL");
    expect(codeOf(() => RangeList.fromBytes([1, 2, 3] as unknown as Uint8Array))).toBe("EINVAL");
    expect(pool.stats().chunksInUse).toBe(0);
  });

  it("rejects an entry stored in a larger form than append picks", () => {
    const list = RangeList.from([{ type: 1, length: 9, base: 77, offset: 0, extra: 0 }], {
      pool: new ChunkPool(),
    });
    const bytes = list.toBytes();
    expect(RangeList.fromBytes(reseal(bytes.slice())).toArray()).toEqual(list.toArray());
    const w = new Uint32Array(bytes.buffer);
    const o = HEADER_WORDS + 2;
    expect([...w.subarray(o, o + 3)]).toEqual([(9 << 4) | (1 << 2), 77, 3]);
    w.set([(9 << 4) | (1 << 2) | 2, 0, 77, 0, 0, 0, 3], o); // the same entry, 24-byte form
    w[HEADER_WORDS + 1] = 6;
    expect(codeOf(() => RangeList.fromBytes(reseal(bytes)))).toBe("EINVAL");
  });

  it("rejects packing that appends could not have produced (back-filled chunk)", () => {
    // two chunks where chunk 1's first 8-byte entry would have fit chunk 0
    const list = new RangeList({ pool: new ChunkPool({ chunkBytes: 128 }) });
    for (let i = 0; i < 16; i++) list.append({ type: 0, length: 1, base: i, offset: 0, extra: 0 });
    const bytes = list.toBytes();
    const w = new Uint32Array(bytes.buffer);
    const c0 = HEADER_WORDS;
    // drop chunk 0's last entry: 28 used units, END at 28, so entry 15 "should" be in chunk 0
    w[c0 + 1] = 28;
    w[c0 + 2 + 28] = 3;
    w[c0 + 2 + 29] = 0;
    w[5] = 15;
    w[7] = 15;
    expect(codeOf(() => RangeList.fromBytes(reseal(bytes)))).toBe("EINVAL");
  });
});
