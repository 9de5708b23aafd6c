/**
 * 1e7 entries in one list (about 81 MB of 512-byte chunks). Takes a few seconds here, so it
 * is not skipped anywhere.
 */
import type { RangeEntry } from "@rlist/encoding";
import { expect, it } from "vitest";
import { ChunkPool, RangeList } from "../src/index.js";

it("holds 1e7 entries: count, total, memory, iteration, seek, truncate, clear", () => {
  const n = 10_000_000;
  const pool = new ChunkPool({ chunkBytes: 512 });
  const list = new RangeList({ pool });
  const e: RangeEntry = { type: 0, length: 4096, base: 0, offset: 0, extra: 0 };
  for (let i = 0; i < n; i++) {
    e.type = i & 3;
    e.base = (i * 2654435761) >>> 0;
    list.append(e);
  }
  expect(list.count).toBe(n);
  expect(list.totalLength).toBe(n * 4096);
  const st = list.stats();
  expect(st.chunks).toBe(Math.ceil(n / 63));
  expect(st.bytesPerEntry).toBeLessThan(8.2);
  expect(pool.stats().chunksInUse).toBe(st.chunks);

  const c = list.cursor();
  let i = 0;
  let bad = 0;
  for (let ok = c.reset(); ok; ok = c.next()) {
    if (c.base !== (i * 2654435761) >>> 0 || c.type !== (i & 3)) bad++;
    i++;
  }
  expect(bad).toBe(0);
  expect(i).toBe(n);
  for (const k of [0, 1, 62, 63, 4_999_999, n - 1]) {
    expect(c.seek(k * 4096 + 17)).toBe(true);
    expect(c.index).toBe(k);
    expect(c.base).toBe((k * 2654435761) >>> 0);
  }
  list.truncate(n / 2);
  expect(list.count).toBe(n / 2);
  expect(c.seek((n / 2) * 4096)).toBe(false);
  list.clear();
  expect(pool.stats().chunksInUse).toBe(0);
}, 120_000);
