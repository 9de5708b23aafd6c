/** Nanoseconds elapsed while running `fn` `reps` times. */
function timeReps(fn: () => void, reps: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) fn();
  return Number(process.hrtime.bigint() - t0);
}

/** Shortest sample worth timing: below this, timer resolution and JIT tiers dominate. */
export const MIN_SAMPLE_NS = 2e6;

/**
 * Best (smallest) per-call time of `fn` in ns, over up to `runs` samples. One untimed warm-up
 * call first (so the JIT has seen the code), then each sample repeats `fn` enough times to last
 * at least {@link MIN_SAMPLE_NS}. Stops early once `budgetNs` is spent (after one sample), so a
 * slow representation cannot stall the study. The best sample is the one least disturbed by the
 * other processes on a shared machine.
 */
export function bestOf(runs: number, budgetNs: number, fn: () => void): number {
  let spent = timeReps(fn, 1);
  let reps = 1;
  // Calibrate: double the repetitions until a sample is long enough (or the budget is gone).
  for (;;) {
    const t = timeReps(fn, reps);
    spent += t;
    if (t >= MIN_SAMPLE_NS || spent >= budgetNs) break;
    reps *= 2;
  }
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const t = timeReps(fn, reps) / reps;
    best = Math.min(best, t);
    spent += t * reps;
    if (spent >= budgetNs) break;
  }
  return best;
}
