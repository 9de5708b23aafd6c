import { formatValue, RlistError } from "@rlist/encoding";
import type { RangeList } from "@rlist/list";
import { checkArray, checkFunction, checkInteger, checkObject, checkString } from "../args.js";
import type { WalkSums } from "../kernels/memory.js";
import { CWalkRunner, type CWalkSample } from "../native/c-yardstick.js";
import {
  type Built,
  checkBuilt,
  checkRepresentation,
  type Representation,
  type RepresentationFamily,
  type RepresentationId,
} from "../representations/types.js";
import { checkWorkload, type Workload } from "../workloads/workload.js";
import {
  checkBudget,
  interleaved,
  MAX_TIMING_ROUNDS,
  MIN_SAMPLE_NS,
  type NoiseFloor,
  noiseFloor,
  type Timing,
  timingOf,
  worstNoise,
} from "./timing.js";

/** Lists of similar length, for the chunk-size verdict: a chunk size suits a list length. */
export const LIST_SIZE_CLASSES = [
  { id: "1-8", label: "1-8 entries", max: 8 },
  { id: "9-64", label: "9-64 entries", max: 64 },
  { id: "65-512", label: "65-512 entries", max: 512 },
  { id: "513+", label: "over 512 entries", max: Number.POSITIVE_INFINITY },
] as const;
export type ListSizeClass = (typeof LIST_SIZE_CLASSES)[number]["id"];

/** Exact memory of the lists of one size class (chunked representations). */
export interface ListSizeFigures {
  readonly sizeClass: ListSizeClass;
  readonly lists: number;
  readonly entries: number;
  readonly bytes: number;
}

/** Figures for one representation holding one workload. */
export interface RepresentationResult {
  readonly id: RepresentationId;
  /** Unique per variant: the id, with "/no-merge" for a variant that does not merge. */
  readonly key: string;
  readonly label: string;
  readonly family: RepresentationFamily;
  /** Whether the representation merges contiguous ranges (null: it has no such choice). */
  readonly merge: boolean | null;
  readonly supported: boolean;
  /** Why not, when unsupported. */
  readonly reason?: string;
  readonly entries: number;
  readonly bytes: number;
  /** bytes / entries. */
  readonly bytesPerEntry: number;
  /** Entry payload / bytes: how much of the memory holds entries (vs headers, chain slots, slack). */
  readonly efficiency: number;
  /** bytes per MiB of memory described: the cost that decides between representations. */
  readonly bytesPerMiB: number;
  /** True when bytes were measured on the heap rather than counted from a layout. */
  readonly measured: boolean;
  /** Per list-size class (chunked representations only): exact bytes of the lists in the class. */
  readonly listSizes?: readonly ListSizeFigures[];
  /** Build from the neutral ranges, per call, over the interleaved rounds (null when unsupported). */
  readonly build: Timing | null;
  /**
   * Walk of every list with the representation's WebAssembly kernel, per call: what walk speed is
   * ranked by (the same work per entry for every representation). Null when unsupported, and for
   * plain JS objects, which have no kernel.
   */
  readonly kernelWalk: Timing | null;
  /** Walk of every entry with the representation's own JavaScript iterator, per call (null when unsupported). */
  readonly jsWalk: Timing | null;
  /** entries / median build time. */
  readonly buildEntriesPerSec: number;
  /** entries / median kernel walk time (0 without a kernel walk). */
  readonly kernelWalkEntriesPerSec: number;
  /** entries / median JavaScript walk time. */
  readonly jsWalkEntriesPerSec: number;
  /**
   * What the kernel walk read: entries, and the sums of their lengths and addresses mod 2^64 as
   * decimal strings (the rlist's as stored: a folio run's base is its first PFN, its length in
   * pages). Null without a kernel walk.
   */
  readonly checksum: KernelChecksum | null;
  /** The C yardstick on the same lists (rlist variants, when it ran), else null. */
  readonly c: CWalkFigures | null;
}

/** The C yardstick's walk of an rlist variant's lists (bench/c/rlist_ref.c, rl_sum(), gcc -O2). */
export interface CWalkFigures {
  /** One sample per round, ns per walk of every list; null when the figure is refused (see error). */
  readonly walk: Timing | null;
  /** entries / median walk time (0 when refused). */
  readonly walkEntriesPerSec: number;
  /** Its chk=: entries, and the sums of lengths and bases mod 2^64 (decimal), as C printed them. */
  readonly checksum: KernelChecksum | null;
  /** Chunks C built for the lists. */
  readonly chunks: number;
  /** Why there is no figure (C's checksum differs from the kernel walk's, or the run failed), else null. */
  readonly error: string | null;
}

/** A kernel walk's sums, for results.json (u64 values as decimal strings). */
export interface KernelChecksum {
  readonly count: number;
  readonly lengthSum: string;
  readonly baseSum: string;
}

export interface MeasureOptions {
  /** Interleaved timing rounds (every representation once per round). */
  readonly rounds: number;
  /** The compiled C yardstick: when given, it walks the rlist's lists once per round too. */
  readonly c?: { readonly binary: string } | null;
  /** Most time spent calibrating one contender's sample length, ns. */
  readonly calibrateNs?: number;
  /** Called after each timing round. */
  readonly onRound?: (round: number) => void;
}

const MiB = 1024 * 1024;

function unsupportedResult(rep: Representation, reason: string): RepresentationResult {
  return {
    id: rep.id,
    key: rep.key,
    label: rep.label,
    family: rep.family,
    merge: rep.merge,
    supported: false,
    reason,
    entries: 0,
    bytes: 0,
    bytesPerEntry: 0,
    efficiency: 0,
    bytesPerMiB: 0,
    measured: false,
    build: null,
    kernelWalk: null,
    jsWalk: null,
    buildEntriesPerSec: 0,
    kernelWalkEntriesPerSec: 0,
    jsWalkEntriesPerSec: 0,
    checksum: null,
    c: null,
  };
}

/** Exact bytes per list-size class, from a built chunked representation's per-list figures. */
function listSizes(built: Built): ListSizeFigures[] | undefined {
  const lists = built.lists;
  if (lists === undefined) return undefined;
  return LIST_SIZE_CLASSES.map((c, k) => {
    const min = k === 0 ? 0 : LIST_SIZE_CLASSES[k - 1]!.max;
    let n = 0;
    let entries = 0;
    let bytes = 0;
    for (let g = 0; g < lists.entries.length; g++) {
      const e = lists.entries[g]!;
      if (e > min && e <= c.max) {
        n++;
        entries += e;
        bytes += lists.bytes[g]!;
      }
    }
    return { sizeClass: c.id, lists: n, entries, bytes };
  });
}

/** Figures of one workload's representations, and the noise floors of its timed walks. */
export interface Measured {
  readonly representations: RepresentationResult[];
  /** A/A control of the JavaScript walks (the first representation walked twice per round). */
  readonly noise: NoiseFloor | null;
  /** A/A control of the kernel walks (the first representation with a kernel, walked twice). */
  readonly kernelNoise: NoiseFloor | null;
}

/**
 * Pairs of timed representations (indices into `timed`) that hold identical lists: a variant
 * without merging and its merging twin with the same entries, bytes and checksum.
 */
export function identicalTwins(
  timed: readonly { rep: Representation; b: Built; i: number }[],
  sums: readonly (WalkSums | null)[],
): [number, number][] {
  const out: [number, number][] = [];
  timed.forEach((off, k) => {
    if (off.rep.merge !== false) return;
    const on = timed.findIndex((t) => t.rep.id === off.rep.id && t.rep.key === off.rep.id);
    if (on < 0) return;
    const a = sums[timed[on]!.i];
    const b = sums[off.i];
    const same =
      a != null &&
      b != null &&
      a.count === b.count &&
      a.lengthSum === b.lengthSum &&
      a.baseSum === b.baseSum &&
      timed[on]!.b.bytes === off.b.bytes;
    if (same) out.push([on, k]);
  });
  return out;
}

function twinName(timed: readonly { rep: Representation }[], a: number, b: number): string {
  return `${timed[a]!.rep.key} = ${timed[b]!.rep.key}`;
}

/**
 * The kernel walk of `b`, checked: it must count every entry, and (outside the rlist, whose folio
 * runs store lengths in pages) its lengths must add up to the workload's bytes.
 */
function checkedKernelWalk(rep: Representation, b: Built, w: Workload): WalkSums {
  const s = b.kernelWalk!() as Partial<WalkSums> | null;
  if (
    typeof s !== "object" ||
    s === null ||
    typeof s.count !== "number" ||
    typeof s.lengthSum !== "bigint" ||
    typeof s.baseSum !== "bigint"
  )
    throw new RlistError("EINVAL", `${rep.key}: its kernel walk returned ${formatValue(s)}, not walk sums`);
  const bytesOk = rep.family === "rlist" || rep.family === "fixed16" || s.lengthSum === BigInt(w.bytes);
  if (s.count !== b.entries || !bytesOk)
    throw new RlistError(
      "EINVAL",
      `${rep.key} on ${w.id}: the kernel walk read ${s.count} entries and ${s.lengthSum} bytes, the representation has ${b.entries} entries and the workload ${w.bytes} bytes`,
    );
  return s as WalkSums;
}

/** `EINVAL` / `ERANGE` unless `o` is a {@link MeasureOptions}. */
function checkMeasureOptions(o: unknown): asserts o is MeasureOptions {
  checkObject("measure options", o);
  const { rounds, c, calibrateNs, onRound } = o as Partial<MeasureOptions>;
  checkInteger("rounds", rounds, 1, MAX_TIMING_ROUNDS);
  if (c !== undefined && c !== null) {
    checkObject("c", c);
    checkString("c.binary", c.binary);
  }
  if (calibrateNs !== undefined) checkBudget("calibrateNs", calibrateNs);
  if (onRound !== undefined) checkFunction("onRound", onRound);
}

/**
 * Builds every representation of the workload once (sizes are exact), checks that each one
 * describes exactly the workload's bytes (its JavaScript walk) and that its kernel walk reads
 * every entry, then times the kernel walk, the JavaScript walk and the build of all of them side
 * by side in interleaved rounds ({@link interleaved}), with an A/A control for each kind of walk.
 * A mismatch is a bug in a representation and throws: a figure for the wrong input is worse than
 * none.
 */
export function measureAll(reps: readonly Representation[], w: Workload, o: MeasureOptions): Measured {
  checkArray("representations", reps, checkRepresentation);
  checkWorkload("workload", w);
  checkMeasureOptions(o);
  const built: (Built | null)[] = [];
  const controls: Built[] = [];
  const runners: CWalkRunner[] = [];
  try {
    const reasons = reps.map((rep) => {
      const why = rep.unsupported(w.ranges);
      if (why !== null && typeof why !== "string")
        throw new RlistError("EINVAL", `${rep.key}.unsupported returned ${formatValue(why)}`);
      return why;
    });
    const sums: (WalkSums | null)[] = [];
    for (const [i, rep] of reps.entries()) {
      if (reasons[i] !== null) {
        built.push(null);
        sums.push(null);
        continue;
      }
      const b = rep.build(w.ranges);
      checkBuilt(`${rep.key}'s build`, b);
      built.push(b);
      const described = b.iterate();
      if (described !== w.bytes)
        throw new RlistError(
          "EINVAL",
          `${rep.key} on ${w.id}: describes ${formatValue(described)} bytes, the workload has ${w.bytes}`,
        );
      sums.push(b.kernelWalk ? checkedKernelWalk(rep, b, w) : null);
    }
    const timed = reps.flatMap((rep, i) => (built[i] === null ? [] : [{ rep, b: built[i]!, i }]));
    // The A/A controls: a representation built a second time and walked in every round beside the
    // original. Their per-round ratio is the run's measured noise floor, one per kind of walk.
    const jsFirst = timed[0];
    const kernelFirst = timed.find((t) => t.b.kernelWalk !== undefined);
    const jsControl = jsFirst === undefined ? null : jsFirst.rep.build(w.ranges);
    if (jsControl !== null) controls.push(jsControl);
    const kernelControl =
      kernelFirst === undefined
        ? null
        : kernelFirst === jsFirst
          ? jsControl
          : kernelFirst.rep.build(w.ranges);
    if (kernelControl !== null && kernelControl !== jsControl) controls.push(kernelControl);

    let sink = 0;
    const fns: (() => void)[] = [];
    const slot = (fn: () => void) => fns.push(fn) - 1;
    const jsSlots = timed.map(({ b }) =>
      slot(() => {
        sink += b.iterate();
      }),
    );
    const jsControlSlot =
      jsControl === null
        ? -1
        : slot(() => {
            sink += jsControl.iterate();
          });
    const kernelSlots = timed.map(({ b }) =>
      b.kernelWalk === undefined
        ? -1
        : slot(() => {
            sink += b.kernelWalk!().count;
          }),
    );
    const kernelControlSlot =
      kernelControl === null
        ? -1
        : slot(() => {
            sink += kernelControl.kernelWalk!().count;
          });
    const native = o.c ? cContender(o.c, timed) : null;
    if (native !== null) runners.push(native.runner);
    const cSlot = native === null ? -1 : slot(native.round);
    const buildSlots = timed.map(({ rep }) =>
      slot(() => {
        const x = rep.build(w.ranges, true);
        sink += x.entries;
        x.release?.();
      }),
    );
    const timings = interleaved(fns, o.rounds, {
      ...(o.calibrateNs !== undefined && { calibrateNs: o.calibrateNs }),
      ...(o.onRound !== undefined && { onRound: o.onRound }),
      // The C process times itself: one call per round, its own wall time is not a figure.
      ...(cSlot >= 0 && { warmCallNs: fns.map((_, k) => (k === cSlot ? Number.POSITIVE_INFINITY : 0)) }),
    });
    if (sink < 0) throw new Error("unreachable"); // keeps the timed work observable
    // More A/A pairs: a variant without merging whose lists came out identical to its merging
    // twin's (nothing was contiguous) walks the same entries in memory of its own.
    const twins = identicalTwins(timed, sums);
    const noise = worstNoise([
      ...(jsFirst === undefined || jsControlSlot < 0
        ? []
        : [noiseFloor(jsFirst.rep.key, timings[jsSlots[0]!]!, timings[jsControlSlot]!)]),
      ...twins.map(([a, b]) =>
        noiseFloor(twinName(timed, a, b), timings[jsSlots[a]!]!, timings[jsSlots[b]!]!),
      ),
    ]);
    const kernelNoise = worstNoise([
      ...(kernelFirst === undefined || kernelControlSlot < 0
        ? []
        : [
            noiseFloor(
              kernelFirst.rep.key,
              timings[kernelSlots[timed.indexOf(kernelFirst)]!]!,
              timings[kernelControlSlot]!,
            ),
          ]),
      ...twins
        .filter(([a, b]) => kernelSlots[a]! >= 0 && kernelSlots[b]! >= 0)
        .map(([a, b]) =>
          noiseFloor(twinName(timed, a, b), timings[kernelSlots[a]!]!, timings[kernelSlots[b]!]!),
        ),
    ]);
    const representations = reps.map((rep, i) => {
      const b = built[i];
      if (b === null || b === undefined) return unsupportedResult(rep, reasons[i]!);
      const t = timed.findIndex((x) => x.rep === rep);
      const jsWalk = timings[jsSlots[t]!]!;
      const kernelWalk = kernelSlots[t]! < 0 ? null : timings[kernelSlots[t]!]!;
      const build = timings[buildSlots[t]!]!;
      const sizes = listSizes(b);
      const s = sums[i] ?? null;
      return {
        id: rep.id,
        key: rep.key,
        label: rep.label,
        family: rep.family,
        merge: rep.merge,
        supported: true,
        entries: b.entries,
        bytes: b.bytes,
        bytesPerEntry: b.entries > 0 ? b.bytes / b.entries : 0,
        efficiency: b.bytes > 0 ? Math.min(1, b.payloadBytes / b.bytes) : 0,
        bytesPerMiB: w.bytes > 0 ? (b.bytes / w.bytes) * MiB : 0,
        measured: b.measured === true,
        ...(sizes !== undefined && { listSizes: sizes }),
        build,
        kernelWalk,
        jsWalk,
        buildEntriesPerSec: (b.entries / build.medianNs) * 1e9,
        kernelWalkEntriesPerSec: kernelWalk === null ? 0 : (b.entries / kernelWalk.medianNs) * 1e9,
        jsWalkEntriesPerSec: (b.entries / jsWalk.medianNs) * 1e9,
        checksum: s === null ? null : checksumOf(s),
        c: native === null ? null : native.figures(t, s, b, o.rounds),
      };
    });
    return { representations, noise, kernelNoise };
  } finally {
    for (const b of built) b?.release?.();
    for (const c of controls) c.release?.();
    for (const r of runners) r.close();
  }
}

function checksumOf(s: { count: number; lengthSum: bigint; baseSum: bigint }): KernelChecksum {
  return { count: s.count, lengthSum: s.lengthSum.toString(), baseSum: s.baseSum.toString() };
}

interface CContender {
  readonly runner: CWalkRunner;
  /** One round: the C process walks every variant once. */
  round(): void;
  /** The figures of timed representation `t` (null when it is not an rlist variant). */
  figures(t: number, s: WalkSums | null, b: Built, rounds: number): CWalkFigures | null;
}

/**
 * The C yardstick as one contender of the rounds: the rlist variants' lists written once (one set
 * per merge form, built by C at each of its chunk sizes), walked by one C process per round.
 * A figure is shown only when C's entries, chunks and checksum equal the lab's own.
 */
function cContender(
  c: { readonly binary: string },
  timed: readonly { rep: Representation; b: Built }[],
): CContender | null {
  const forms: string[] = [];
  const sets: { chunkBytes: number[]; lists: readonly RangeList[] }[] = [];
  /** Per timed representation: its [set, chunk size] position in C's output, or -1. */
  const order: number[] = timed.map(() => -1);
  let at = 0;
  const byForm = new Map<string, number[]>();
  timed.forEach(({ rep, b }, t) => {
    if (rep.family !== "rlist" || b.stores === undefined) return;
    const form = rep.key.slice(rep.id.length);
    if (!byForm.has(form)) {
      byForm.set(form, []);
      forms.push(form);
      sets.push({ chunkBytes: [], lists: b.stores });
    }
    byForm.get(form)!.push(t);
    sets[forms.indexOf(form)]!.chunkBytes.push(chunkBytesOf(rep));
  });
  if (sets.length === 0) return null;
  for (const form of forms) for (const t of byForm.get(form)!) order[t] = at++;
  const runner = new CWalkRunner(c, sets, MIN_SAMPLE_NS);
  const samples: CWalkSample[][] = [];
  let error: string | null = null;
  return {
    runner,
    round() {
      if (error !== null) return;
      try {
        const r = runner.run();
        if (r.length !== at)
          throw new RlistError("EIO", `the C yardstick printed ${r.length} results for ${at} lists`);
        samples.push(r);
      } catch (err) {
        error = (err as Error).message;
      }
    },
    figures(t, s, b, rounds) {
      const k = order[t]!;
      if (k < 0) return null;
      const mine = samples.map((r) => r[k]!);
      const first = mine[0];
      const refuse = (why: string, chunks = 0): CWalkFigures => ({
        walk: null,
        walkEntriesPerSec: 0,
        checksum: first === undefined ? null : checksumOf({ count: first.entries, ...first }),
        chunks,
        error: why,
      });
      if (error !== null || first === undefined) return refuse(error ?? "the C yardstick did not run");
      if (mine.length < rounds) return refuse(`the C yardstick ran ${mine.length} of ${rounds} rounds`);
      const chunkBytes = chunkBytesOf(timed[t]!.rep);
      const same =
        s !== null &&
        mine.every(
          (x) =>
            x.entries === s.count &&
            x.lengthSum === s.lengthSum &&
            x.baseSum === s.baseSum &&
            x.chunks * chunkBytes === b.bytes,
        );
      if (!same)
        return refuse(
          `C's chk= (${first.entries} entries, ${first.lengthSum}/${first.baseSum}, ${first.chunks} chunks) differs from the kernel walk's (${s?.count} entries, ${s?.lengthSum}/${s?.baseSum}, ${b.bytes / chunkBytes} chunks): no C figure`,
          first.chunks,
        );
      const walk = timingOf(mine.map((x) => x.walkNs));
      return {
        walk,
        walkEntriesPerSec: (b.entries / walk.medianNs) * 1e9,
        checksum: checksumOf({ count: first.entries, ...first }),
        chunks: first.chunks,
        error: null,
      };
    },
  };
}

/** The chunk size of an rlist representation ("rlist-512" -> 512). */
function chunkBytesOf(rep: Representation): number {
  return Number(rep.id.slice("rlist-".length));
}
