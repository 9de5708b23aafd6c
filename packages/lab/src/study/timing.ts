import { RlistError } from "@rlist/encoding";
import { checkArray, checkFinite, checkFunction, checkInteger, checkObject, checkString } from "../args.js";
import { checkResultsRecord } from "./schema.js";

/** Most rounds or samples a timing call takes (the CLI's `--runs` stops at 100). */
export const MAX_TIMING_ROUNDS = 1000;
/** Longest time budget a timing call accepts, ns (10 minutes): more is a hang, not a measurement. */
export const MAX_TIMING_BUDGET_NS = 600e9;

/** `ERANGE` unless `ns` is a time budget: finite, >= 0, at most {@link MAX_TIMING_BUDGET_NS}. */
export function checkBudget(what: string, ns: unknown): asserts ns is number {
  checkFinite(what, ns, 0);
  if (ns > MAX_TIMING_BUDGET_NS)
    throw new RlistError("ERANGE", `${what} ${ns} ns is above ${MAX_TIMING_BUDGET_NS} ns (10 minutes)`);
}

/** `EINVAL` unless `samples` is a non-empty array of finite non-negative numbers. */
function checkSamples(what: string, samples: unknown): asserts samples is readonly number[] {
  checkArray(what, samples, (at, v) => checkFinite(at, v, 0));
  if (samples.length === 0) throw new RlistError("EINVAL", `${what} is empty`);
}

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
  checkInteger("runs", runs, 1, MAX_TIMING_ROUNDS);
  checkBudget("budgetNs", budgetNs);
  checkFunction("fn", fn);
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

/** A timed figure: per-call nanoseconds of every round, and their median, min and max. */
export interface Timing {
  readonly medianNs: number;
  readonly minNs: number;
  readonly maxNs: number;
  /** Per-call time of each round, in round order (what side-by-side ratios are taken from). */
  readonly samplesNs: readonly number[];
}

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  checkArray("values", values, (at, v) => checkFinite(at, v));
  if (values.length === 0) throw new RlistError("EINVAL", "the median of no values");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >>> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function timingOf(samplesNs: readonly number[]): Timing {
  checkSamples("samplesNs", samplesNs);
  return {
    medianNs: median(samplesNs),
    minNs: Math.min(...samplesNs),
    maxNs: Math.max(...samplesNs),
    samplesNs,
  };
}

/** Repetitions of `fn` that make one sample last at least {@link MIN_SAMPLE_NS} (after a warm-up call). */
export function calibrate(fn: () => void, maxNs: number): number {
  checkFunction("fn", fn);
  checkBudget("maxNs", maxNs);
  let spent = timeReps(fn, 1);
  let reps = 1;
  for (;;) {
    const t = timeReps(fn, reps);
    spent += t;
    if (t >= MIN_SAMPLE_NS || spent >= maxNs) return reps;
    reps *= 2;
  }
}

/**
 * Times several contenders side by side: `rounds` rounds, and in every round one calibrated
 * sample of every contender, the order rotated each round so no contender always runs first
 * (after the JIT or the machine was busy with another). Load from other processes then hits
 * every contender in the same round, and per-round ratios cancel most of it. Returns one
 * {@link Timing} per contender, in the order given.
 */
export interface InterleaveOptions {
  /** Most time spent calibrating one contender's sample length, ns (default 50 ms). */
  readonly calibrateNs?: number;
  /**
   * Per contender, the time of one call already made (warm): one that took at least
   * {@link MIN_SAMPLE_NS} is sampled one call at a time without calibrating again.
   */
  readonly warmCallNs?: readonly number[];
  /** Called after each round. */
  readonly onRound?: (round: number) => void;
}

export function interleaved(
  fns: readonly (() => void)[],
  rounds: number,
  o: InterleaveOptions = {},
): Timing[] {
  checkArray("fns", fns, checkFunction);
  checkInteger("rounds", rounds, 1, MAX_TIMING_ROUNDS);
  checkObject("options", o);
  if (o.calibrateNs !== undefined) checkBudget("calibrateNs", o.calibrateNs);
  // a warm call of Infinity ns is "slow enough already: sample it one call at a time"
  if (o.warmCallNs !== undefined)
    checkArray("warmCallNs", o.warmCallNs, (at, v) => {
      if (v !== Number.POSITIVE_INFINITY) checkFinite(at, v, 0);
    });
  if (o.onRound !== undefined) checkFunction("onRound", o.onRound);
  const reps = fns.map((fn, i) =>
    (o.warmCallNs?.[i] ?? 0) >= MIN_SAMPLE_NS ? 1 : calibrate(fn, o.calibrateNs ?? 50e6),
  );
  const samples: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < fns.length; k++) {
      const i = (k + r) % fns.length;
      samples[i]!.push(timeReps(fns[i]!, reps[i]!) / reps[i]!);
    }
    o.onRound?.(r);
  }
  return samples.map(timingOf);
}

/**
 * How much faster `a` is than `b`, from their per-round samples (same rounds): the median of the
 * per-round ratios b/a, and their min and max. `decided` is true only when at least
 * {@link MIN_ROUNDS_TO_DECIDE} rounds were taken, the rounds agree on the direction (all of them,
 * or all but one in five on a loaded machine: {@link roundsThatMustAgree}), and the median ratio
 * is at least {@link MIN_TIMED_EFFECT} away from 1; otherwise the difference is inside the noise.
 */
export interface SpeedRatio {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number;
  /** Rounds whose ratio lies on the median's side of 1. */
  readonly agree: number;
  /** The noise floor the median had to clear (1 when none was measured). */
  readonly noise: number;
  readonly decided: boolean;
}

/** Fewer rounds than this give no noise estimate: a timed comparison then decides nothing. */
export const MIN_ROUNDS_TO_DECIDE = 3;
/** Smallest timed effect ever claimed (10 %), however quiet the machine was. */
export const MIN_TIMED_EFFECT = 0.1;

/** Rounds that must agree on the direction: all but one in five (3 of 3, 4 of 5, 8 of 10). */
export function roundsThatMustAgree(rounds: number): number {
  checkInteger("rounds", rounds);
  return rounds - Math.floor(rounds / 5);
}

/**
 * The noise floor of a run, measured: one representation walked twice (two builds of it) in every
 * round. Ideally every per-round ratio is 1; `factor` is the largest deviation seen (1.3 = the
 * twins differed by 30 % in some round) once the worst round in five is set aside, and no timed
 * effect smaller than it is claimed.
 */
export interface NoiseFloor {
  /**
   * What was walked twice: the control representation built twice ("rlist-128"), or two variants
   * that came out as identical lists ("rlist-512 = rlist-512/no-merge").
   */
  readonly control: string;
  readonly factor: number;
  readonly rounds: number;
}

/**
 * The noise floor over several A/A pairs (the control twins, and variants whose lists came out
 * identical): the largest of their floors, named by the pair that set it. Null for no pair.
 */
export function worstNoise(floors: readonly NoiseFloor[]): NoiseFloor | null {
  checkArray("noise floors", floors, (at, f) => checkResultsRecord(at, "noiseFloor", f));
  let worst: NoiseFloor | null = null;
  for (const f of floors) if (worst === null || f.factor > worst.factor) worst = f;
  return worst;
}

export function noiseFloor(control: string, a: Timing, b: Timing): NoiseFloor {
  checkString("control", control);
  checkResultsRecord("a", "timing", a);
  checkResultsRecord("b", "timing", b);
  const n = Math.min(a.samplesNs.length, b.samplesNs.length);
  const deviations: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = a.samplesNs[i]! / b.samplesNs[i]!;
    deviations.push(Math.max(r, 1 / r));
  }
  // As comparisons may outvote one disturbed round in five, the floor ignores as many.
  deviations.sort((p, q) => p - q);
  const kept = deviations.slice(0, roundsThatMustAgree(n));
  return { control, factor: kept.length > 0 ? kept[kept.length - 1]! : 1, rounds: n };
}

/**
 * Compares `a` with `b` (see {@link SpeedRatio}); with a measured noise floor, the median ratio
 * must also clear it.
 */
export function speedRatio(a: Timing, b: Timing, noise: NoiseFloor | null = null): SpeedRatio {
  checkResultsRecord("a", "timing", a);
  checkResultsRecord("b", "timing", b);
  if (noise !== null) checkResultsRecord("noise", "noiseFloor", noise);
  const n = Math.min(a.samplesNs.length, b.samplesNs.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) ratios.push(b.samplesNs[i]! / a.samplesNs[i]!);
  if (n === 0) return { median: 1, min: 1, max: 1, rounds: 0, agree: 0, noise: 1, decided: false };
  const m = median(ratios);
  const agree = ratios.filter((r) => (m >= 1 ? r > 1 : r < 1)).length;
  const need = Math.max(1 + MIN_TIMED_EFFECT, noise?.factor ?? 1);
  const big = m > need || m < 1 / need;
  return {
    median: m,
    min: Math.min(...ratios),
    max: Math.max(...ratios),
    rounds: n,
    agree,
    noise: noise?.factor ?? 1,
    decided: n >= MIN_ROUNDS_TO_DECIDE && agree >= roundsThatMustAgree(n) && big,
  };
}
