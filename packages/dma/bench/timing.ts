/** Timing helpers shared by the dma benchmarks: wall clock, best of N, a deterministic PRNG. */

/** A small deterministic PRNG (xorshift32) in [0, 1), so every run builds the same lists. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/** Seconds of the fastest of `rounds` runs of `run` (each after its own `setup`). */
export function bestOf<T>(
  rounds: number,
  setup: () => T,
  run: (t: T) => void,
  teardown?: (t: T) => void,
): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rounds; i++) {
    const t = setup();
    const t0 = process.hrtime.bigint();
    run(t);
    const ns = Number(process.hrtime.bigint() - t0);
    teardown?.(t);
    if (ns < best) best = ns;
  }
  return best / 1e9;
}

export interface Kernel {
  readonly name: string;
  readonly run: () => void;
}

/**
 * Best time (seconds) of each kernel over `rounds` rounds, the kernels run one after another
 * inside each round: a slow phase of the shared machine hits all of them alike, so ratios taken
 * from one call are side by side.
 */
export function bestOfInterleaved(kernels: readonly Kernel[], rounds: number): Map<string, number> {
  const best = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const k of kernels) {
      const t0 = process.hrtime.bigint();
      k.run();
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (s < (best.get(k.name) ?? Number.POSITIVE_INFINITY)) best.set(k.name, s);
    }
  }
  return best;
}

let sink = 0;

/** Keeps a result alive so the work producing it cannot be optimised away. */
export function sinkValue(v: number): void {
  sink = (sink + v) % 0x1_0000_0000;
}

export function sinkRead(): number {
  return sink;
}
