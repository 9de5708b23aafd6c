import type { Built, Representation, RepresentationId } from "../representations/types.js";
import type { Workload } from "../workloads/workload.js";
import { bestOf } from "./timing.js";

/** Figures for one representation holding one workload. */
export interface RepresentationResult {
  readonly id: RepresentationId;
  readonly label: string;
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
  /** Best-of-N build time (from the neutral ranges), ns. */
  readonly buildNs: number;
  /** Best-of-N time to walk every entry with the representation's own iterator, ns. */
  readonly iterateNs: number;
  /** entries / iterate time. */
  readonly iterateEntriesPerSec: number;
  /** bytes described / iterate time. */
  readonly iterateBytesPerSec: number;
  /** entries / build time. */
  readonly buildEntriesPerSec: number;
}

export interface MeasureOptions {
  /** Timing runs per figure (best is kept). */
  readonly runs: number;
  /** Time budget per timed figure, ns. */
  readonly budgetNs: number;
}

const MiB = 1024 * 1024;

function unsupportedResult(rep: Representation, reason: string): RepresentationResult {
  return {
    id: rep.id,
    label: rep.label,
    supported: false,
    reason,
    entries: 0,
    bytes: 0,
    bytesPerEntry: 0,
    efficiency: 0,
    bytesPerMiB: 0,
    measured: false,
    buildNs: 0,
    iterateNs: 0,
    iterateEntriesPerSec: 0,
    iterateBytesPerSec: 0,
    buildEntriesPerSec: 0,
  };
}

/**
 * Builds `rep` from the workload once for its sizes, checks that it describes exactly the
 * workload's bytes, then times build and iterate. A mismatch is a bug in a representation and
 * throws: a figure for the wrong input is worse than none.
 */
export function measure(rep: Representation, w: Workload, o: MeasureOptions): RepresentationResult {
  const why = rep.unsupported(w.ranges);
  if (why !== null) return unsupportedResult(rep, why);
  const built = rep.build(w.ranges);
  const described = built.iterate();
  if (described !== w.bytes) {
    built.release?.();
    throw new Error(`${rep.id} on ${w.id}: describes ${described} bytes, the workload has ${w.bytes}`);
  }
  let sink = 0;
  const iterateNs = Math.max(
    1,
    bestOf(o.runs, o.budgetNs, () => {
      sink += built.iterate();
    }),
  );
  const { entries, bytes, payloadBytes } = built;
  const measured = built.measured === true;
  built.release?.();
  const buildNs = Math.max(
    1,
    bestOf(o.runs, o.budgetNs, () => {
      const b: Built = rep.build(w.ranges, true);
      sink += b.entries;
      b.release?.();
    }),
  );
  if (sink < 0) throw new Error("unreachable"); // keeps the timed work observable
  return {
    id: rep.id,
    label: rep.label,
    supported: true,
    entries,
    bytes,
    bytesPerEntry: entries > 0 ? bytes / entries : 0,
    efficiency: bytes > 0 ? Math.min(1, payloadBytes / bytes) : 0,
    bytesPerMiB: w.bytes > 0 ? (bytes / w.bytes) * MiB : 0,
    measured,
    buildNs,
    iterateNs,
    iterateEntriesPerSec: (entries / iterateNs) * 1e9,
    iterateBytesPerSec: (w.bytes / iterateNs) * 1e9,
    buildEntriesPerSec: (entries / buildNs) * 1e9,
  };
}
