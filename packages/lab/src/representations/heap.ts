import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { checkFunction } from "../args.js";

let cached: (() => void) | null | undefined;

/**
 * The V8 `gc()` function, enabled at run time (the same as starting node with
 * `--expose-gc`), or null if this runtime refuses. Measuring heap growth needs it: without a
 * forced collection, garbage from earlier work would be counted.
 */
export function forcedGc(): (() => void) | null {
  if (cached !== undefined) return cached;
  const global = (globalThis as { gc?: () => void }).gc;
  if (typeof global === "function") {
    cached = global;
    return cached;
  }
  try {
    setFlagsFromString("--expose-gc");
    const fn = runInNewContext("gc") as unknown;
    cached = typeof fn === "function" ? (fn as () => void) : null;
  } catch {
    cached = null;
  }
  return cached;
}

/**
 * Heap bytes retained by what `make` returns: forced GC, heapUsed before, build, forced GC,
 * heapUsed after. Null when no GC can be forced (the caller then labels its figure an estimate).
 */
export function measureRetainedHeap<T>(make: () => T): { value: T; bytes: number } | null {
  checkFunction("make", make);
  const gc = forcedGc();
  if (gc === null) return null;
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const value = make();
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  return { value, bytes: Math.max(0, after - before) };
}
