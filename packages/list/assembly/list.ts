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
