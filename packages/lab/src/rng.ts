import { checkInteger, checkString } from "./args.js";

/**
 * mulberry32: a tiny, fast, seedable 32-bit PRNG. Every workload draws from its own
 * instance so one `--seed` reproduces the whole study bit for bit.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n) for 0 < n <= 2^32. */
  below(n: number): number;
  /** Uniform integer in [lo, hi] (inclusive, safe integers, hi - lo < 2^53). */
  between(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
}

/** The raw generator: returns the next u32 for state `seed`. */
export function mulberry32(seed: number): () => number {
  checkSeed(seed);
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Derives an independent stream per workload name, so adding a workload never shifts another's draws. */
export function deriveSeed(seed: number, label: string): number {
  checkSeed(seed);
  checkString("label", label);
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h;
}

/** A seed is any safe integer (its low 32 bits are the generator's state). */
function checkSeed(seed: unknown): asserts seed is number {
  checkInteger("seed", seed, Number.MIN_SAFE_INTEGER);
}

export function createRng(seed: number): Rng {
  const u32 = mulberry32(seed);
  const next = () => u32() / 0x1_0000_0000;
  return {
    next,
    below(n) {
      return Math.floor(next() * n);
    },
    between(lo, hi) {
      const span = hi - lo + 1;
      if (span <= 0x1_0000_0000) return lo + Math.floor(next() * span);
      // Two draws give 53 bits, enough for any safe-integer span (a tiny modulo bias is fine here).
      return lo + ((u32() * 0x20_0000 + (u32() >>> 11)) % span);
    },
    chance(p) {
      return next() < p;
    },
  };
}
