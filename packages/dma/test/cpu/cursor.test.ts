/**
 * The entry cursor read straight from RangeList chunks (lazy fields, chunk crossings, the pending
 * entry) and through another EntryStore, against the byte-range model, for every chunk size and
 * every stored form; folio lookups only when asked for.
 */
import { RangeList } from "@rlist/list";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import type { EntryStore } from "../../src/cpu/entry-store.js";
import { BAR, build, HIGH, newList, opsArb, PS, STORES, world } from "./list-fixture.js";

describe("CpuEntryCursor against the model, every store", () => {
  it("a walk reading any subset of the fields gives the model's entries, positions and indexes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STORES),
        opsArb,
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        (store, ops, reads) => {
          const { list, model, memory, provider } = build(ops, store);
          const c = list.cursor();
          let i = 0;
          let pos = 0;
          for (let ok = c.reset(); ok; ok = c.next()) {
            const e = model.entries[i]!;
            // Position and index are lazy: read them on some entries only.
            if (reads[i % 8]) expect([c.index, c.position]).toEqual([i, pos]);
            if (reads[(i + 3) % 8]) {
              expect(c.isPhysical).toBe(e.physical);
              expect(c.provider).toBe(e.physical && e.tag !== 0 ? provider : null);
            }
            expect([c.phys, c.length]).toEqual([e.phys, e.length]);
            expect([c.pagePfn, c.pageOffset]).toEqual([Math.floor(e.phys / PS), e.phys % PS]);
            if (!e.physical && reads[(i + 5) % 8]) {
              const head = memory.folioHead(Math.floor(e.phys / PS));
              expect([c.pfn, c.order, c.offset]).toEqual([head, memory.folioOrder(head), e.phys - head * PS]);
            }
            pos += e.length;
            i++;
          }
          expect(i).toBe(model.entries.length);
          expect([c.valid, c.index, c.position, c.phys, c.length]).toEqual([
            false,
            list.count,
            list.length,
            0,
            0,
          ]);
          expect([c.pfn, c.order, c.offset, c.provider]).toEqual([-1, -1, -1, null]);
          expect(c.next()).toBe(false);
        },
      ),
      { numRuns: 120 },
    );
  });

  it("seek lands where the model says and stepping on continues the walk", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STORES),
        opsArb,
        fc.array(fc.nat(), { maxLength: 12 }),
        (store, ops, probes) => {
          const { list, model } = build(ops, store);
          const starts: number[] = [];
          let pos = 0;
          for (const e of model.entries) {
            starts.push(pos);
            pos += e.length;
          }
          const c = list.cursor();
          for (const p of [...probes, 0, list.length, Math.max(0, list.length - 1)]) {
            const target = list.length === 0 ? p : p % (list.length + 1);
            const inside = target < list.length;
            expect(c.seek(target)).toBe(inside);
            if (!inside) {
              expect([c.index, c.position]).toEqual([list.count, list.length]);
              continue;
            }
            let i = starts.length - 1;
            while (starts[i]! > target) i--;
            expect([c.index, c.position, c.phys, c.length]).toEqual([
              i,
              starts[i],
              model.entries[i]!.phys,
              model.entries[i]!.length,
            ]);
            expect(list.seek(target)?.index).toBe(i);
            if (c.next())
              expect([c.index, c.position, c.phys]).toEqual([
                i + 1,
                starts[i + 1],
                model.entries[i + 1]!.phys,
              ]);
            else expect(i).toBe(starts.length - 1);
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it("stores every form in the right size (8 / 16 / 24 bytes)", () => {
    const { memory, provider } = world();
    const l = new CpuRangeList(memory, { chunkBytes: 128 });
    l.appendPage(0x10, 0, 2 * PS); // page run, low pfn: 8
    l.appendPage(0x20, 100, 50); // bytes with an offset: 16
    l.appendPage(HIGH + 0x30, 0, PS); // pfn above 32 bits: 16
    l.appendPhysical(BAR, PS, provider); // provider id: 24
    l.appendPhysical(0x100_0000, PS); // plain pageless, low: 8
    l.seal();
    expect(l.stats().byForm).toEqual({ 8: 2, 16: 2, 24: 1 });
    expect(l.toArray().map((e) => [e.phys, e.length, e.provider])).toEqual([
      [0x10 * PS, 2 * PS, null],
      [0x20 * PS + 100, 50, null],
      [(HIGH + 0x30) * PS, PS, null],
      [BAR, PS, provider],
      [0x100_0000, PS, null],
    ]);
  });
});

describe("CpuEntryCursor laziness and growth", () => {
  it("a walk reading phys, length, position and index never asks the memory model", () => {
    const { memory } = world();
    const list = CpuRangeList.fromPfns(
      memory,
      Array.from({ length: 300 }, (_, i) => 0x200 + 3 * i),
    );
    const spies = [
      vi.spyOn(memory, "folioHead"),
      vi.spyOn(memory, "folioOrder"),
      vi.spyOn(memory, "pgmapOf"),
      vi.spyOn(memory, "providerById"),
    ];
    const c = list.cursor();
    let n = 0;
    for (let ok = c.reset(); ok; ok = c.next())
      n += c.phys + c.length + c.position + c.index + (c.isPhysical ? 1 : 0);
    expect(n).toBeGreaterThan(0);
    for (const s of spies) expect(s).not.toHaveBeenCalled();
    // Folio fields are looked up on first read, once per entry.
    c.seek(PS * 10);
    expect([c.pfn, c.pfn, c.order, c.offset]).toEqual([0x200, 0x200, 9, 30 * PS]);
    expect(spies[0]).toHaveBeenCalledTimes(1);
    c.next();
    expect(c.pfn).toBe(0x200);
    expect(spies[0]).toHaveBeenCalledTimes(2);
  });

  it("sees entries appended after it was positioned, across new chunks", () => {
    for (const store of STORES) {
      const { memory } = world();
      const list = newList(memory, store);
      for (let i = 0; i < 40; i++) list.appendPage(2 * i + 1, 0, PS);
      const c = list.cursor();
      expect(c.seek(38 * PS)).toBe(true);
      expect(c.index).toBe(38);
      for (let i = 40; i < 100; i++) list.appendPage(2 * i + 1, 0, PS);
      let n = 38;
      while (c.next()) {
        n++;
        expect([c.index, c.position, c.phys]).toEqual([n, n * PS, (2 * n + 1) * PS]);
      }
      expect(n).toBe(99);
      // From the pending entry on, too.
      expect(c.seek(99 * PS)).toBe(true);
      list.appendPage(500, 0, PS);
      list.appendPage(502, 0, PS);
      expect(c.next()).toBe(true);
      expect([c.index, c.phys]).toEqual([100, 500 * PS]);
      expect(c.next()).toBe(true);
      expect([c.index, c.position, c.phys]).toEqual([101, 101 * PS, 502 * PS]);
      expect(c.next()).toBe(false);
    }
  });

  it("reports entries no CpuRangeList writes as corrupt (EINVAL)", () => {
    const { memory } = world();
    const inner = new RangeList({ chunkBytes: 128 });
    const store: EntryStore = {
      get count() {
        return inner.count;
      },
      append: (e) => inner.append(e),
      clear: () => inner.clear(),
      cursor: () => inner.cursor(),
    };
    const list = new CpuRangeList(memory, { store });
    list.appendPage(1, 0, PS);
    list.seal();
    inner.append({ type: 2, length: 1, base: 0, offset: 0, extra: 0 });
    const c = list.cursor();
    expect(c.reset()).toBe(true);
    expectCode(() => c.next(), "EINVAL");
    // In a RangeList store, where the cursor enters a chunk.
    const direct = new CpuRangeList(memory, { chunkBytes: 128 });
    (direct.store as RangeList).append({ type: 2, length: 1, base: 0, offset: 0, extra: 0 });
    expectCode(() => direct.cursor().reset(), "EINVAL");
  });
});
