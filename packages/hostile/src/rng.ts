/** A small seeded generator (mulberry32): every case is rebuilt from its seed alone. */
export interface Rng {
  /** A u32. */
  u32(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  bool(): boolean;
}

export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const u32 = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const int = (n: number): number => (n <= 1 ? 0 : u32() % n);
  return {
    u32,
    int,
    pick: <T>(items: readonly T[]): T => items[int(items.length)] as T,
    bool: () => (u32() & 1) === 1,
  };
}

/**
 * The seed of variant `variant` of `api` in a run seeded with `seed`: independent streams per
 * case, and the same case gets the same seed whatever else the run includes (so `--only`
 * replays a case of a full run exactly).
 */
export function caseSeed(seed: number, api: string, variant: number): number {
  let h = 0x811c_9dc5;
  for (let i = 0; i < api.length; i++) h = Math.imul(h ^ api.charCodeAt(i), 0x0100_0193);
  return (Math.imul(seed ^ 0x9e37_79b9, 0x85eb_ca6b) + Math.imul((h ^ variant) + 1, 0xc2b2_ae35)) >>> 0;
}
