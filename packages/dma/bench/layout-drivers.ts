/**
 * The measured loops of the layout A/B benchmark (bench/layout.ts): the hot paths that read or
 * write entry words, written against the public APIs of `@rlist/encoding`, `@rlist/list` and
 * `@rlist/dma` only. scripts/bench-baseline.ts compiles this module into each side's bundle, so
 * each side gets its own copy of every loop. Each workload returns a checksum of what it read, so
 * no side can skip work and both sides can be compared for equal results.
 */

import { CpuRangeList, PhysicalMemory } from "@rlist/dma";
import { type RangeEntry, variableCodec } from "@rlist/encoding";
import { RangeList } from "@rlist/list";

/** Entries of the three forms, from plain arrays (the same inputs for both sides). */
export interface Inputs {
  type: Uint8Array;
  length: Float64Array;
  base: Float64Array;
  offset: Float64Array;
  extra: Float64Array;
}

const entry = (): RangeEntry => ({ type: 0, length: 0, base: 0, offset: 0, extra: 0 });

/** variableCodec.encode of every entry into one array; returns the units written. */
export function encodeAll(inp: Inputs, words: Uint32Array): number {
  const e = entry();
  let at = 0;
  for (let i = 0; i < inp.type.length; i++) {
    e.type = inp.type[i]!;
    e.length = inp.length[i]!;
    e.base = inp.base[i]!;
    e.offset = inp.offset[i]!;
    e.extra = inp.extra[i]!;
    at += variableCodec.encode(words, at, e);
  }
  return at;
}

/** variableCodec.decode of every entry of `words[0 .. units)`; returns a checksum. */
export function decodeAll(words: Uint32Array, units: number): number {
  const e = entry();
  let sum = 0;
  for (let at = 0; at < units; ) {
    at += variableCodec.decode(words, at, e);
    sum += e.length + e.base + e.offset + e.extra + e.type;
  }
  return sum;
}

/** A fresh 4 KiB-chunk list with every entry appended (gaps between bases: nothing merges). */
export function appendAll(inp: Inputs): RangeList {
  const list = new RangeList({ chunkBytes: 4096 });
  const e = entry();
  for (let i = 0; i < inp.type.length; i++) {
    e.type = inp.type[i]!;
    e.length = inp.length[i]!;
    e.base = inp.base[i]!;
    e.offset = inp.offset[i]!;
    e.extra = inp.extra[i]!;
    list.append(e);
  }
  return list;
}

/** The public-cursor walk reading every field. */
export function iterate(list: RangeList): number {
  const c = list.cursor();
  let sum = 0;
  for (let ok = c.reset(); ok; ok = c.next()) sum += c.length + c.base + c.offset + c.extra + c.type;
  return sum;
}

/** `seek` to each of `targets` (byte positions); returns a checksum of the landed entries. */
export function seekAll(list: RangeList, targets: Float64Array): number {
  const c = list.cursor();
  let sum = 0;
  for (let i = 0; i < targets.length; i++) if (c.seek(targets[i]!)) sum += c.index + c.base;
  return sum;
}

/** A CPU range list of one page per pfn (RAM from 4 GiB up, every address above 2^32). */
export function cpuPages(pfns: Float64Array): CpuRangeList {
  const memory = new PhysicalMemory({ regions: [{ start: 2 ** 32, size: 2 ** 38, kind: "ram" }] });
  return CpuRangeList.fromPfns(memory, pfns);
}

/** The DMA layer's CPU entry cursor: `phys` + `length` of every entry. */
export function cpuWalk(list: CpuRangeList): number {
  const c = list.cursor();
  let sum = 0;
  for (let ok = c.reset(); ok; ok = c.next()) sum += c.phys + c.length;
  return sum;
}

/** CPU entry cursor `seek` to each of `targets`. */
export function cpuSeekAll(list: CpuRangeList, targets: Float64Array): number {
  const c = list.cursor();
  let sum = 0;
  for (let i = 0; i < targets.length; i++) if (c.seek(targets[i]!)) sum += c.phys;
  return sum;
}

/**
 * `PhysicalMemory#pgmapIdOf` of every pfn: the public per-page lookup (bvec's adapters and bios
 * call it once per page), checked at the boundary since the hostile-input suite's last marks.
 */
export function pgmapIds(list: CpuRangeList, pfns: Float64Array): number {
  const memory = list.memory;
  let sum = 0;
  for (let i = 0; i < pfns.length; i++) sum += memory.pgmapIdOf(pfns[i]!) + 1;
  return sum;
}

/** `PhysicalMemory#rangePgmapId` of every pfn, one page each (the public form of the append lookup). */
export function rangePgmapIds(list: CpuRangeList, pfns: Float64Array): number {
  const memory = list.memory;
  let sum = 0;
  for (let i = 0; i < pfns.length; i++) sum += memory.rangePgmapId(pfns[i]!, 1) + 1;
  return sum;
}
