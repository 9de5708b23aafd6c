import { isRlistError } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CountdownFaults } from "../../src/iommu/faults.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import { PinTable, pinTable } from "../../src/rdma/pin-table.js";
import { FakeFolios } from "./fake-memory.js";

describe("pinTable()", () => {
  it("is one table per memory", () => {
    const a = new FakeFolios(16);
    const b = new FakeFolios(16);
    expect(pinTable(a)).toBe(pinTable(a));
    expect(pinTable(a)).not.toBe(pinTable(b));
  });

  it("counts one pin per page on the folio head, like folio->_pincount", () => {
    const mem = new FakeFolios(2048).declare(512, 9);
    const t = new PinTable(mem);
    t.pinPages(510, 4); // 510, 511 (order-0), 512, 513 (the 2 MiB folio)
    expect(t.pinCount(510)).toBe(1);
    expect(t.pinCount(511)).toBe(1);
    expect(t.pinCount(512)).toBe(2);
    expect(t.pinCount(1023)).toBe(2); // any page of the folio reports the folio's pins
    expect(t.pinnedPages).toBe(4);
    expect(t.pinnedFolios).toBe(3);
    t.unpinPages(512, 2);
    expect(t.pinCount(700)).toBe(0);
    expect(t.pinnedFolios).toBe(2);
  });

  it("refuses a double unpin with EINVAL and changes nothing", () => {
    const mem = new FakeFolios(64).declare(8, 3);
    const t = new PinTable(mem);
    t.pinPages(6, 6);
    t.unpinPages(6, 6);
    expectCode(() => t.unpinPages(6, 6), "EINVAL");
    expect(t.pinnedPages).toBe(0);
    t.pinPages(0, 4);
    const before = t.snapshot();
    expectCode(() => t.unpinPages(2, 4), "EINVAL"); // pages 4, 5 were never pinned
    expect(t.snapshot()).toEqual(before);
    expect(t.unpinCalls).toBe(1);
  });

  it("refuses pageless frames with EFAULT and pins nothing", () => {
    const t = new PinTable(new FakeFolios(32, new Set([20])));
    expectCode(() => t.pinPages(16, 8), "EFAULT");
    expect(t.pinnedPages).toBe(0);
    expectCode(() => t.pinPages(40, 1), "EFAULT");
  });

  it("rejects unsafe numbers with ERANGE", () => {
    const t = new PinTable(new FakeFolios(32));
    expectCode(() => t.pinPages(-1, 1), "ERANGE");
    expectCode(() => t.pinPages(0, 1.5), "ERANGE");
    expectCode(() => t.pinPages(2 ** 53, 1), "ERANGE");
    expectCode(() => t.pinCount(Number.NaN), "ERANGE");
  });

  it("matches a per-page reference model for any pin/unpin sequence", () => {
    const N = 96;
    const op = fc.record({
      pin: fc.boolean(),
      start: fc.nat(N - 1),
      len: fc.integer({ min: 0, max: 40 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.subarray([0, 16, 32, 64]), (ops, large) => {
        const mem = new FakeFolios(N + 8, new Set([N + 2]));
        for (const h of large) mem.declare(h, h === 64 ? 5 : 3);
        const t = new PinTable(mem);
        const perPage = new Array<number>(N + 8).fill(0);
        for (const o of ops) {
          const pfns = Array.from({ length: o.len }, (_, i) => o.start + i);
          const valid = o.pin
            ? pfns.every((p) => mem.folioHead(p) >= 0)
            : // an unpin is valid when every folio it touches keeps >= 0 pins
              [...groupByHead(mem, pfns)].every(([head, n]) => folioPins(mem, perPage, head) >= n);
          const before = t.snapshot();
          let threw = false;
          try {
            if (o.pin) t.pinPages(o.start, o.len);
            else t.unpinPages(o.start, o.len);
          } catch (e) {
            threw = true;
            expect(isRlistError(e)).toBe(true);
            expect(t.snapshot()).toEqual(before);
          }
          expect(threw).toBe(!valid);
          if (valid) for (const p of pfns) perPage[p]! += o.pin ? 1 : -1;
          for (let p = 0; p < N; p++) {
            const head = mem.folioHead(p);
            if (head >= 0) expect(t.pinCount(p)).toBe(folioPins(mem, perPage, head));
          }
          expect(t.pinnedPages).toBe(perPage.reduce((a, b) => a + b, 0));
        }
      }),
      { numRuns: 60 },
    );
  });
});

function groupByHead(mem: FakeFolios, pfns: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const p of pfns) {
    const h = mem.folioHead(p);
    m.set(h, (m.get(h) ?? 0) + 1);
  }
  return m;
}

function folioPins(mem: FakeFolios, perPage: number[], head: number): number {
  let n = 0;
  for (let p = head; p < head + 2 ** mem.folioOrder(head); p++) n += perPage[p] ?? 0;
  return n;
}

describe("pin fault injection (site 'pin')", () => {
  it("a failing pinPages is ENOMEM with nothing pinned; setFaults(null) turns it off", () => {
    const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 30, kind: "ram" }] });
    const pins = pinTable(memory);
    const faults = new CountdownFaults(1, ["pin"]);
    pins.setFaults(faults);
    pins.pinPages(0x100, 4);
    expectCode(() => pins.pinPages(0x200, 4), "ENOMEM");
    expect(pins.pinnedPages).toBe(4);
    expect(faults.calls).toBe(2);
    pins.setFaults(null);
    pins.pinPages(0x200, 4);
    pins.unpinPages(0x100, 4);
    pins.unpinPages(0x200, 4);
    expect(pins.pinnedPages).toBe(0);
    expectCode(() => pins.setFaults({} as never), "EINVAL");
  });
});
