/**
 * The hostile values: what a demanding caller passes where the API expects something else.
 * Each is made fresh per use (an API may write into an object it is given). Values that run user
 * code (throwing getters, traps, conversions) throw {@link Sentinel}, so the harness can tell the
 * caller's own exception passed through from an error the library made.
 */

/** The exception hostile getters, traps and conversions throw. */
export class Sentinel extends Error {
  constructor() {
    super("hostile sentinel");
    this.name = "Sentinel";
  }
}

const throwSentinel = (): never => {
  throw new Sentinel();
};

/** A Proxy whose every trap throws the sentinel. */
function trapAll(target: object): object {
  return new Proxy(target, {
    get: throwSentinel,
    set: throwSentinel,
    has: throwSentinel,
    ownKeys: throwSentinel,
    getOwnPropertyDescriptor: throwSentinel,
    getPrototypeOf: throwSentinel,
    defineProperty: throwSentinel,
    deleteProperty: throwSentinel,
    apply: throwSentinel,
    construct: throwSentinel,
  });
}

export interface HostileValue {
  /** Short name for the table and for replaying a case (`nan`, `sym`, `2^64`). */
  readonly id: string;
  make(): unknown;
}

const v = (id: string, make: () => unknown): HostileValue => ({ id, make });

/** Every hostile value, in a fixed order (a case names one by index). */
export const HOSTILE: readonly HostileValue[] = [
  v("NaN", () => Number.NaN),
  v("+Inf", () => Number.POSITIVE_INFINITY),
  v("-Inf", () => Number.NEGATIVE_INFINITY),
  v("-0", () => -0),
  v("0", () => 0),
  v("0.5", () => 0.5),
  v("-1", () => -1),
  v("-0.5", () => -0.5),
  v("2^31", () => 2 ** 31),
  v("2^32-1", () => 2 ** 32 - 1),
  v("2^32", () => 2 ** 32),
  v("2^53-1", () => 2 ** 53 - 1),
  v("2^53+1", () => 2 ** 53 + 2), // 2^53+1 is not a double: the next one up
  v("2^64", () => 2 ** 64),
  v("1e300", () => 1e300),
  v("1n", () => 1n),
  v("-1n", () => -1n),
  v("2n^53+1", () => 2n ** 53n + 1n),
  v("2n^64-1", () => 2n ** 64n - 1n),
  v("2n^64", () => 2n ** 64n),
  v("2n^128", () => 2n ** 128n),
  v('""', () => ""),
  v('"16"', () => "16"),
  v('"0x10"', () => "0x10"),
  v('"x"*1e5', () => "x".repeat(100_000)),
  v("null", () => null),
  v("undefined", () => undefined),
  v("true", () => true),
  v("Symbol", () => Symbol("hostile")),
  v("{}", () => ({})),
  v("[]", () => []),
  v("[1,2,3]", () => [1, 2, 3]),
  v("fn", () => () => 0),
  v("Uint32Array(4)", () => new Uint32Array(4)),
  v("Uint8Array(3)", () => new Uint8Array(3)),
  v("Float64Array(2)", () => new Float64Array(2)),
  v("frozen{}", () => Object.freeze({})),
  v("throwing getters", () => trapAll({})),
  v("throwing array", () => trapAll([])),
  v("throwing conversions", () => ({
    valueOf: throwSentinel,
    toString: throwSentinel,
    [Symbol.toPrimitive]: throwSentinel,
  })),
  v("revoked Proxy", () => {
    const r = Proxy.revocable({}, {});
    r.revoke();
    return r.proxy;
  }),
];

/** An object that answers `first[key]` on the first read of `key` and `later[key]` after. */
export function fickle(first: Record<string, unknown>, later: Record<string, unknown>): object {
  const reads = new Map<string, number>();
  const out = {};
  for (const key of Object.keys(first)) {
    Object.defineProperty(out, key, {
      enumerable: true,
      get() {
        const n = (reads.get(key) ?? 0) + 1;
        reads.set(key, n);
        return n === 1 || !(key in later) ? first[key] : later[key];
      },
    });
  }
  return out;
}
