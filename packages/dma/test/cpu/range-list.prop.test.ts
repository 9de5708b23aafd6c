import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { CpuPageCursor } from "../../src/cpu/piece-cursors.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import { PciTopology } from "../../src/pci/topology.js";
import { ListModel } from "./model.js";

const PS = 4096;
/**
 * RAM pfns [0, 0x40), P2P pgmap A on pfns [0x40, 0x48), P2P pgmap B on [0x48, 0x50), a hole after;
 * BAR2 at 4 GiB is mapped MMIO without struct pages (physical entries), 8 GiB is a hole.
 */
function world() {
  const memory = new PhysicalMemory({ regions: [{ start: 0, size: 0x40 * PS, kind: "ram" }] });
  const topo = new PciTopology();
  const fn = topo.addFunction(topo.addHostBridge(), {
    bdf: "0000:00:04.0",
    bars: [
      { index: 0, cpuAddress: 0x40 * PS, size: 8 * PS },
      { index: 1, cpuAddress: 0x48 * PS, size: 8 * PS },
      { index: 2, cpuAddress: 0x1_0000_0000n, size: 0x10_0000, is64: true },
    ],
  });
  const a = fn.p2pProvider(0);
  const b = fn.p2pProvider(1);
  memory.addP2pMemory(a);
  memory.addP2pMemory(b);
  memory.addRegion({ start: 0x1_0000_0000, size: 0x10_0000, kind: "bar", name: "BAR2" });
  memory.declareFolio(0x8, 3);
  memory.declareFolio(0x14, 2);
  memory.declareFolio(0x20, 4);
  memory.declareFolio(0x40, 2);
  return { memory, providers: [a, b, fn.p2pProvider(2)] };
}

type Op =
  | { kind: "page"; pfn: number; offset: number; length: number }
  | { kind: "continue"; pageAligned: boolean; length: number }
  | { kind: "folio"; pfn: number; offset: number; length: number }
  | { kind: "physical"; offset: number; length: number; provider: number; continues: boolean }
  | { kind: "physical-run"; pieces: Array<[length: number, pageless: boolean]> }
  | { kind: "seal" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("continue" as const),
      pageAligned: fc.boolean(),
      length: fc.integer({ min: 1, max: 3 * PS }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("page" as const),
      pfn: fc.nat(0x52),
      offset: fc.nat(2 * PS),
      length: fc.integer({ min: 0, max: 3 * PS }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("folio" as const),
      pfn: fc.nat(0x50),
      offset: fc.nat(4 * PS),
      length: fc.integer({ min: 1, max: 3 * PS }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("physical" as const),
      offset: fc.nat(0xf_0000),
      length: fc.integer({ min: 1, max: 2 * PS }),
      provider: fc.nat(3),
      continues: fc.boolean(),
    }),
  },
  {
    // Back-to-back ranges of one BAR, as a dma-buf of adjacent VRAM blocks appends them.
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("physical-run" as const),
      // Mostly one provider; now and then a piece of the same BAR without one (must not merge).
      pieces: fc.array(fc.tuple(fc.integer({ min: 1, max: PS }), fc.boolean()), {
        minLength: 2,
        maxLength: 4,
      }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "seal" as const }) },
);

/** Runs `ops` on a list and the model; failing ops must leave both unchanged. */
function build(ops: readonly Op[], mergePhysical = false) {
  const { memory, providers } = world();
  const list = new CpuRangeList(memory, { mergePhysical });
  const model = new ListModel(mergePhysical);
  let lastEnd = 0;
  let lastPhysicalEnd = -1;
  const expanded = ops.flatMap((op): Op[] =>
    op.kind === "physical-run"
      ? op.pieces.map(([length, pageless], i) => ({
          kind: "physical",
          offset: 0x8_0000,
          length,
          provider: pageless && i > 0 ? 2 : 0,
          continues: i > 0,
        }))
      : [op],
  );
  for (let op of expanded) {
    if (op.kind === "physical-run") continue;
    if (op.kind === "continue") {
      // Start where the last append ended (or at the next page boundary): the merge cases.
      const at = op.pageAligned ? Math.ceil(lastEnd / PS) * PS : lastEnd;
      op = { kind: "page", pfn: Math.floor(at / PS), offset: at % PS, length: op.length };
    }
    if (op.kind === "seal") {
      list.seal();
      model.seal();
      continue;
    }
    if (op.kind === "physical") {
      // Provider 0-1: BAR2 with its provider; 2: BAR2 as plain pageless memory; 3: a hole.
      // `continues`: start where the last physical range ended (the merge case when the provider matches).
      const provider = op.provider < 2 ? providers[2]! : null;
      const base = op.continues && lastPhysicalEnd >= 0 ? lastPhysicalEnd : 0x1_0000_0000 + op.offset;
      const at = op.provider === 3 ? 0x2_0000_0000 + op.offset : base;
      const fits = at + op.length <= 0x1_0010_0000 || provider === null;
      if (!fits) {
        expect(() => list.appendPhysical(at, op.length, provider)).toThrow(/EINVAL/);
        continue;
      }
      list.appendPhysical(at, op.length, provider);
      model.appendPhysical(at, op.length, provider ? memory.registerProvider(provider) : 0);
      lastPhysicalEnd = at + op.length;
      continue;
    }
    const start = op.kind === "page" ? op.pfn * PS + op.offset : memory.folioHead(op.pfn) * PS + op.offset;
    const first = Math.floor(start / PS);
    const last = Math.floor((start + op.length - 1) / PS);
    const pgmap = memory.rangePgmapId(first, last - first + 1);
    const head = memory.folioHead(op.pfn);
    const folioOk = op.kind === "page" || (head >= 0 && op.offset < 2 ** memory.folioOrder(head) * PS);
    const ok = op.length > 0 && pgmap >= 0 && folioOk && (op.kind === "page" || head >= 0);
    const act = () =>
      op.kind === "page"
        ? list.appendPage(op.pfn, op.offset, op.length)
        : list.appendFolio(memory.folioOf(head)!, op.offset, op.length);
    if (op.kind === "folio" && head < 0) continue; // no folio to pass
    if (ok) {
      act();
      model.appendFolio(start, op.length, pgmap);
      lastEnd = start + op.length;
    } else {
      const before = JSON.stringify(list.toArray());
      expect(act).toThrow();
      expect(JSON.stringify(list.toArray())).toBe(before);
    }
  }
  return { memory, list, model };
}

const opsArb = fc.array(opArb, { maxLength: 40 });

describe("CpuRangeList against a byte-range model", () => {
  it("any sequence of appends gives the model's entries: same bytes, same order, maximal merging", () => {
    fc.assert(
      fc.property(opsArb, fc.boolean(), (ops, mergePhysical) => {
        const { list, model, memory } = build(ops, mergePhysical);
        const got = list.toArray().map((e) => ({ physical: e.type === 1, phys: e.phys, length: e.length }));
        expect(got).toEqual(
          model.entries.map((e) => ({ physical: e.physical, phys: e.phys, length: e.length })),
        );
        let pos = 0;
        for (const e of list.toArray()) {
          expect(e.position).toBe(pos);
          pos += e.length;
        }
        expect(list.length).toBe(model.length);
        expect(list.count).toBe(model.entries.length);
        // Maximal: no two neighbours across an unsealed boundary could have merged.
        list.forEachEntry((c) => {
          if (c.index > 0 && !c.isPhysical && !model.seals.has(c.index)) {
            const prev = model.entries[c.index - 1]!;
            expect(
              !prev.physical &&
                prev.phys + prev.length === c.phys &&
                prev.tag === memory.pgmapIdOf(c.pagePfn),
            ).toBe(false);
          }
          if (c.index > 0 && c.isPhysical && !model.seals.has(c.index)) {
            const prev = model.entries[c.index - 1]!;
            const tag = c.provider === null ? 0 : memory.registerProvider(c.provider);
            const couldMerge = prev.physical && prev.phys + prev.length === c.phys && prev.tag === tag;
            // Off by default: physical neighbours stay apart exactly as appended.
            if (mergePhysical) expect(couldMerge).toBe(false);
          }
          return true;
        });
        expect(list.mergePhysical).toBe(mergePhysical);
      }),
      { numRuns: 200 },
    );
  });

  it("isPageList equals its definition evaluated on the model; hasP2P and providers follow the entries", () => {
    fc.assert(
      fc.property(opsArb, fc.boolean(), (ops, mergePhysical) => {
        const { list, model, memory } = build(ops, mergePhysical);
        expect(list.isPageList).toBe(model.isPageList(PS));
        const providers = new Set(list.toArray().flatMap((e) => (e.provider ? [e.provider] : [])));
        expect(list.hasP2P).toBe(providers.size > 0);
        expect(new Set(list.providers)).toEqual(providers);
        for (const e of list.toArray()) {
          if (e.type === 0)
            expect(e.provider).toBe(memory.pgmapOf(Math.floor(e.phys / PS))?.provider ?? null);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("seek lands where a linear walk does, for entries, folios and pages", () => {
    fc.assert(
      fc.property(opsArb, fc.array(fc.nat(), { maxLength: 10 }), (ops, probes) => {
        const { list } = build(ops);
        const entries = list.toArray();
        const c = list.cursor();
        const fcur = list.folioCursor();
        const pcur = list.pageCursor();
        const folios: { position: number; length: number; pfn: number }[] = [];
        list.forEachFolio((f) => {
          folios.push({ position: f.position, length: f.length, pfn: f.pfn });
          return true;
        });
        const pages: { position: number; length: number; pfn: number }[] = [];
        list.forEachPage((p) => {
          pages.push({ position: p.position, length: p.length, pfn: p.pfn });
          return true;
        });
        for (const raw of [...probes, list.length, Math.max(0, list.length - 1)]) {
          const target = list.length === 0 ? raw : raw % (list.length + 1);
          const inside = target < list.length;
          expect(c.seek(target)).toBe(inside);
          expect(fcur.seek(target)).toBe(inside);
          expect(pcur.seek(target)).toBe(inside);
          if (!inside) continue;
          const e = entries.find((x) => x.position <= target && target < x.position + x.length)!;
          expect([c.position, c.length, c.phys]).toEqual([e.position, e.length, e.phys]);
          const f = folios.find((x) => x.position <= target && target < x.position + x.length)!;
          expect({ position: fcur.position, length: fcur.length, pfn: fcur.pfn }).toEqual(f);
          const p = pages.find((x) => x.position <= target && target < x.position + x.length)!;
          expect({ position: pcur.position, length: pcur.length, pfn: pcur.pfn }).toEqual(p);
          // Stepping on from a seek continues the same walk.
          const nextFolio = folios[folios.indexOf(f) + 1];
          expect(fcur.next()).toBe(nextFolio !== undefined);
          if (nextFolio)
            expect({ position: fcur.position, length: fcur.length, pfn: fcur.pfn }).toEqual(nextFolio);
          const nextPage = pages[pages.indexOf(p) + 1];
          expect(pcur.next()).toBe(nextPage !== undefined);
          if (nextPage)
            expect({ position: pcur.position, length: pcur.length, pfn: pcur.pfn }).toEqual(nextPage);
          const nextEntry = entries[entries.indexOf(e) + 1];
          expect(c.next()).toBe(nextEntry !== undefined);
          if (nextEntry) expect(c.position).toBe(nextEntry.position);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("folio and page pieces tile the entries and never cross their unit", () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const { list, memory } = build(ops);
        for (const cur of [list.folioCursor(), list.pageCursor()]) {
          let pos = 0;
          let lastIndex = -1;
          let physNext = -1;
          while (cur.next()) {
            expect(cur.position).toBe(pos);
            expect(cur.length).toBeGreaterThan(0);
            if (cur.index === lastIndex) expect(cur.phys).toBe(physNext);
            const firstPage = Math.floor(cur.phys / PS);
            const lastPage = Math.floor((cur.phys + cur.length - 1) / PS);
            if (cur instanceof CpuPageCursor) {
              expect(lastPage).toBe(firstPage);
            } else if (!cur.isPhysical) {
              expect(memory.folioHead(firstPage)).toBe(cur.pfn);
              expect(memory.folioHead(lastPage)).toBe(cur.pfn);
              expect(cur.offset).toBe(cur.phys - cur.pfn * PS);
            }
            pos += cur.length;
            lastIndex = cur.index;
            physNext = cur.phys + cur.length;
          }
          expect(pos).toBe(list.length);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("copyFrom then copyTo agree with a byte-map model of physical memory", () => {
    fc.assert(
      fc.property(opsArb, fc.nat(), fc.nat(), fc.uint8Array({ maxLength: PS + 512 }), (ops, a, b, data) => {
        const { list, model, memory } = build(ops);
        const len = list.length;
        const wpos = len === 0 ? 0 : a % (len + 1);
        const chunk = data.subarray(0, Math.max(0, Math.min(data.length, len - wpos)));
        const pageOk = new Map<number, boolean>();
        const backed = (phys: number) => {
          const pfn = Math.floor(phys / PS);
          let ok = pageOk.get(pfn);
          if (ok === undefined) {
            ok = memory.isAccessible(pfn * PS, PS);
            pageOk.set(pfn, ok);
          }
          return ok;
        };
        const wphys = model.physRange(wpos, chunk.length);
        const touchesHole = wphys.some((p) => !backed(p));
        if (touchesHole) {
          expect(() => list.copyFrom(chunk, wpos)).toThrow(/EFAULT/);
          expect(memory.touchedPages).toBe(0);
          return;
        }
        list.copyFrom(chunk, wpos);
        const bytes = new Map<number, number>();
        chunk.forEach((v, i) => {
          bytes.set(wphys[i]!, v);
        });
        const rpos = len === 0 ? 0 : b % (len + 1);
        const out = new Uint8Array(Math.min(2 * PS, len - rpos));
        const rphys = model.physRange(rpos, out.length);
        const readHole = rphys.some((p) => !backed(p));
        if (readHole) {
          out.fill(0x5a);
          expect(() => list.copyTo(out, rpos)).toThrow(/EFAULT/);
          expect(out.every((v) => v === 0x5a)).toBe(true);
          return;
        }
        list.copyTo(out, rpos);
        const expected = Uint8Array.from(rphys, (p) => bytes.get(p) ?? 0);
        expect(firstDifference(out, expected)).toBe(-1);
        // Round trip where the written range has no aliasing.
        const wrote = new Uint8Array(chunk.length);
        list.copyTo(wrote, wpos);
        const unique = new Set(wphys).size === chunk.length;
        if (unique) expect(firstDifference(wrote, chunk)).toBe(-1);
      }),
      { numRuns: 80 },
    );
  });
});

/** Index of the first differing byte, or -1 (cheaper than a deep equality on large arrays). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe("seek over many entries (several checkpoints)", () => {
  it("lands where a linear walk does", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 2 * PS })), {
          minLength: 100,
          maxLength: 400,
        }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        (shape, probes, sealed) => {
          const { memory } = world();
          const list = new CpuRangeList(memory);
          // Alternate between two far-apart pages so nothing merges: entry i covers shape[i] bytes.
          shape.forEach(([aligned, len], i) => {
            list.appendPage(i % 2 === 0 ? 1 : 0x30, aligned ? 0 : 7, len);
          });
          if (sealed) list.seal();
          expect(list.count).toBe(shape.length);
          const starts: number[] = [];
          let pos = 0;
          for (const [, len] of shape) {
            starts.push(pos);
            pos += len;
          }
          const c = list.cursor();
          for (const p of probes) {
            const target = p % list.length;
            expect(c.seek(target)).toBe(true);
            let i = starts.length - 1;
            while (starts[i]! > target) i--;
            expect([c.index, c.position, c.length]).toEqual([i, starts[i], shape[i]![1]]);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
