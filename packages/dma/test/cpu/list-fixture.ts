/**
 * Lists built from random appends on every kind of store, with the byte-range model next to them
 * (for the cursor and mark/rollback properties).
 */
import type { RangeEntry } from "@rlist/encoding";
import { type ChunkBytes, RangeList } from "@rlist/list";
import fc from "fast-check";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import type { EntryStore } from "../../src/cpu/entry-store.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import type { P2pProvider } from "../../src/pci/p2p-provider.js";
import { PciTopology } from "../../src/pci/topology.js";
import { ListModel } from "./model.js";

export const PS = 4096;
/** Pages from 2^32 up need the 16-byte form (pfn above 32 bits). */
export const HIGH = 2 ** 32;
export const BAR = 2 ** 46;

export function world() {
  const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 45, kind: "ram" }] });
  const topo = new PciTopology();
  const fn = topo.addFunction(topo.addHostBridge(), {
    bdf: "0000:00:04.0",
    bars: [{ index: 0, cpuAddress: BigInt(BAR), size: 2 ** 32, is64: true }],
  });
  memory.declareFolio(0x200, 9);
  memory.declareFolio(HIGH + 0x400, 2);
  return { memory, provider: fn.p2pProvider(0) };
}

/** Another EntryStore (not a RangeList): the cursor goes through its cursor, entry by entry. */
export class WrappedStore implements EntryStore {
  readonly inner = new RangeList({ chunkBytes: 128 });
  get count(): number {
    return this.inner.count;
  }
  append(e: RangeEntry): void {
    this.inner.append(e);
  }
  clear(): void {
    this.inner.clear();
  }
  cursor() {
    return this.inner.cursor();
  }
  truncate(count: number): void {
    this.inner.truncate(count);
  }
}

export type Store = ChunkBytes | "wrapped";
export const STORES: readonly Store[] = [128, 512, 4096, "wrapped"];

export function newList(memory: PhysicalMemory, store: Store): CpuRangeList {
  return store === "wrapped"
    ? new CpuRangeList(memory, { store: new WrappedStore() })
    : new CpuRangeList(memory, { chunkBytes: store });
}

/** One append: a page range low or high in memory (8/16-byte forms), or a BAR range (24 bytes). */
export type Op =
  | { kind: "page"; high: boolean; pfn: number; offset: number; length: number; follow: boolean }
  | { kind: "physical"; offset: number; length: number; provider: boolean }
  | { kind: "seal" };

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("page" as const),
      high: fc.boolean(),
      pfn: fc.nat(0x800),
      offset: fc.oneof(fc.constant(0), fc.nat(PS - 1)),
      length: fc.oneof(
        fc.integer({ min: 1, max: 4 }).map((n) => n * PS),
        fc.integer({ min: 1, max: 3 * PS }),
      ),
      follow: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("physical" as const),
      offset: fc.nat(2 ** 20),
      length: fc.integer({ min: 1, max: 3 * PS }),
      provider: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "seal" as const }) },
);

/** Applies `ops` to `list` and `model`; "follow" continues the last range (merges). */
export function applyOps(
  ops: readonly Op[],
  list: CpuRangeList,
  model: ListModel,
  provider: P2pProvider,
): void {
  const memory = list.memory;
  for (const op of ops) {
    if (op.kind === "seal") {
      list.seal();
      model.seal();
    } else if (op.kind === "physical") {
      list.appendPhysical(BAR + op.offset, op.length, op.provider ? provider : null);
      model.appendPhysical(BAR + op.offset, op.length, op.provider ? memory.registerProvider(provider) : 0);
    } else {
      const last = model.entries[model.entries.length - 1];
      const end = last === undefined || last.physical ? 0 : last.phys + last.length;
      const start = op.follow && end > 0 ? end : (op.high ? HIGH : 0) * PS + op.pfn * PS + op.offset;
      list.appendPage(Math.floor(start / PS), start % PS, op.length);
      model.appendFolio(start, op.length, 0);
    }
  }
}

/** A list on `store` and the model after `ops`. */
export function build(ops: readonly Op[], store: Store) {
  const { memory, provider } = world();
  const list = newList(memory, store);
  const model = new ListModel();
  applyOps(ops, list, model, provider);
  return { memory, provider, list, model };
}

export const opsArb = fc.array(opArb, { maxLength: 120 });
