/** Nanoseconds elapsed while running `fn` once. */
export function timeOnce(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0);
}

/**
 * Best (smallest) time of up to `runs` runs of `fn`, in ns. Stops early once `budgetNs` is
 * spent (after at least one run), so a slow representation cannot stall the study. The best
 * run is the least disturbed by the other processes on a shared machine.
 */
export function bestOf(runs: number, budgetNs: number, fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  let spent = 0;
  for (let r = 0; r < runs; r++) {
    const t = timeOnce(fn);
    best = Math.min(best, t);
    spent += t;
    if (spent >= budgetNs) break;
  }
  return best;
}
