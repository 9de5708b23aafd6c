import { optionalBoolean } from "../args.js";
import { checkRangeSet, type RangeSet } from "../workloads/range-set.js";
import { measureRetainedHeap } from "./heap.js";
import { bvecMergeRule, forEachMerged } from "./merge.js";
import { ADDRESS_SINK, type Built, type Representation } from "./types.js";

/** The decoded entry a JavaScript programmer would keep: one object per contiguous run. */
export interface JsEntry {
  type: number;
  base: number;
  offset: number;
  length: number;
  extra: number;
}

/**
 * Used only when the heap cannot be measured, and labelled an estimate: a lower bound for a
 * 5-property object with pointer compression (12-byte header + 5 x 4-byte fields), a 12-byte
 * HeapNumber for a base that is not a small integer, and a 4-byte array slot. Measured heaps
 * come out well above it (array growth slack, boxed double fields).
 */
export const JS_ENTRY_ESTIMATE_BYTES = 12 + 5 * 4 + 12 + 4;

/** Payload of one entry if stored densely: the prototype's decoded rlist_entry is 24 bytes. */
const DENSE_ENTRY_BYTES = 24;

function buildLists(set: RangeSet): JsEntry[][] {
  const lists: JsEntry[][] = [];
  for (let g = 0; g < set.groups; g++) {
    const list: JsEntry[] = [];
    forEachMerged(set, g, bvecMergeRule, Number.MAX_SAFE_INTEGER, (first, phys, length) => {
      const provider = set.provider[first]!;
      list.push({
        type: provider >= 0 ? 1 : 0,
        base: phys,
        offset: 0,
        length,
        extra: Math.max(provider, 0),
      });
    });
    lists.push(list);
  }
  return lists;
}

class JsLists implements Built {
  readonly entries: number;
  readonly bytes: number;
  readonly payloadBytes: number;
  readonly measured: boolean;
  readonly #lists: JsEntry[][];

  constructor(set: RangeSet, measure: boolean) {
    const m = measure ? measureRetainedHeap(() => buildLists(set)) : null;
    this.#lists = m?.value ?? buildLists(set);
    let n = 0;
    for (const l of this.#lists) n += l.length;
    this.entries = n;
    // A few hundred objects can vanish in the heap's own noise: then the estimate, labelled so.
    const usable = m !== null && m.bytes >= n * 16;
    this.measured = usable;
    this.bytes = usable ? m.bytes : n * JS_ENTRY_ESTIMATE_BYTES;
    this.payloadBytes = n * DENSE_ENTRY_BYTES;
  }

  iterate(): number {
    let total = 0;
    let addr = 0;
    for (const list of this.#lists) {
      for (const e of list) {
        addr += e.base;
        total += e.length;
      }
    }
    ADDRESS_SINK[0]! += addr;
    return total;
  }
}

export const jsObjects: Representation = {
  id: "js-objects",
  key: "js-objects",
  family: "js-objects",
  merge: true,
  label: "plain JS objects",
  accounting:
    "one {type, base, offset, length, extra} object per physically contiguous run in a JS array, heap growth measured with forced GC (V8 heap statistics); an estimate, labelled so, if GC cannot be forced. Efficiency is against a dense 24-byte entry.",
  unsupported: (set) => {
    checkRangeSet("range set", set);
    return null;
  },
  build: (set, forTiming) => {
    checkRangeSet("range set", set);
    return new JsLists(set, !optionalBoolean("forTiming", forTiming, false));
  },
};
