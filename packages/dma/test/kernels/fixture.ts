/**
 * Random CPU and DMA lists for the kernel == reference properties: every entry form (8-byte page
 * runs, 16-byte runs above pfn 2^32, byte ranges with offsets, 24-byte physical ranges with and
 * without a provider, P2P folios), addresses around 2^31, 2^32, 2^44, 2^52 and 2^53 - 1, every
 * chunk size, merged and sealed entries, and empty lists. `withKernels(min, fn)` runs `fn` with
 * every kernel threshold set to `min` (0: always the kernel; Infinity: always the TypeScript loop).
 */
import { RlistError } from "@rlist/encoding";
import type { ChunkBytes } from "@rlist/list";
import fc from "fast-check";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { DmaKind, DmaRangeList } from "../../src/dma-list/dma-range-list.js";
import { kernelMinEntries } from "../../src/kernels/thresholds.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import type { P2pProvider } from "../../src/pci/p2p-provider.js";
import { PciTopology } from "../../src/pci/topology.js";

export const CHUNKS: readonly ChunkBytes[] = [128, 512, 4096];

/** Byte addresses the generators start ranges near (each nudged by a few pages). */
export const EDGES = [0, 2 ** 31, 2 ** 32, 2 ** 44, 2 ** 52, 2 ** 53 - 2 ** 24] as const;
/** The BAR of the world's P2P provider, and where its ZONE_DEVICE pages end. */
export const BAR = 2 ** 46;
const P2P_PAGES_BYTES = 2 ** 24;

export function withKernels<T>(min: number, fn: () => T): T {
  const saved = { ...kernelMinEntries };
  for (const k of Object.keys(kernelMinEntries) as (keyof typeof kernelMinEntries)[])
    kernelMinEntries[k] = min;
  try {
    return fn();
  } finally {
    Object.assign(kernelMinEntries, saved);
  }
}

/** A call's outcome: its value, or the code of the RlistError it threw. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; code: string };

export function outcome<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof RlistError) return { ok: false, code: e.code };
    throw e;
  }
}

export interface World {
  memory: PhysicalMemory;
  provider: P2pProvider;
}

/** RAM up to just below 2^53 but for a 4 GiB BAR at 2^46 (P2P pages at its start), a 2 MiB folio. */
export function world(pageSize = 4096): World {
  const memory = new PhysicalMemory({
    pageSize,
    regions: [
      { start: 0, size: BAR, kind: "ram" },
      { start: BAR + 2 ** 32, size: 2 ** 53 - 2 ** 20 - BAR - 2 ** 32, kind: "ram" },
    ],
  });
  const topo = new PciTopology();
  const fn = topo.addFunction(topo.addHostBridge(), {
    bdf: "0000:00:04.0",
    bars: [{ index: 0, cpuAddress: BigInt(BAR), size: 2 ** 32, is64: true }],
  });
  const provider = fn.p2pProvider(0);
  memory.addP2pMemory(provider, { offset: 0, size: P2P_PAGES_BYTES });
  memory.declareFolio(0x400, 9);
  return { memory, provider };
}

/** One append (or a seal) to a CPU list. */
export type CpuOp =
  | { kind: "pages"; edge: number; page: number; pages: number; follow: boolean }
  | { kind: "bytes"; edge: number; at: number; length: number; follow: boolean }
  | { kind: "physical"; edge: number; at: number; length: number }
  | { kind: "p2p"; page: number; pages: number; physical: boolean; provider: boolean }
  | { kind: "seal" };

const edgeArb = fc.integer({ min: 0, max: EDGES.length - 1 });

export const cpuOpArb: fc.Arbitrary<CpuOp> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant("pages" as const),
      edge: edgeArb,
      page: fc.integer({ min: -8, max: 600 }),
      pages: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 1100 })),
      follow: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("bytes" as const),
      edge: edgeArb,
      at: fc.integer({ min: -40_000, max: 40_000 }),
      length: fc.integer({ min: 1, max: 20_000 }),
      follow: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("physical" as const),
      edge: edgeArb,
      at: fc.integer({ min: -40_000, max: 40_000 }),
      length: fc.integer({ min: 1, max: 20_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("p2p" as const),
      page: fc.nat(1000),
      pages: fc.integer({ min: 1, max: 4 }),
      physical: fc.boolean(),
      provider: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "seal" as const }) },
);

/**
 * Ops for page lists: whole pages only (plus a ragged first start / last end), starting near the
 * first `edges` of {@link EDGES} (4: below 2^52, so every page can be mapped by a 4 KiB PTE).
 */
export function pageListOps(edges: number = EDGES.length): fc.Arbitrary<CpuOp[]> {
  const edge = fc.integer({ min: 0, max: edges - 1 });
  return fc
    .tuple(
      fc.array(
        fc.record({
          kind: fc.constant("pages" as const),
          edge,
          page: fc.integer({ min: -8, max: 600 }),
          pages: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 1100 })),
          follow: fc.boolean(),
        }),
        { maxLength: 300, size: "max" },
      ),
      fc.nat(4095),
      fc.integer({ min: 1, max: 4096 }),
    )
    .map(([ops, head, tail]) => {
      if (ops.length === 0) return ops;
      const first = ops[0]!;
      const out: CpuOp[] = [
        { kind: "bytes", edge: first.edge, at: first.page * 4096 + head, length: 4096 - head, follow: false },
        ...ops,
      ];
      const last = ops[ops.length - 1]!;
      out.push({
        kind: "bytes",
        edge: last.edge,
        at: (last.page + 4000) * 4096,
        length: tail,
        follow: false,
      });
      return out;
    });
}

export const pageListOpsArb = pageListOps();

/** Short lists and long ones (many chunks of every size). */
export const cpuOpsArb = fc.oneof(
  fc.array(cpuOpArb, { maxLength: 8 }),
  fc.array(cpuOpArb, { minLength: 20, maxLength: 400, size: "max" }),
);

function clampAddress(a: number, length: number, align: number): number {
  const top = 2 ** 53 - 2 ** 20 - length - align;
  const x = Math.min(Math.max(a, 0), top);
  return x - (x % align);
}

/** Applies `ops`; appends the list refuses (no struct page, past 2^53, ...) are skipped. */
export function applyCpuOps(list: CpuRangeList, w: World, ops: readonly CpuOp[]): void {
  const ps = list.pageSize;
  let end = -1; // physical end of the last folio append
  for (const op of ops) {
    try {
      if (op.kind === "seal") list.seal();
      else if (op.kind === "pages") {
        const len = op.pages * ps;
        const start = op.follow && end >= 0 ? end : clampAddress(EDGES[op.edge]! + op.page * ps, len, ps);
        list.appendPage(start / ps, 0, len);
        end = start + len;
      } else if (op.kind === "bytes") {
        const start = op.follow && end >= 0 ? end : clampAddress(EDGES[op.edge]! + op.at, op.length, 1);
        const pfn = Math.floor(start / ps);
        list.appendPage(pfn, start - pfn * ps, op.length);
        end = start + op.length;
      } else if (op.kind === "physical") {
        const start = clampAddress(EDGES[op.edge]! + op.at, op.length, 1);
        // Plain pageless memory only near 2^53: a provider's range must be inside its BAR.
        list.appendPhysical(start, op.length, null);
      } else {
        const start = BAR + op.page * 4096;
        if (op.physical) {
          list.appendPhysical(P2P_PAGES_BYTES + start, op.pages * 4096, op.provider ? w.provider : null);
        } else {
          list.appendPage(start / ps, 0, op.pages * 4096);
          end = start + op.pages * 4096;
        }
      }
    } catch (e) {
      if (!(e instanceof RlistError)) throw e;
    }
  }
}

export function cpuList(w: World, chunkBytes: ChunkBytes, ops: readonly CpuOp[]): CpuRangeList {
  const list = new CpuRangeList(w.memory, { chunkBytes });
  applyCpuOps(list, w, ops);
  return list;
}

/** One entry of a stored DMA list: a number entry near an edge, or an exact 64-bit one. */
export type DmaOp =
  | { kind: "num"; dmaKind: DmaKind; edge: number; at: number; length: number }
  | { kind: "big"; dmaKind: DmaKind; address: bigint; length: bigint };

export const dmaOpArb: fc.Arbitrary<DmaOp> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("num" as const),
      dmaKind: fc.constantFrom(DmaKind.IOVA, DmaKind.DIRECT, DmaKind.BUS_ADDR, DmaKind.BOUNCE),
      edge: edgeArb,
      at: fc.oneof(
        fc.integer({ min: -(2 ** 22), max: 2 ** 22 }),
        fc.integer({ min: 0, max: 64 }).map((k) => k * 4096),
      ),
      length: fc.oneof(
        fc.integer({ min: 0, max: 2 ** 22 }),
        fc.integer({ min: 0, max: 64 }).map((k) => k * 4096),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("big" as const),
      dmaKind: fc.constantFrom(DmaKind.DIRECT, DmaKind.BUS_ADDR, DmaKind.BOUNCE),
      address: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      length: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 60n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 40n })),
    }),
  },
);

/** Short and long DMA lists, half of the long ones of number entries only (the number API answers). */
export const dmaOpsArb = fc.oneof(
  fc.array(dmaOpArb, { maxLength: 6 }),
  fc.array(dmaOpArb, { minLength: 20, maxLength: 300, size: "max" }),
  fc.array(
    dmaOpArb.filter((o) => o.kind === "num"),
    { minLength: 20, maxLength: 300, size: "max" },
  ),
);

/** A stored DMA list with base `base` (IOVA entries are relative to it). */
export function dmaList(chunkBytes: ChunkBytes, base: number, ops: readonly DmaOp[]): DmaRangeList {
  const list = new DmaRangeList({ chunkBytes });
  list.setBase(base);
  for (const op of ops) {
    try {
      if (op.kind === "big") list.appendBig(op.dmaKind, op.address, op.length);
      else {
        const a = Math.max(0, EDGES[op.edge]! + op.at);
        list.append(op.dmaKind, op.dmaKind === DmaKind.IOVA ? Math.max(a, base) : a, op.length);
      }
    } catch (e) {
      if (!(e instanceof RlistError)) throw e;
    }
  }
  return list;
}
