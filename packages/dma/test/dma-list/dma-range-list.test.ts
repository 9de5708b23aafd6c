import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ArrayDmaCursor } from "../../src/dma-list/dma-entries.js";
import { DmaKind, DmaRangeList, dmaKindName } from "../../src/dma-list/dma-range-list.js";
import { numSegments } from "../../src/dma-list/segments.js";
import { ArrayCpuList } from "../mapping/helpers.js";

describe("DmaRangeList", () => {
  it("T-K3 rlist_dma.simple_test", () => {
    const l = new DmaRangeList();
    expect(l.isEmpty).toBe(true);
    expect(l.count).toBe(0);
    l.append(DmaKind.IOVA, 10, 11);
    expect(l.count).toBe(1);
    expect(l.toArray()).toEqual([{ dmaAddress: 10, length: 11, kind: DmaKind.IOVA }]);
    // A relative entry with base 10 and length 11 takes the 8-byte form.
    expect(l.storage!.stats().byForm).toEqual({ 8: 1, 16: 0, 24: 0 });
    l.clear();
    expect(l.isEmpty).toBe(true);
  });

  it("decode: relative entries follow the base, absolute ones do not (docs/vectors.md#rlist_dma-vectors)", () => {
    const l = new DmaRangeList();
    l.appendRelative(0x1800, 0x100);
    l.append(DmaKind.BUS_ADDR, 0x1_e000_0000, 0x10000);
    l.setBase(0x8000_0000);
    expect(l.toArray()).toEqual([
      { dmaAddress: 0x8000_1800, length: 0x100, kind: DmaKind.IOVA },
      { dmaAddress: 0x1_e000_0000, length: 0x10000, kind: DmaKind.BUS_ADDR },
    ]);
    l.setBase(0x4000_0000);
    expect(l.toArray()[0]!.dmaAddress).toBe(0x4000_1800);
    const c = l.cursor();
    c.reset();
    expect(c.storedBase).toBe(0x1800);
    expect(c.dmaAddressBig).toBe(0x4000_1800n);
    expect(dmaKindName(DmaKind.BOUNCE)).toBe("BOUNCE");
    expect(() => l.append(DmaKind.IOVA, 0x100, 1)).toThrow(/EINVAL/);
  });

  it("keeps 64-bit bus addresses exact through appendBig", () => {
    const l = new DmaRangeList();
    l.appendBig(DmaKind.BUS_ADDR, 0xffff_ffc0_8000_1000n, 0x1000n);
    const c = l.cursor();
    expect(c.reset()).toBe(true);
    expect(c.dmaAddressBig).toBe(0xffff_ffc0_8000_1000n);
    expect(() => c.dmaAddress).toThrow(/ERANGE/);
  });

  it("identity mode views the CPU list with the direct offset and stores nothing", () => {
    const cpu = new ArrayCpuList([
      { phys: 0x100010, length: 0x100 },
      { phys: 0xf000_0000, length: 0x1000 },
    ]);
    const l = DmaRangeList.identity(cpu, 0x1000);
    expect(l.isIdentity).toBe(true);
    expect(l.source).toBe(cpu);
    expect(l.count).toBe(2);
    expect(l.totalLength).toBe(0x1100);
    expect(l.toArray()).toEqual([
      { dmaAddress: 0x101010, length: 0x100, kind: DmaKind.DIRECT },
      { dmaAddress: 0xf000_1000, length: 0x1000, kind: DmaKind.DIRECT },
    ]);
    expect(l.stats()).toEqual({ entries: 2, bytes: 0, bytesPerEntry: 0, identity: true });
    expect(() => l.append(DmaKind.DIRECT, 0, 1)).toThrow(/EINVAL/);
  });

  it("its cursor drives the segment and block helpers", () => {
    const l = new DmaRangeList();
    l.append(DmaKind.DIRECT, 0x800, 0x1900);
    const seg = { minAlignMask: 0, segmentBoundaryMask: 0xfff, maxSegmentSize: 0x400 };
    expect(numSegments(l.cursor(), seg)).toBe(7);
    expect(l.numSegments(seg)).toBe(7);
    expect(numSegments(new ArrayDmaCursor([[0x800, 0x1900]]), seg)).toBe(7);
    const s = l.segments(seg);
    const lens: number[] = [];
    for (let ok = s.reset(); ok; ok = s.next()) lens.push(s.length);
    expect(lens).toEqual([0x400, 0x400, 0x400, 0x400, 0x400, 0x400, 0x100]);

    const b = new DmaRangeList();
    b.append(DmaKind.IOVA, 0x1800, 0x1000);
    b.append(DmaKind.IOVA, 0x3000, 0x2000);
    // B7: the first entry ends mid-block whatever the hwva.
    expect(b.findBestBlockSize({ ...seg, blockSizes: 0x1000 })).toBe(0);
    expect(b.findBestBlockSize({ ...seg, blockSizes: 0x1000, blockHwva: 0x800 })).toBe(0);
    expect(b.findBestBlockSize(seg)).toBe(0);
    const ok = new DmaRangeList();
    ok.append(DmaKind.IOVA, 0x1800, 0x800);
    ok.append(DmaKind.IOVA, 0x3000, 0x2000);
    expect(ok.findBestBlockSize({ ...seg, blockSizes: 0x1000 + 0x20_0000 })).toBe(0x1000);
    // With an hwva that disagrees modulo 4K, nothing works.
    expect(ok.findBestBlockSize({ ...seg, blockSizes: 0x1000, blockHwva: 0x10_0000 })).toBe(0);
    expect(b.blockOffset(0x1000)).toBe(0x800);
    expect(b.numBlocks(0x1000)).toBe(4);
    const blocks: number[] = [];
    const bc = b.blocks(0x1000);
    for (let ok = bc.reset(); ok; ok = bc.next()) blocks.push(bc.dmaAddress);
    expect(blocks).toEqual([0x1000, 0x2000, 0x3000, 0x4000]);
  });

  it("property: agrees with an array model; merge joins continuing entries of one kind except BOUNCE", () => {
    const op = fc.record({
      kind: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<DmaKind>,
      gap: fc.constantFrom(0, 0, 0x1000, 0x7000_0000),
      length: fc.integer({ min: 1, max: 0x20_0000 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.boolean(), fc.nat(2 ** 40), (ops, merge, base) => {
        const l = new DmaRangeList({ merge, chunkBytes: 128 });
        l.setBase(base);
        const model: Array<{ dmaAddress: number; length: number; kind: DmaKind }> = [];
        let addr = base;
        for (const o of ops) {
          addr += o.gap;
          const last = model[model.length - 1];
          if (
            merge &&
            last &&
            last.kind === o.kind &&
            o.kind !== DmaKind.BOUNCE &&
            last.dmaAddress + last.length === addr
          ) {
            last.length += o.length;
          } else model.push({ dmaAddress: addr, length: o.length, kind: o.kind });
          l.append(o.kind, addr, o.length);
          addr += o.length;
        }
        expect(l.toArray()).toEqual(model);
        expect(l.count).toBe(model.length);
        expect(l.totalLength).toBe(model.reduce((t, e) => t + e.length, 0));
        const c = l.cursor();
        let pos = 0;
        for (let ok = c.reset(); ok; ok = c.next()) {
          expect(c.position).toBe(pos);
          pos += c.length;
        }
        l.clear();
      }),
      { numRuns: 100 },
    );
  });
});
