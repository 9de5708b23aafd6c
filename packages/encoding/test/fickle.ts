/**
 * Entries whose fields are getters that count their reads and may answer differently each time:
 * the read-once tests use them to prove an entry point reads every field exactly once, so a
 * getter cannot get one value past validation and another into storage.
 */

export interface Fickle<T> {
  /** The entry to pass in (its fields are getters). */
  entry: T;
  /** Reads so far, per field. */
  reads: Record<string, number>;
}

/**
 * Field `f` answers `first[f]` on its first read and `later[f]` (if given) on every read after.
 */
export function fickle<T extends object>(first: T, later: Partial<Record<keyof T, unknown>> = {}): Fickle<T> {
  const reads: Record<string, number> = {};
  const entry = {} as T;
  for (const key of Object.keys(first)) {
    reads[key] = 0;
    Object.defineProperty(entry, key, {
      enumerable: true,
      get() {
        const n = reads[key]!++;
        return n === 0 || !(key in later) ? first[key as keyof T] : later[key as keyof T];
      },
    });
  }
  return { entry, reads };
}

/** Values for each field that fail validation (used as the "later" answers). */
export const HOSTILE_NUMBER = { type: 7, length: -1, base: 2 ** 64, offset: -1, extra: 2 ** 32 + 5 };
export const HOSTILE_BIG = { type: 7, length: 1n << 61n, base: -1n, offset: -1, extra: 2 ** 32 + 5 };
