/**
 * fromBytes() validation and seek-index rebuild as a WebAssembly kernel (assembly/list.ts:
 * fnv1a, validateChunks). The image's chunks go through the scratch page 32 KiB at a time: each
 * batch is hashed (the image checksum) and, until the first error, checked entry by entry with
 * the chunk start positions and first indices (the side index of the loaded list) written out.
 * A checksum mismatch is reported before any structural error, like the reference
 * (readImageReference in serialize.ts), and every message is the reference's.
 *
 * Validation needs no pool: it runs in one small memory of its own (64 KiB, made on first use),
 * so a corrupt image touches no pool at all.
 */
import { HEADER_UNITS } from "../constants.js";
import * as listKernelBytes from "../generated/list.wasm.js";
import { WASM_PAGE_BYTES } from "../memory-layout.js";
import {
  bad,
  checkTotals,
  IMAGE_HEADER_WORDS,
  type ListImage,
  readHeader,
  readImageReference,
} from "../serialize.js";
import { type WasmMemory, wasmApi } from "../wasm/api.js";
import { instantiateKernel } from "../wasm/kernel.js";
import { KERNEL_MIN_CHUNKS } from "./checksum.js";

interface ImageKernels {
  fnv1a(ptr: number, n: number, h: number): number;
  validateChunks(k0: number, nb: number, n: number, chunkWords: number, fixed: number): number;
}

// Scratch layout: must match assembly/list.ts.
const S_TOTAL = 64;
const S_SEEN = 72;
const S_PREV_USED = 80;
const S_LAST_AT = 84;
const S_ERR_CHUNK = 88;
const S_ERR_UNIT = 92;
const S_ERR_USED = 96;
const BATCH_IN = 4096;
const BATCH_BYTES = 32768;
const OUT_POS = 40960;
const OUT_POSX = 43008;
const OUT_FIRST = 45056;

interface Scratch {
  memory: WasmMemory;
  k: ImageKernels;
  u32: Uint32Array;
  u64: BigUint64Array;
  f64: Float64Array;
}

let scratch: Scratch | null = null;

function imageScratch(): Scratch {
  if (scratch === null) {
    let memory: WasmMemory;
    let shared = true;
    try {
      memory = new wasmApi.Memory({ initial: 1, maximum: 1, shared: true });
    } catch {
      memory = new wasmApi.Memory({ initial: 1, maximum: 1 });
      shared = false;
    }
    const buf = memory.buffer;
    scratch = {
      memory,
      k: instantiateKernel<ImageKernels>(listKernelBytes, memory, shared),
      u32: new Uint32Array(buf, 0, WASM_PAGE_BYTES / 4),
      u64: new BigUint64Array(buf, 0, WASM_PAGE_BYTES / 8),
      f64: new Float64Array(buf, 0, WASM_PAGE_BYTES / 8),
    };
  }
  return scratch;
}

function errorOf(code: number, s: Scratch, cap: number): Error {
  const k = s.u32[S_ERR_CHUNK / 4] as number;
  const at = s.u32[S_ERR_UNIT / 4] as number;
  switch (code) {
    case 1:
      return bad(`chunk ${k}: bad next link`);
    case 2:
      return bad(`chunk ${k}: used units ${s.u32[S_ERR_USED / 4]} not in 1..${cap}`);
    case 3:
      return bad(`chunk ${k} unit ${at}: bad fixed16 tag`);
    case 4:
      return bad(`chunk ${k} unit ${at}: END marker inside the used area`);
    case 5:
      return bad(`chunk ${k} unit ${at}: entry not in its smallest form`);
    case 6:
      return bad(`chunk ${k} unit ${at}: entry crosses the used area`);
    case 7:
      return bad(`chunk ${k}: its first entry would have fit chunk ${k - 1} (not append packing)`);
    case 8:
      return bad("total length passes 2^64-1");
    case 9:
      return bad(`chunk ${k}: missing END marker`);
    default:
      return bad(`chunk ${k}: non-zero word after the END marker`);
  }
}

/** The kernel path of {@link readImage}. */
export function readImageKernel(bytes: unknown): ListImage {
  const hdr = readHeader(bytes);
  const { words, fixed, chunkBytes, nChunks: n } = hdr;
  const cw = chunkBytes / 4;
  const cap = cw - HEADER_UNITS;
  const s = imageScratch();
  const { k, u32, u64, f64 } = s;
  u64[S_TOTAL / 8] = 0n;
  u64[S_SEEN / 8] = 0n;
  u32[S_PREV_USED / 4] = 0;
  u32[S_LAST_AT / 4] = 0xffff_ffff; // -1
  const pos = new Float64Array(n);
  const first = new Float64Array(n);
  const posBig = new BigUint64Array(n);
  const perBatch = BATCH_BYTES / chunkBytes;
  let hash = 0x811c_9dc5;
  let err = 0;
  for (let k0 = 0; k0 < n; k0 += perBatch) {
    const nb = Math.min(perBatch, n - k0);
    const from = IMAGE_HEADER_WORDS + k0 * cw;
    u32.set(words.subarray(from, from + nb * cw), BATCH_IN / 4);
    hash = k.fnv1a(BATCH_IN, nb * cw, hash) >>> 0;
    if (err === 0) {
      err = k.validateChunks(k0, nb, n, cw, fixed ? 1 : 0);
      if (err === 0) {
        pos.set(f64.subarray(OUT_POS / 8, OUT_POS / 8 + nb), k0);
        posBig.set(u64.subarray(OUT_POSX / 8, OUT_POSX / 8 + nb), k0);
        first.set(f64.subarray(OUT_FIRST / 8, OUT_FIRST / 8 + nb), k0);
      }
    }
  }
  if (hash !== words[9]) throw bad("checksum mismatch");
  if (err !== 0) throw errorOf(err, s, cap);
  const totalBig = u64[S_TOTAL / 8] as bigint;
  const seen = Number(u64[S_SEEN / 8] as bigint);
  checkTotals(hdr, seen, totalBig);
  const big = totalBig > BigInt(Number.MAX_SAFE_INTEGER);
  return {
    codec: fixed ? "fixed16" : "variable",
    chunkBytes,
    nChunks: n,
    words: words.subarray(IMAGE_HEADER_WORDS),
    pos,
    first,
    posBig: big ? posBig : null,
    count: hdr.count,
    total: Number(totalBig),
    totalBig: big ? totalBig : 0n,
    tailUsed: u32[S_PREV_USED / 4] as number,
    lastAt: (u32[S_LAST_AT / 4] as number) | 0,
  };
}

/** Validates a serialised list: the kernel from {@link KERNEL_MIN_CHUNKS} chunks on, else the reference. */
export function readImage(bytes: unknown): ListImage {
  const n = bytes instanceof Uint8Array && bytes.byteLength >= 20 ? readChunkCount(bytes) : 0;
  return n >= KERNEL_MIN_CHUNKS ? readImageKernel(bytes) : readImageReference(bytes);
}

/** Header word 4 (the chunk count), read without trusting anything else. */
function readChunkCount(bytes: Uint8Array): number {
  return (
    (bytes[16] as number) |
    ((bytes[17] as number) << 8) |
    ((bytes[18] as number) << 16) |
    ((bytes[19] as number) << 24)
  );
}
