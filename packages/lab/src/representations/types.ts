import { formatValue, RlistError } from "@rlist/encoding";
import type { RangeList } from "@rlist/list";
import { checkFinite, checkFunction, checkInteger, checkObject, checkOneOf, checkString } from "../args.js";
import type { WalkSums } from "../kernels/memory.js";
import type { RangeSet } from "../workloads/range-set.js";

/** Representations compared by the study, in report order. */
export const REPRESENTATION_IDS = [
  "rlist-128",
  "rlist-512",
  "rlist-4096",
  "fixed16",
  "bio_vec",
  "bio_vec-page",
  "scatterlist",
  "page-array",
  "js-objects",
] as const;
export type RepresentationId = (typeof REPRESENTATION_IDS)[number];

/** Families share a colour (in shades) in the report: the chunk sizes of the rlist are one family. */
export const REPRESENTATION_FAMILIES = [
  "rlist",
  "fixed16",
  "bio_vec",
  "scatterlist",
  "page-array",
  "js-objects",
] as const;
export type RepresentationFamily = (typeof REPRESENTATION_FAMILIES)[number];

/**
 * Where iterators add the addresses they read, so a walk does what a driver's does (read
 * address and length of every entry) and the JIT cannot drop the address reads.
 */
export const ADDRESS_SINK = new Float64Array(1);

/** A representation built from one workload's ranges. */
export interface Built {
  /** Entries stored (after whatever merging the representation does). */
  readonly entries: number;
  /** Bytes the entries occupy: chunks, arrays, chained pages, or measured heap. */
  readonly bytes: number;
  /** Bytes of entry records inside `bytes` (the rest is headers, chain slots, padding, slack). */
  readonly payloadBytes: number;
  /** True when `bytes` was measured (heap) rather than counted from the layout. */
  readonly measured?: boolean;
  /**
   * Walks every entry with the representation's own iterator, reading its address (summed
   * into {@link ADDRESS_SINK}) and length; returns the bytes described.
   */
  iterate(): number;
  /**
   * Walks every list with a WebAssembly kernel, one call per list (assembly/walks.ts, or the
   * rlist's `RangeList#checksum()`): the entries, and their lengths and addresses summed mod 2^64,
   * the same work per entry for every representation. Absent for plain JS objects.
   */
  kernelWalk?(): WalkSums;
  /** The kernel walk's plain TypeScript reference, reading the same bytes (for the tests). */
  referenceWalk?(): WalkSums;
  /** The rlist's lists, one RangeList per list (what the C yardstick rebuilds). */
  readonly stores?: readonly RangeList[];
  /** Returns chunks or memory for reuse, if the representation has any; walk it no more after. */
  release?(): void;
  /** Per list (chunked representations): entries and bytes, for the list-size classes. */
  readonly lists?: { readonly entries: Uint32Array; readonly bytes: Float64Array };
}

/** `EINVAL` unless `rep` is a {@link Representation}: its names, merge setting and two functions. */
export function checkRepresentation(what: string, rep: unknown): asserts rep is Representation {
  checkObject(what, rep);
  const r = rep as Partial<Representation>;
  checkOneOf(`${what}.id`, r.id, REPRESENTATION_IDS);
  checkOneOf(`${what}.family`, r.family, REPRESENTATION_FAMILIES);
  for (const k of ["key", "label", "accounting"] as const) checkString(`${what}.${k}`, r[k]);
  if (r.merge !== null && typeof r.merge !== "boolean")
    throw new RlistError("EINVAL", `${what}.merge must be a boolean or null, got ${formatValue(r.merge)}`);
  checkFunction(`${what}.unsupported`, r.unsupported);
  checkFunction(`${what}.build`, r.build);
}

/** `EINVAL` unless what `rep.build()` returned is a {@link Built} (a representation's own bug otherwise). */
export function checkBuilt(what: string, b: unknown): asserts b is Built {
  checkObject(what, b);
  const x = b as Partial<Built>;
  checkInteger(`${what}.entries`, x.entries);
  checkFinite(`${what}.bytes`, x.bytes, 0);
  checkFinite(`${what}.payloadBytes`, x.payloadBytes, 0);
  checkFunction(`${what}.iterate`, x.iterate);
  for (const k of ["kernelWalk", "referenceWalk", "release"] as const)
    if (x[k] !== undefined) checkFunction(`${what}.${k}`, x[k]);
}

export interface Representation {
  readonly id: RepresentationId;
  /** Unique per variant: the id, with "/no-merge" for the variant that does not merge. */
  readonly key: string;
  readonly family: RepresentationFamily;
  /** Merges contiguous ranges (true), keeps one entry per input range (false), has no choice (null). */
  readonly merge: boolean | null;
  readonly label: string;
  /** How the bytes are counted, for the report. */
  readonly accounting: string;
  /** Null when this representation can hold `set`; otherwise why not. */
  unsupported(set: RangeSet): string | null;
  /**
   * Builds it. `forTiming` builds are timed in a loop, so they skip any one-off measurement
   * (forced GCs for the heap) and may report estimated bytes.
   */
  build(set: RangeSet, forTiming?: boolean): Built;
}
