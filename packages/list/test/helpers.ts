/**
 * Test helpers: a full structural check of a list's internals, and snapshots to prove a
 * failing call left a list exactly as it was.
 */
import type { RangeEntryBig } from "@rlist/encoding";
import { expect } from "vitest";
import { HDR_NEXT, HDR_USED, HEADER_UNITS, NIL, type RangeList } from "../src/index.js";
import type { Model } from "./model.js";
import { layout } from "./model.js";

/**
 * Walks the chunks through their header links and checks them against the side index and
 * the tail state: links, used units, END markers, entry tiling, positions, first indices,
 * count and total.
 */
export function checkInvariants(list: RangeList): void {
  const ix = list._ix;
  const pool = list.pool;
  const cap = list.unitsPerChunk;
  const raw = { type: 0, lenLo: 0, lenHi: 0, baseLo: 0, baseHi: 0, offset: 0, extra: 0 };
  let count = 0;
  let total = 0n;
  let lastAt = -1;
  let used = cap;
  for (let k = 0; k < ix.length; k++) {
    const id = ix.ids[k] as number;
    const w = pool.words(id);
    const hdr = pool.wordBase(id);
    expect(w[hdr + HDR_NEXT]).toBe(k + 1 < ix.length ? ix.ids[k + 1] : NIL);
    used = w[hdr + HDR_USED] as number;
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(cap);
    expect(ix.first[k]).toBe(count);
    expect(ix.posExact(k)).toBe(total);
    expect(ix.pos[k]).toBe(Number(total));
    let at = 0;
    while (at < used) {
      const units = list._read(w, hdr + HEADER_UNITS + at, raw);
      expect(units).toBeGreaterThan(0);
      lastAt = at;
      at += units;
      count++;
      total += (BigInt(raw.lenHi) << 28n) | BigInt(raw.lenLo);
    }
    expect(at).toBe(used);
    if (used < cap) expect(w[hdr + HEADER_UNITS + used]).toBe(3);
    if (k === ix.length - 1) {
      // The list's tail view may predate growth of the pool's memory: it must still see the chunk.
      expect(list._tw.buffer.byteLength).toBeGreaterThan(hdr + HEADER_UNITS);
      expect(list._tw[hdr + HDR_USED]).toBe(used);
      expect(list._tw[hdr + HDR_NEXT]).toBe(NIL);
      expect(list._tBase).toBe(hdr);
    }
  }
  expect(list._tUsed).toBe(ix.length === 0 ? cap : used);
  expect(list._lastAt).toBe(ix.length === 0 ? -1 : lastAt);
  expect(list.count).toBe(count);
  expect(list.totalLengthBig).toBe(total);
  expect(list.isEmpty).toBe(count === 0);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) expect(ix.posBig).not.toBeNull();
}

/** Checks `list` holds exactly the model's entries, in the model's chunk layout. */
export function checkAgainst(list: RangeList, model: Model): void {
  checkInvariants(list);
  expect(list.toArrayBig()).toEqual(model.entries);
  const used = layout(model.codec, model.chunkBytes, model.entries);
  expect(list.chunkCount).toBe(used.length);
  for (let k = 0; k < used.length; k++) {
    const id = list._ix.ids[k] as number;
    expect(list.pool.words(id)[list.pool.wordBase(id) + HDR_USED]).toBe(used[k]);
  }
}

export interface Snapshot {
  bytes: Uint8Array;
  count: number;
  total: bigint;
  chunks: number;
  reserved: number;
  inUse: number;
  entries: RangeEntryBig[];
}

export function snapshot(list: RangeList): Snapshot {
  return {
    bytes: list.toBytes(),
    count: list.count,
    total: list.totalLengthBig,
    chunks: list.chunkCount,
    reserved: list.reservedChunks,
    inUse: list.pool.stats().chunksInUse,
    entries: list.toArrayBig(),
  };
}

export function expectSnapshot(list: RangeList, s: Snapshot): void {
  const now = snapshot(list);
  expect(now.count).toBe(s.count);
  expect(now.total).toBe(s.total);
  expect(now.chunks).toBe(s.chunks);
  expect(now.reserved).toBe(s.reserved);
  expect(now.inUse).toBe(s.inUse);
  expect(now.entries).toEqual(s.entries);
  expect(Buffer.from(now.bytes).equals(Buffer.from(s.bytes))).toBe(true);
  checkInvariants(list);
}

/**
 * An entry whose fields are getters that count their reads: field `f` answers `first[f]` on its
 * first read and `later[f]` on every read after (to catch an entry point that validates one read
 * and stores another).
 */
export function fickleEntry<T extends object>(
  first: T,
  later: Partial<Record<keyof T, unknown>>,
): { entry: T; reads: Record<string, number> } {
  const reads: Record<string, number> = {};
  const entry = {} as T;
  for (const key of Object.keys(first)) {
    reads[key] = 0;
    Object.defineProperty(entry, key, {
      enumerable: true,
      get() {
        const n = (reads[key] as number) + 1;
        reads[key] = n;
        return n === 1 || !(key in later) ? first[key as keyof T] : later[key as keyof T];
      },
    });
  }
  return { entry, reads };
}
