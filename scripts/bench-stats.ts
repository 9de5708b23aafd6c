/**
 * The summary statistics every benchmark prints: the median of a set of samples (the mean of the
 * two middle ones for an even count) and "median (min-max)" as one table cell.
 */

/** Median of `xs` (NaN for none); `xs` is not reordered. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** `"median (min-max)"` of `xs`, each with `digits` decimals. */
export function medianRange(xs: readonly number[], digits: number): string {
  const f = (v: number) => v.toFixed(digits);
  return `${f(median(xs))} (${f(Math.min(...xs))}-${f(Math.max(...xs))})`;
}
