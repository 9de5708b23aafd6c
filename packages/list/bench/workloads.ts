/**
 * The four workloads of bench/c/rlist_ref.c, generated with the same mulberry32 generator and
 * seeds (`gen()` / `gen_queries()` there), so both sides build identical lists.
 */

export const WORKLOADS = ["rdma-4k", "folio-mix", "bio-mixed", "extra"] as const;
export type Workload = (typeof WORKLOADS)[number];

const TWO32 = 0x1_0000_0000;

/** mulberry32, bit-identical to the C `rnd()` (u32 arithmetic via Math.imul). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Entries as columns (all values are safe integers). */
export interface Columns {
  n: number;
  base: Float64Array;
  length: Float64Array;
  offset: Uint32Array;
  extra: Uint32Array;
  type: Uint8Array;
}

export function gen(w: number, n: number): Columns {
  const rnd = mulberry32(0x1000 + w);
  const c: Columns = {
    n,
    base: new Float64Array(n),
    length: new Float64Array(n),
    offset: new Uint32Array(n),
    extra: new Uint32Array(n),
    type: new Uint8Array(n),
  };
  for (let i = 0; i < n; i++) {
    let base = 0;
    let len = 0;
    let off = 0;
    let extra = 0;
    let type = 0;
    if (w === 0) {
      // rdma-4k: 4 KiB pages at random 32-bit pfns -> 8-byte entries
      base = rnd();
      len = 4096;
    } else if (w === 1) {
      // folio-mix: order 0..9 folios, pfn aligned to the order -> 8-byte entries
      const order = rnd() % 10;
      base = (rnd() & ~((1 << order) - 1)) >>> 0;
      len = 4096 * 2 ** order;
    } else if (w === 2) {
      // bio-mixed: byte ranges above 4 GiB with 24-bit offsets -> 16-byte entries
      const a = rnd();
      const b = rnd();
      base = ((a & 0x3fff) + 1) * TWO32 + b;
      off = rnd() & 0xff_ffff;
      const r = rnd();
      len = (r & 127) === 0 ? (rnd() | 0x1000_0000) >>> 0 : 1 + (rnd() & 0xf_ffff);
      type = 1;
    } else {
      // extra: extra != 0, 32-bit offsets -> 24-byte entries
      const a = rnd();
      const b = rnd();
      base = ((a & 0x3fff) + 1) * TWO32 + b;
      off = rnd();
      extra = (rnd() | 1) >>> 0;
      const r = rnd();
      len = (r & 127) === 0 ? ((rnd() | 0x1000_0000) >>> 0) * 2 : 1 + (rnd() & 0xf_ffff);
      type = r >>> 30;
    }
    c.base[i] = base;
    c.length[i] = len;
    c.offset[i] = off;
    c.extra[i] = extra;
    c.type[i] = type;
  }
  return c;
}

/** Seek targets: uniform in [0, total), like gen_queries(). `total` must be <= 2^53-1. */
export function genQueries(w: number, q: number, total: number): Float64Array {
  const rnd = mulberry32(0x2000 + w);
  const out = new Float64Array(q);
  for (let i = 0; i < q; i++) {
    const a = rnd();
    const b = rnd();
    out[i] = ((a >>> 11) * TWO32 + b) % total;
  }
  return out;
}

/** u64 accumulator mod 2^64 over safe-integer addends, exact (split hi/lo). */
export class U64Sum {
  hi = 0;
  lo = 0;

  add(v: number): void {
    const lo = v >>> 0;
    this.lo += lo;
    this.hi += (v - lo) / TWO32;
    if (this.lo >= TWO32) {
      this.lo -= TWO32;
      this.hi++;
    }
    this.hi %= TWO32;
  }

  hex(): string {
    return (BigInt(this.hi) * 2n ** 32n + BigInt(this.lo)).toString(16).padStart(16, "0");
  }

  big(): bigint {
    return BigInt(this.hi) * 2n ** 32n + BigInt(this.lo);
  }
}
