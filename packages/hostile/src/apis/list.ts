/** @rlist/list: the chunk pool, RangeList, its cursor, serialised images. */
import { ChunkPool, newChunkSpan, RangeList } from "@rlist/list";
// the list's generated kernel module: a real KernelSource for instantiateKernel
import * as listKernel from "../../../list/src/generated/list.wasm.js";
import type { Api, ExtraCase, Override } from "../api.js";
import {
  array,
  bool,
  bytes,
  fn,
  instance,
  type Kind,
  nat,
  nullable,
  obj,
  oneOf,
  opt,
  str,
  u32words,
  u64,
  union,
} from "../kinds.js";
import type { World } from "../world.js";
import { entry, entryBig, someEntry, someEntryBig } from "./encoding.js";

const chunkBytes = oneOf(128, 512, 4096);
/** A pool limit: a count, or Infinity for none. */
const limit = union(nat, oneOf(Number.POSITIVE_INFINITY));
const listOptions: Kind = opt(
  obj({
    codec: opt(union(oneOf("variable", "fixed16"), obj({}))),
    chunkBytes: opt(chunkBytes),
    pool: opt(instance("list:ChunkPool")),
    merge: opt(bool),
    canMerge: opt(fn),
    allocate: opt(bool),
  }),
);
const poolOptions: Kind = opt(
  obj({ chunkBytes: opt(chunkBytes), slabBytes: opt(nat), limit: opt(limit), maxBytes: opt(nat) }),
);
const UNCHECKED_VIEW =
  "raw view decoders: documented as unchecked, inlined into upper layers' hot loops (list README, Raw view)";

/** Corrupt copies of a list image: each must be refused (EINVAL) or, if it loads, be that image. */
function corruptImage(w: World, k: number): ExtraCase {
  const good = w.rangeList.toBytes();
  const bad = good.slice();
  const r = w.rng;
  let label: string;
  if (k === 0) {
    label = "image truncated";
    return { label, args: [bad.subarray(0, r.int(bad.length)), { pool: w.pool }], invalid: true };
  }
  if (k === 1) {
    label = "image with a header word changed";
    const at = r.int(10) * 4;
    bad[at] = (bad[at] as number) ^ (1 << r.int(8));
  } else if (k === 2) {
    label = "image with chunk words changed";
    for (let i = 0; i < 1 + r.int(4); i++) {
      const at = 40 + r.int(bad.length - 40);
      bad[at] = (bad[at] as number) ^ (1 << r.int(8));
    }
  } else {
    label = "image with random bytes";
    for (let i = 0; i < bad.length; i++) bad[i] = r.int(256);
  }
  return {
    label,
    args: [bad, { pool: w.pool }],
    invalid: null,
    check: (loaded) => {
      const back = (loaded as RangeList).toBytes();
      return back.length === bad.length && back.every((b, i) => b === bad[i])
        ? null
        : "a corrupt image loaded as a different list";
    },
  };
}

export const listOverrides: Record<string, Override> = {
  "list:new ChunkPool": {
    params: [poolOptions],
    valid: (w) => [{ chunkBytes: w.rng.pick([128, 512]), limit: 8 }],
  },
  "list:ChunkPool.shared": { params: [opt(chunkBytes)] },
  "list:ChunkPool#free": { params: [nat], valid: (w) => [w.pool.alloc()] },
  "list:ChunkPool#limit=": { params: [limit], valid: (w) => [w.rng.pick([0, 64, Number.POSITIVE_INFINITY])] },
  "list:ChunkPool#setFaultHook": { params: [nullable(fn)], valid: () => [null] },
  "list:ChunkPool#words": { params: [nat], valid: (w) => [w.pool.alloc()], unchecked: "hot-loop locator" },
  "list:ChunkPool#wordBase": { params: [nat], valid: (w) => [w.pool.alloc()], unchecked: "hot-loop locator" },
  "list:new RangeList": { params: [listOptions], valid: (w) => [{ pool: w.pool, merge: w.rng.bool() }] },
  "list:RangeList.from": {
    params: [array(entry), listOptions],
    valid: (w) => [[someEntry(w), someEntry(w)], { pool: w.pool }],
  },
  "list:RangeList.fromBytes": {
    params: [bytes, listOptions],
    valid: (w) => [w.rangeList.toBytes(), { pool: w.pool }],
    extras: 4,
    extra: corruptImage,
  },
  "list:RangeList#append": { params: [entry], valid: (w) => [someEntry(w)], readOnce: [0] },
  "list:RangeList#appendBig": { params: [entryBig], valid: (w) => [someEntryBig(w)], readOnce: [0] },
  "list:RangeList#truncate": { params: [nat], valid: (w) => [w.rng.int(w.rangeList.count + 1)] },
  "list:RangeList#reserve": {
    params: [nat, opt(oneOf(8, 16, 24))],
    valid: (w) => [w.rng.int(40), w.rng.pick([8, 16, 24])],
    extras: 2,
    extra: (_w, k) =>
      k === 0
        ? // more chunks than the pool may hand out: ENOMEM up front (was a RangeError at 2^53-1)
          { label: "reserve(2^53-1)", args: [2 ** 53 - 1], invalid: true }
        : { label: 'reserve(10, "0x10")', args: [10, "0x10"], invalid: true },
  },
  "list:RangeList#slice": {
    params: [nat, nat, opt(obj({ trimFront: opt(oneOf("offset", "base")) }))],
    valid: (w) => {
      const total = w.rangeList.totalLength;
      const from = w.rng.int(total + 1);
      return [from, from + w.rng.int(total - from + 1), { trimFront: "base" }];
    },
  },
  "list:RangeList#chunkSpan": {
    params: [{ t: "number", int: true }, obj({})],
    valid: () => [0, newChunkSpan()],
  },
  "list:RangeList#merge=": { params: [bool] },
  "list:RangeList#allocate=": { params: [bool] },
  "list:entryUnits": { params: [chunkBytes] },
  "list:newChunkSpan": { params: [] },
  "list:instantiateKernel": {
    params: [obj({ shared: str, unshared: str }), instance("WebAssembly.Memory"), bool],
    valid: (w) => [listKernel, w.pool.memory, w.pool.sharedMemory],
  },
};
for (const name of [
  "variableUnitsAt",
  "variableLengthAt",
  "variableBaseAt",
  "variableOffsetAt",
  "variableExtraAt",
  "variableLengthIsSafe",
  "variableBaseIsSafe",
  "fixed16LengthAt",
  "fixed16BaseAt",
  "typeAt",
]) {
  listOverrides[`list:${name}`] = {
    params: [u32words, nat],
    valid: (w) => {
      const span = newChunkSpan();
      w.rangeList.chunkSpan(0, span);
      return [span.words, span.start];
    },
    unchecked: UNCHECKED_VIEW,
  };
}

const cursor = (w: World) => w.rangeCursor;
const m = (member: string, params: Kind[], valid?: (w: World) => unknown[]): Api => ({
  name: `list:RangeCursor#${member}`,
  kind: "method",
  params,
  receiver: cursor,
  ...(valid ? { valid } : {}),
});
const g = (member: string): Api => ({
  name: `list:RangeCursor#${member}`,
  kind: "getter",
  params: [],
  receiver: cursor,
});

/** An out-of-order call: `prepare` sets the stage and returns the call, which must be refused. */
export function misuse(pkg: string, name: string, prepare: (w: World) => () => unknown): Api {
  return {
    name: `${pkg}:misuse ${name}`,
    kind: "scenario",
    params: [],
    call: (_w, _r, args) => (args[0] as () => unknown)(),
    extras: 1,
    extra: (w) => ({ label: name, args: [prepare(w)], invalid: true }),
  };
}

const listMisuse = (name: string, prepare: (w: World) => () => unknown) => misuse("list", name, prepare);

export const listAdded: Api[] = [
  m("reset", []),
  m("next", []),
  m("seek", [nat], (w) => [w.rng.int(w.rangeList.totalLength + 1)]),
  m("seekBig", [u64], (w) => [BigInt(w.rng.int(w.rangeList.totalLength + 1))]),
  m("seekIndex", [nat], (w) => [w.rng.int(w.rangeList.count + 1)]),
  m("read", [obj({})], () => [{ type: 0, length: 0, base: 0, offset: 0, extra: 0 }]),
  m("readBig", [obj({})], () => [{ type: 0, length: 0n, base: 0n, offset: 0, extra: 0 }]),
  ...[
    "valid",
    "type",
    "length",
    "base",
    "offset",
    "extra",
    "position",
    "index",
    "lengthBig",
    "baseBig",
    "positionBig",
  ].map(g),
  listMisuse("free twice", (w) => {
    const id = w.pool.alloc();
    w.pool.free(id);
    return () => w.pool.free(id);
  }),
  listMisuse("free of a chunk a list holds, twice", () => {
    const spare = new ChunkPool({ chunkBytes: 128 });
    const l = new RangeList({ pool: spare });
    l.append({ type: 0, length: 1, base: 0, offset: 0, extra: 0 });
    l.clear();
    return () => spare.free(0);
  }),
  listMisuse("cursor step after clear", (w) => {
    const c = w.rangeList.cursor();
    c.reset();
    w.rangeList.clear();
    w.rangeList.append({ type: 0, length: 5, base: 5, offset: 0, extra: 0 });
    return () => {
      while (c.next()) {
        // a stale cursor must throw at its next chunk step
      }
    };
  }),
  listMisuse("append past the reserve with allocate off", (w) => {
    const l = new RangeList({ pool: w.pool, allocate: false });
    return () => l.append({ type: 0, length: 1, base: 1, offset: 0, extra: 0 });
  }),
  listMisuse("truncate beyond count", (w) => () => w.rangeList.truncate(w.rangeList.count + 1)),
  listMisuse("slice beyond the total", (w) => () => w.rangeList.slice(0, w.rangeList.totalLength + 1)),
  listMisuse("totalLength above 2^53-1", (w) => {
    const l = new RangeList({ pool: w.pool });
    l.appendBig({ type: 0, length: 1n << 55n, base: 0n, offset: 0, extra: 0 });
    return () => l.totalLength;
  }),
];
