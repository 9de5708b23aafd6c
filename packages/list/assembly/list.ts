/**
 * WebAssembly kernels of @rlist/list (AssemblyScript), compiled by scripts/build-kernels.ts into
 * src/generated/list.wasm.ts. They read the chunk words in the pool's memory exactly as the
 * TypeScript code does (src/kernels/*.ts holds a plain TypeScript reference of each one; property
 * tests prove them equal).
 *
 * Memory layout (src/memory-layout.ts): bytes [0, 65536) are the kernels' scratch page (results,
 * batches); chunk `id` starts at byte CHUNK_BASE + id * chunkBytes. A chunk: u32 next chunk id,
 * u32 entry units in use, then the entries (see the list README).
 *
 * The kernels never allocate (stub runtime) and trust the list's own invariants: every walk is
 * bounded by a chunk count and each chunk's used units, so a corrupt chunk gives wrong sums or a
 * trap (a RuntimeError), never a hang.
 */

/** First byte of chunk 0; below it, the scratch page. Must equal src/memory-layout.ts. */
const CHUNK_BASE: usize = 65536;

/** Scratch slots written by the kernels (byte offsets in page 0). */
const OUT_LENGTH_SUM: usize = 0;
const OUT_BASE_SUM: usize = 8;
const OUT_FORM16: usize = 16;
const OUT_FORM24: usize = 20;

/** The layout constant the TypeScript side checks against its own. */
export function chunkBase(): u32 {
  return <u32>CHUNK_BASE;
}

/**
 * Sums of lengths and of bases (both mod 2^64) over `n` chunks of the variable codec, starting
 * at chunk `first` and following the next links; `chunkShift` = log2(chunk bytes). Writes the
 * sums to the scratch page, returns the entry count. Like bench/c/rlist_ref.c's rl_sum().
 */
export function checksumVariable(first: u32, n: u32, chunkShift: u32): u32 {
  let id = first;
  let count: u32 = 0;
  let sumLen: u64 = 0;
  let sumBase: u64 = 0;
  for (let k: u32 = 0; k < n; k++) {
    const c = CHUNK_BASE + ((<usize>id) << chunkShift);
    let p = c + 8;
    const end = p + ((<usize>load<u32>(c, 4)) << 2);
    // Page lists are runs of 8-byte entries: take them two at a time while both are 8-byte
    // (measured: +20% on rdma-4k, on par with gcc -O2's rl_sum at 1e6 entries).
    const start = p;
    let runLen: u64 = 0;
    let runBase: u64 = 0;
    while (p + 16 <= end) {
      const h0 = load<u32>(p);
      const h1 = load<u32>(p, 8);
      if (((h0 | h1) & 3) !== 0) break;
      runLen += <u64>((h0 >>> 4) + (h1 >>> 4)); // two 28-bit lengths: no u32 overflow
      runBase += <u64>load<u32>(p, 4) + <u64>load<u32>(p, 12);
      p += 16;
    }
    count += <u32>((p - start) >>> 3);
    sumLen += runLen;
    sumBase += runBase;
    // Byte-range lists are runs of 16-byte entries: two at a time too (measured: +60% on them).
    const start16 = p;
    while (p + 32 <= end) {
      const h0 = load<u32>(p);
      const h1 = load<u32>(p, 16);
      if ((((h0 & 3) ^ 1) | ((h1 & 3) ^ 1)) !== 0) break;
      sumLen +=
        (((<u64>(load<u32>(p, 4) & 0xff)) << 28) | <u64>(h0 >>> 4)) +
        (((<u64>(load<u32>(p, 20) & 0xff)) << 28) | <u64>(h1 >>> 4));
      sumBase += load<u64>(p, 8) + load<u64>(p, 24);
      p += 32;
    }
    count += <u32>((p - start16) >>> 4);
    while (p < end) {
      const h = load<u32>(p);
      const enc = h & 3;
      let len = <u64>(h >>> 4);
      if (enc === 0) {
        sumBase += <u64>load<u32>(p, 4);
        p += 8;
      } else if (enc === 1) {
        len |= (<u64>(load<u32>(p, 4) & 0xff)) << 28;
        sumBase += load<u64>(p, 8);
        p += 16;
      } else {
        len |= (<u64>load<u32>(p, 16)) << 28;
        sumBase += load<u64>(p, 8);
        p += 24;
      }
      sumLen += len;
      count++;
    }
    id = load<u32>(c);
  }
  store<u64>(OUT_LENGTH_SUM, sumLen);
  store<u64>(OUT_BASE_SUM, sumBase);
  return count;
}

/** {@link checksumVariable} for the fixed16 codec (every entry 16 bytes: hdr, lenHi, base64). */
export function checksumFixed16(first: u32, n: u32, chunkShift: u32): u32 {
  let id = first;
  let count: u32 = 0;
  let sumLen: u64 = 0;
  let sumBase: u64 = 0;
  for (let k: u32 = 0; k < n; k++) {
    const c = CHUNK_BASE + ((<usize>id) << chunkShift);
    const used = load<u32>(c, 4);
    let p = c + 8;
    const end = p + ((<usize>used) << 2);
    while (p < end) {
      sumLen += ((<u64>load<u32>(p, 4)) << 28) | <u64>(load<u32>(p) >>> 4);
      sumBase += load<u64>(p, 8);
      p += 16;
    }
    count += used >>> 2;
    id = load<u32>(c);
  }
  store<u64>(OUT_LENGTH_SUM, sumLen);
  store<u64>(OUT_BASE_SUM, sumBase);
  return count;
}

/**
 * Entries of each variable form over `n` chunks from `first`: returns the 8-byte count, writes
 * the 16- and 24-byte counts to the scratch page (for stats()).
 */
export function formsVariable(first: u32, n: u32, chunkShift: u32): u32 {
  let id = first;
  let n8: u32 = 0;
  let n16: u32 = 0;
  let n24: u32 = 0;
  for (let k: u32 = 0; k < n; k++) {
    const c = CHUNK_BASE + ((<usize>id) << chunkShift);
    let p = c + 8;
    const end = p + ((<usize>load<u32>(c, 4)) << 2);
    while (p < end) {
      const enc = load<u32>(p) & 3;
      if (enc === 0) {
        n8++;
        p += 8;
      } else if (enc === 1) {
        n16++;
        p += 16;
      } else {
        n24++;
        p += 24;
      }
    }
    id = load<u32>(c);
  }
  store<u32>(OUT_FORM16, n16);
  store<u32>(OUT_FORM24, n24);
  return n8;
}

// ---------------------------------------------------------------- fromBytes validation

/** Validation state carried from batch to batch (scratch page): see src/kernels/image.ts. */
const S_TOTAL: usize = 64; // u64: exact total of the entries so far
const S_SEEN: usize = 72; // u64: entries so far
const S_PREV_USED: usize = 80; // u32: used units of the previous chunk
const S_LAST_AT: usize = 84; // i32: unit of the last entry seen
const S_ERR_CHUNK: usize = 88; // u32: chunk of the first error
const S_ERR_UNIT: usize = 92; // u32: its unit
const S_ERR_USED: usize = 96; // u32: its used units
/** A batch of serialised chunks (32 KiB), and the per-chunk outputs (seek index records). */
const BATCH_IN: usize = 4096;
const OUT_POS: usize = 40960; // f64 per chunk: start position, rounded like Number(u64)
const OUT_POSX: usize = 43008; // u64 per chunk: exact start position
const OUT_FIRST: usize = 45056; // f64 per chunk: index of its first entry

const ERR_LINK: u32 = 1;
const ERR_USED: u32 = 2;
const ERR_TAG: u32 = 3;
const ERR_END_INSIDE: u32 = 4;
const ERR_FORM: u32 = 5;
const ERR_CROSS: u32 = 6;
const ERR_PACKING: u32 = 7;
const ERR_TOTAL: u32 = 8;
const ERR_NO_END: u32 = 9;
const ERR_NONZERO: u32 = 10;

function fail(code: u32, k: u32, at: u32, used: u32): u32 {
  store<u32>(S_ERR_CHUNK, k);
  store<u32>(S_ERR_UNIT, at);
  store<u32>(S_ERR_USED, used);
  return code;
}

/** FNV-1a over `n` u32 words at `ptr`, continuing from hash `h` (toBytes' checksum). */
export function fnv1a(ptr: usize, n: u32, h: u32): u32 {
  const end = ptr + ((<usize>n) << 2);
  for (let p = ptr; p < end; p += 4) {
    h = (h ^ load<u32>(p)) * 0x0100_0193;
  }
  return h;
}

/**
 * Checks `nb` serialised chunks (chunk ordinals k0.., of `n`) copied to BATCH_IN, exactly as
 * readImageReference() in src/serialize.ts does, in the same order; writes each chunk's start
 * position and first entry index (the seek index records) to the OUT_* arrays. Returns 0, or the
 * code of the first error with its chunk / unit / used units in the scratch page.
 */
export function validateChunks(k0: u32, nb: u32, n: u32, chunkWords: u32, fixed: u32): u32 {
  const cap = chunkWords - 2;
  let total = load<u64>(S_TOTAL);
  let seen = load<u64>(S_SEEN);
  let prevUsed = load<u32>(S_PREV_USED);
  let lastAt = load<i32>(S_LAST_AT);
  for (let j: u32 = 0; j < nb; j++) {
    const k = k0 + j;
    const o = BATCH_IN + ((<usize>(j * chunkWords)) << 2);
    const area = o + 8;
    const next: u32 = k + 1 < n ? k + 1 : 0xffff_ffff;
    if (load<u32>(o) !== next) return fail(ERR_LINK, k, 0, 0);
    const used = load<u32>(o, 4);
    if (used === 0 || used > cap) return fail(ERR_USED, k, 0, used);
    store<f64>(OUT_POS + ((<usize>j) << 3), <f64>total);
    store<u64>(OUT_POSX + ((<usize>j) << 3), total);
    store<f64>(OUT_FIRST + ((<usize>j) << 3), <f64>seen);
    let at: u32 = 0;
    while (at < used) {
      const p = area + ((<usize>at) << 2);
      const h = load<u32>(p);
      const enc = h & 3;
      let units: u32 = 4;
      if (fixed !== 0) {
        if (enc !== 0) return fail(ERR_TAG, k, at, 0);
      } else {
        if (enc === 3) return fail(ERR_END_INSIDE, k, at, 0);
        units = (enc + 1) << 1;
      }
      if (at + units > used) return fail(ERR_CROSS, k, at, 0);
      let lenHi: u32 = 0;
      if (fixed !== 0) {
        lenHi = load<u32>(p, 4);
      } else if (enc === 1) {
        const w1 = load<u32>(p, 4);
        lenHi = w1 & 0xff;
        // 16 bytes only when 8 would not do: an offset, a length or a base above 32 bits
        if (w1 >>> 8 === 0 && lenHi === 0 && load<u32>(p, 12) === 0) return fail(ERR_FORM, k, at, 0);
      } else if (enc === 2) {
        lenHi = load<u32>(p, 16);
        if (load<u32>(p, 20) === 0) {
          // 24 bytes without extra only when 16 would not do either
          const offset = load<u32>(p, 4);
          if (offset === 0 && lenHi === 0 && load<u32>(p, 12) === 0) return fail(ERR_FORM, k, at, 0);
          if (lenHi <= 0xff && offset <= 0xff_ffff) return fail(ERR_FORM, k, at, 0);
        }
      }
      if (at === 0 && k > 0 && prevUsed + units <= cap) return fail(ERR_PACKING, k, 0, 0);
      const sum = total + (((<u64>lenHi) << 28) | <u64>(h >>> 4));
      if (sum < total) return fail(ERR_TOTAL, k, at, 0);
      total = sum;
      lastAt = <i32>at;
      at += units;
      seen++;
    }
    if (used < cap) {
      if (load<u32>(area + ((<usize>used) << 2)) !== 3) return fail(ERR_NO_END, k, 0, 0);
      for (let i = used + 1; i < cap; i++) {
        if (load<u32>(area + ((<usize>i) << 2)) !== 0) return fail(ERR_NONZERO, k, 0, 0);
      }
    }
    prevUsed = used;
  }
  store<u64>(S_TOTAL, total);
  store<u64>(S_SEEN, seen);
  store<u32>(S_PREV_USED, prevUsed);
  store<i32>(S_LAST_AT, lastAt);
  return 0;
}
