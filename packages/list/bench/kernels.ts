/**
 * The timed kernels. Each mirrors a loop of bench/c/rlist_ref.c and returns what the C side
 * folds into its `chk=` checksum.
 */
import type { RangeEntry } from "@rlist/encoding";
import { type ChunkPool, newChunkSpan, RangeList } from "@rlist/list";
import type { Columns } from "./workloads.js";

// Loops use literals (like the C side): a module `const` is re-read from its cell, with a TDZ
// check, on every use in optimised code. 0x1_0000_0000 = 2^32; 0x10_0000_0000_0000 = 2^52, where
// `lo` is folded into `hi` before doubles stop adding exactly.

/** rl_append loop: one reused entry object, fields set from the columns. */
export function buildList(c: Columns, pool: ChunkPool): RangeList {
  const list = new RangeList({ pool });
  const e: RangeEntry = { type: 0, length: 0, base: 0, offset: 0, extra: 0 };
  const { base, length, offset, extra, type } = c;
  for (let i = 0; i < c.n; i++) {
    e.type = type[i] as number;
    e.length = length[i] as number;
    e.base = base[i] as number;
    e.offset = offset[i] as number;
    e.extra = extra[i] as number;
    list.append(e);
  }
  return list;
}

export interface Sums {
  len: number;
  baseHex: string;
}

function hex64(hi: number, lo: number): string {
  return ((BigInt(hi) * 2n ** 32n + BigInt(lo)) & (2n ** 64n - 1n)).toString(16).padStart(16, "0");
}

/**
 * rl_sum through the public cursor API (reset / next, reading length and base). The u64 sum
 * of bases is kept exact as hi/lo doubles (C adds native u64s).
 */
export function sumCursor(list: RangeList): Sums {
  const cur = list.cursor();
  let len = 0;
  let lo = 0;
  let hi = 0;
  for (let ok = cur.reset(); ok; ok = cur.next()) {
    len += cur.length;
    const b = cur.base;
    const l = b >>> 0;
    lo += l;
    hi += (b - l) / 0x1_0000_0000;
    if (lo >= 0x10_0000_0000_0000) {
      const carry = Math.floor(lo / 0x1_0000_0000);
      hi += carry;
      lo -= carry * 0x1_0000_0000;
    }
  }
  return { len, baseHex: hex64(hi, lo) };
}

/**
 * rl_sum through the low-level chunk view, written the way an upper layer's hot loop would be:
 * one branch per form, the base's u32 halves summed directly (no cursor, no double split).
 * This is the ceiling of a JS loop over the same chunks.
 */
export function sumView(list: RangeList): Sums {
  const span = newChunkSpan();
  let len = 0;
  let lo = 0;
  let hi = 0;
  for (let k = 0; list.chunkSpan(k, span); k++) {
    const w = span.words;
    const end = span.end;
    for (let at = span.start; at < end; ) {
      const h = w[at] as number;
      const enc = h & 3;
      if (enc === 0) {
        len += h >>> 4;
        lo += w[at + 1] as number;
        at += 2;
      } else {
        len += (enc === 1 ? (w[at + 1] as number) & 0xff : (w[at + 4] as number)) * 0x1000_0000 + (h >>> 4);
        lo += w[at + 2] as number;
        hi += w[at + 3] as number;
        at += enc === 1 ? 4 : 6;
        if (hi >= 0x10_0000_0000_0000) hi %= 0x1_0000_0000;
      }
      if (lo >= 0x10_0000_0000_0000) {
        const carry = Math.floor(lo / 0x1_0000_0000);
        hi += carry;
        lo -= carry * 0x1_0000_0000;
      }
    }
  }
  return { len, baseHex: hex64(hi % 0x1_0000_0000, lo) };
}

/** RangeList#checksum() (the WebAssembly kernel for lists of more than a chunk), as {@link Sums}. */
export function checksumSums(list: RangeList): Sums {
  const c = list.checksum();
  return { len: Number(c.lengthSum), baseHex: c.baseSum.toString(16).padStart(16, "0") };
}

/** The rl_seek loop: sum of landed entry indices and of offsets inside the entries. */
export function seekAll(list: RangeList, q: Float64Array): { idx: number; off: number } {
  const cur = list.cursor();
  let idx = 0;
  let off = 0;
  for (let i = 0; i < q.length; i++) {
    const p = q[i] as number;
    if (!cur.seek(p)) throw new Error(`seek(${p}) failed`);
    idx += cur.index;
    off += p - cur.position;
  }
  return { idx, off };
}

/** The baseline users would otherwise write: an array of plain entry objects. */
export function buildObjects(c: Columns): RangeEntry[] {
  const arr: RangeEntry[] = [];
  for (let i = 0; i < c.n; i++) {
    arr.push({
      base: c.base[i] as number,
      length: c.length[i] as number,
      offset: c.offset[i] as number,
      extra: c.extra[i] as number,
      type: c.type[i] as number,
    });
  }
  return arr;
}

export function sumObjects(arr: RangeEntry[]): Sums {
  let len = 0;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < arr.length; i++) {
    const e = arr[i] as RangeEntry;
    len += e.length;
    const b = e.base;
    const l = b >>> 0;
    lo += l;
    hi += (b - l) / 0x1_0000_0000;
    if (lo >= 0x10_0000_0000_0000) {
      const carry = Math.floor(lo / 0x1_0000_0000);
      hi += carry;
      lo -= carry * 0x1_0000_0000;
    }
  }
  return { len, baseHex: hex64(hi, lo) };
}
