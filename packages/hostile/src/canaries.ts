/**
 * Deliberately broken entry points, one per defect class, so the harness's own test can prove
 * it tells them apart (a suite that cannot fail proves nothing). They are in the registry under
 * `canary:` names and never part of a normal run.
 */
import { RlistError } from "@rlist/encoding";
import type { Api } from "./api.js";
import { nat } from "./kinds.js";

const state = { value: 0 };

const canary = (name: string, call: (x: unknown) => unknown): Api => ({
  name: `canary:${name}`,
  kind: "function",
  params: [nat],
  valid: () => [1],
  call: (_w, _r, args) => call(args[0]),
  receiver: () => undefined,
});

export const CANARIES: readonly Api[] = [
  /** Checks its argument: typed errors only. */
  canary("careful", (x) => {
    if (!Number.isSafeInteger(x) || (x as number) < 0) throw new RlistError("EINVAL", "not a count");
    return x;
  }),
  /** Accepts anything: NaN and Symbols pass (silent). */
  canary("silent", (x) => x),
  /** Does arithmetic on what it gets: a Symbol or a bigint throws a TypeError (other). */
  canary("type-error", (x) => (x as number) + 1),
  /** Loops forever on a non-integer (hang). */
  canary("hang", (x) => {
    if (!Number.isInteger(x)) for (;;) state.value++;
    return x;
  }),
  /** Grows the heap without bound when given a string (crash: out of memory). */
  canary("crash", (x) => {
    if (typeof x === "string") {
      const hog: number[][] = [];
      for (;;) hog.push(new Array(1 << 16).fill(1.5));
    }
    return x;
  }),
  /** Changes its state, then refuses (state change on failure). */
  {
    ...canary("state", () => undefined),
    call: (w, _r, args) => {
      const pool = w.pool;
      const x = args[0];
      pool.alloc();
      if (!Number.isSafeInteger(x)) throw new RlistError("EINVAL", "refused after allocating");
      return x;
    },
    valid: (w) => {
      void w.pool;
      return [1];
    },
  },
];
