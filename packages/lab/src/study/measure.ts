import type {
  Built,
  Representation,
  RepresentationFamily,
  RepresentationId,
} from "../representations/types.js";
import type { Workload } from "../workloads/workload.js";
import { interleaved, type NoiseFloor, noiseFloor, type Timing } from "./timing.js";

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
  /** Walk of every entry with the representation's own iterator, per call (null when unsupported). */
  readonly walk: Timing | null;
  /** entries / median build time. */
  readonly buildEntriesPerSec: number;
  /** entries / median walk time. */
  readonly walkEntriesPerSec: number;
}

export interface MeasureOptions {
  /** Interleaved timing rounds (every representation once per round). */
  readonly rounds: number;
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
    walk: null,
    buildEntriesPerSec: 0,
    walkEntriesPerSec: 0,
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

/**
 * Builds every representation of the workload once (sizes are exact), checks that each one
 * describes exactly the workload's bytes, then times walk and build of all of them side by side
 * in interleaved rounds ({@link interleaved}). A mismatch is a bug in a representation and
 * throws: a figure for the wrong input is worse than none.
 */
export function measureAll(
  reps: readonly Representation[],
  w: Workload,
  o: MeasureOptions,
): { representations: RepresentationResult[]; noise: NoiseFloor | null } {
  const built: (Built | null)[] = [];
  let control: Built | null = null;
  try {
    const reasons = reps.map((rep) => rep.unsupported(w.ranges));
    for (const [i, rep] of reps.entries()) {
      if (reasons[i] !== null) {
        built.push(null);
        continue;
      }
      const b = rep.build(w.ranges);
      built.push(b);
      const described = b.iterate();
      if (described !== w.bytes)
        throw new Error(`${rep.key} on ${w.id}: describes ${described} bytes, the workload has ${w.bytes}`);
    }
    const timed = reps.flatMap((rep, i) => (built[i] === null ? [] : [{ rep, b: built[i]! }]));
    // The A/A control: the first timed representation built a second time and walked in every
    // round beside the original. Their per-round ratio is the run's measured noise floor.
    const first = timed[0];
    control = first === undefined ? null : first.rep.build(w.ranges);
    let sink = 0;
    const fns: (() => void)[] = [];
    for (const { b } of timed)
      fns.push(() => {
        sink += b.iterate();
      });
    const c = control;
    if (c !== null)
      fns.push(() => {
        sink += c.iterate();
      });
    for (const { rep } of timed)
      fns.push(() => {
        const x = rep.build(w.ranges, true);
        sink += x.entries;
        x.release?.();
      });
    const timings = interleaved(fns, o.rounds, {
      ...(o.calibrateNs !== undefined && { calibrateNs: o.calibrateNs }),
      ...(o.onRound !== undefined && { onRound: o.onRound }),
    });
    if (sink < 0) throw new Error("unreachable"); // keeps the timed work observable
    const controlWalk = c === null ? null : timings[timed.length]!;
    const builds = c === null ? timed.length : timed.length + 1;
    const noise =
      controlWalk === null || first === undefined
        ? null
        : noiseFloor(first.rep.key, timings[0]!, controlWalk);
    const representations = reps.map((rep, i) => {
      const b = built[i];
      if (b === null || b === undefined) return unsupportedResult(rep, reasons[i]!);
      const t = timed.findIndex((x) => x.rep === rep);
      const walk = timings[t]!;
      const build = timings[builds + t]!;
      const sizes = listSizes(b);
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
        walk,
        buildEntriesPerSec: (b.entries / build.medianNs) * 1e9,
        walkEntriesPerSec: (b.entries / walk.medianNs) * 1e9,
      };
    });
    return { representations, noise };
  } finally {
    for (const b of built) b?.release?.();
    control?.release?.();
  }
}
