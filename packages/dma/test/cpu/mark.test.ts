/** CpuRangeList.mark() / rollback(): back to exactly the marked list, and which marks stay valid. */
import { ChunkPool, RangeList } from "@rlist/list";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { MarkHistory } from "../../src/cpu/mark.js";
import { applyOps, build, newList, opsArb, PS, STORES, type Store, world } from "./list-fixture.js";
import { ListModel } from "./model.js";

/** Everything observable about a list: entries, summary, storage, and where seeks land. */
function observe(list: CpuRangeList, probes: readonly number[]) {
  const seeks = probes.map((p) => {
    const c = list.seek(list.length === 0 ? 0 : p % list.length);
    return c === null ? null : [c.index, c.position];
  });
  return {
    entries: JSON.stringify(list.toArray()),
    count: list.count,
    length: list.length,
    isPageList: list.isPageList,
    hasP2P: list.hasP2P,
    providers: [...list.providers],
    stored: list.store.count,
    chunks: list.store instanceof RangeList ? list.store.chunkCount : -1,
    seeks,
  };
}

describe("rollback against a list built without the undone appends", () => {
  it("restores entries, the pending entry (later appends merge the same), summary, chunks and seeks", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STORES),
        opsArb,
        opsArb,
        opsArb,
        fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
        (store: Store, before, undone, after, probes) => {
          const { list, model, provider } = build(before, store);
          const m = list.mark();
          applyOps(undone, list, new ListModel(), provider);
          const c = list.cursor();
          c.reset();
          list.rollback(m);
          expectCode(() => c.next(), "EINVAL"); // cursors are stale
          const twin = build(before, store);
          expect(observe(list, probes)).toEqual(observe(twin.list, probes));
          // The pending entry is back: the next appends merge exactly as in the twin.
          applyOps(after, list, model, provider);
          applyOps(after, twin.list, twin.model, twin.provider);
          expect(observe(list, probes)).toEqual(observe(twin.list, probes));
          expect(list.toArray().map((e) => [e.phys, e.length])).toEqual(
            model.entries.map((e) => [e.phys, e.length]),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it("remembers where a sealed list ended (isPageList of the next append)", () => {
    const { memory } = world();
    const list = newList(memory, 128);
    list.appendPage(1, 0, 100); // ends inside a page
    list.seal();
    const m = list.mark();
    list.appendPage(3, 0, PS); // would end on a page boundary
    list.seal();
    list.rollback(m);
    list.appendPage(5, 0, PS);
    expect(list.isPageList).toBe(false);
  });

  it("gives the chunks of undone appends back to the pool", () => {
    const pool = new ChunkPool({ chunkBytes: 128 });
    const { memory } = world();
    const list = new CpuRangeList(memory, { pool });
    for (let i = 0; i < 20; i++) list.appendPage(2 * i, 0, PS);
    const m = list.mark();
    const inUse = pool.stats().chunksInUse;
    for (let i = 20; i < 200; i++) list.appendPage(2 * i, 100, 10);
    list.seal();
    expect(pool.stats().chunksInUse).toBeGreaterThan(inUse + 10);
    list.rollback(m);
    expect(pool.stats().chunksInUse).toBe(inUse);
  });
});

describe("which marks stay valid", () => {
  it("nested marks roll back inner then outer; a rollback kills the marks taken after its mark", () => {
    const { memory } = world();
    const list = newList(memory, 128);
    list.appendPage(1, 0, PS);
    const m1 = list.mark();
    list.appendPage(3, 0, PS);
    const m2 = list.mark();
    list.appendPage(5, 0, PS);
    list.rollback(m2);
    expect(list.count).toBe(2);
    list.rollback(m2); // still valid, nothing to undo
    list.appendPage(7, 0, PS);
    list.rollback(m1);
    expect(list.toArray().map((e) => e.phys)).toEqual([PS]);
    expectCode(() => list.rollback(m2), "EINVAL"); // its state is gone
    list.rollback(m1);
    const m3 = list.mark();
    list.appendPage(9, 0, PS);
    list.rollback(m3);
    list.rollback(m1);
    expect(list.count).toBe(1);
  });

  it("clear() kills every mark; a mark of another list or a store without truncate is refused", () => {
    const { memory } = world();
    const list = newList(memory, 512);
    list.appendPage(1, 0, PS);
    const m = list.mark();
    list.clear();
    expectCode(() => list.rollback(m), "EINVAL");
    const other = newList(memory, 512);
    expectCode(() => other.rollback(list.mark()), "EINVAL");
    expectCode(() => other.rollback({} as never), "EINVAL");
    const inner = new RangeList();
    const plain = new CpuRangeList(memory, {
      store: {
        get count() {
          return inner.count;
        },
        append: (e) => inner.append(e),
        clear: () => inner.clear(),
        cursor: () => inner.cursor(),
      },
    });
    expectCode(() => plain.rollback(plain.mark()), "EOPNOTSUPP");
  });

  it("MarkHistory agrees with a model that records every mark's fate", () => {
    type Step = { op: "mark" } | { op: "rollback"; pick: number } | { op: "clear" };
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      { weight: 4, arbitrary: fc.constant({ op: "mark" as const }) },
      { weight: 3, arbitrary: fc.record({ op: fc.constant("rollback" as const), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.constant({ op: "clear" as const }) },
    );
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), (steps) => {
        const h = new MarkHistory();
        const marks: { serial: number; clears: number; live: boolean }[] = [];
        for (const s of steps) {
          if (s.op === "mark") marks.push({ serial: h.take(), clears: h.clears, live: true });
          else if (s.op === "clear") {
            h.cleared();
            for (const m of marks) m.live = false;
          } else if (marks.length > 0) {
            const m = marks[s.pick % marks.length]!;
            expect(h.isLive(m.serial, m.clears)).toBe(m.live);
            if (m.live) {
              h.rolledBackTo(m.serial);
              for (const later of marks) if (later.serial > m.serial) later.live = false;
            }
          }
          for (const m of marks) expect(h.isLive(m.serial, m.clears)).toBe(m.live);
        }
      }),
      { numRuns: 200 },
    );
  });
});
