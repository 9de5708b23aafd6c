/** Simple reference models and generators shared by the property tests. */
import fc from "fast-check";
import type { Bio, BioVec, QueueLimits } from "../src/index.js";
import { BioSegmentCursor, BvecCursor, PAGE_SIZE } from "../src/index.js";

export type Run = [phys: number, len: number];

/** Appends a run, merging it with the previous one when contiguous; drops empty runs. */
export function pushRun(out: Run[], phys: number, len: number): void {
  if (len === 0) return;
  const last = out[out.length - 1];
  if (last !== undefined && last[0] + last[1] === phys) last[1] += len;
  else out.push([phys, len]);
}

/** The physical bytes a (vecs, idx, done, size) iterator covers, by plain arithmetic. */
export function refRuns(vecs: readonly BioVec[], idx: number, done: number, size: number): Run[] {
  const out: Run[] = [];
  let left = size;
  for (let i = idx; left > 0 && i < vecs.length; i++) {
    const v = vecs[i]!;
    const skip = i === idx ? done : 0;
    const take = Math.min(left, v.len - skip);
    pushRun(out, v.page * PAGE_SIZE + v.offset + skip, take);
    left -= take;
  }
  if (left > 0) throw new Error("reference: size runs past the bvecs");
  return out;
}

/** The bytes of a bio (or its chain) as seen through the multi-page cursor. */
export function bvecRuns(bio: Bio, chain = false): Run[] {
  const out: Run[] = [];
  const c = new BvecCursor();
  for (let ok = c.reset(bio, chain); ok; ok = c.next()) pushRun(out, c.phys, c.len);
  return out;
}

/** The bytes of a bio (or its chain) as seen through the single-page cursor. */
export function segmentRuns(bio: Bio, chain = false): Run[] {
  const out: Run[] = [];
  const c = new BioSegmentCursor();
  for (let ok = c.reset(bio, chain); ok; ok = c.next()) pushRun(out, c.phys, c.len);
  return out;
}

/** Multi-page views (phys, in-bvec offset, len) of a bio, in order. */
export function bvecViews(bio: Bio): { phys: number; offset: number; len: number }[] {
  const out: { phys: number; offset: number; len: number }[] = [];
  const c = new BvecCursor();
  for (let ok = c.reset(bio); ok; ok = c.next()) out.push({ phys: c.phys, offset: c.offset, len: c.len });
  return out;
}

const low = (x: number, mask: number) => x % (mask + 1);

/** Greedy segments of one range under the segment boundary and max size. */
export function refSegments(lim: QueueLimits, phys: number, len: number): number[] {
  const segs: number[] = [];
  let done = 0;
  while (done < len) {
    const p = phys + done;
    const seg = Math.min(
      len - done,
      lim.segBoundaryMask - low(p, lim.segBoundaryMask) + 1,
      lim.maxSegmentSize,
    );
    segs.push(seg);
    done += seg;
  }
  return segs;
}

/**
 * Reference for where a bio must be split: the longest prefix (bytes) meeting the limits, counted
 * greedily segment by segment; Infinity when the whole bio fits.
 */
export function refMaxPrefix(
  views: readonly { phys: number; offset: number; len: number }[],
  lim: QueueLimits,
  maxBytes: number,
): number {
  const vbm = lim.virtBoundaryMask;
  let bytes = 0;
  let segs = 0;
  let prevEnd = -1;
  for (const v of views) {
    if (prevEnd >= 0 && vbm !== 0 && (low(v.offset, vbm) !== 0 || low(prevEnd, vbm) !== 0)) return bytes;
    let done = 0;
    while (done < v.len) {
      if (segs === lim.maxSegments || bytes === maxBytes) return bytes;
      const p = v.phys + done;
      const seg = Math.min(
        v.len - done,
        lim.segBoundaryMask - low(p, lim.segBoundaryMask) + 1,
        lim.maxSegmentSize,
        maxBytes - bytes,
      );
      segs++;
      done += seg;
      bytes += seg;
      if (vbm !== 0 && low(v.offset + done, vbm) !== 0 && done < v.len) return bytes;
    }
    prevEnd = v.offset + v.len;
  }
  return Number.POSITIVE_INFINITY;
}

/** Random bvecs: multi-page offsets, odd lengths, a small PFN range so some are contiguous. */
export const arbVecs = (opts: { minLen?: number; maxLen?: number; maxVecs?: number } = {}) =>
  fc.array(
    fc.record({
      page: fc.integer({ min: 0, max: 64 }),
      offset: fc.oneof(
        fc.constant(0),
        fc.integer({ min: 0, max: 3 }).map((k) => k * 4096),
        fc.nat(12287),
      ),
      len: fc.oneof(
        fc.integer({ min: 1, max: 4 }).map((k) => k * 4096),
        fc.integer({ min: 1, max: 24 }).map((k) => k * 512),
        fc.integer({ min: opts.minLen ?? 0, max: opts.maxLen ?? 20000 }),
      ),
    }),
    { minLength: 1, maxLength: opts.maxVecs ?? 12 },
  );

/** Index of the first differing byte, -1 when equal (deep toEqual on big arrays is slow). */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
