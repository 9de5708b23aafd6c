import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CountdownFaults } from "../../src/iommu/faults.js";
import {
  type ByteMemory,
  IO_TLB_SEGSIZE,
  IO_TLB_SIZE,
  SwiotlbPool,
  swiotlbMaxMappingSize,
} from "../../src/mapping/swiotlb.js";

/** A flat byte memory over [0, size). */
class FlatMemory implements ByteMemory {
  readonly bytes: Uint8Array;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  read(phys: number, out: Uint8Array): void {
    out.set(this.bytes.subarray(phys, phys + out.length));
  }
  write(phys: number, data: Uint8Array): void {
    this.bytes.set(data, phys);
  }
}

const SEG = IO_TLB_SIZE * IO_TLB_SEGSIZE;

describe("swiotlb", () => {
  it("SWIOTLB-1: min_align_mask 0xFFF keeps the low 12 bits (0xA30)", () => {
    const pool = new SwiotlbPool({ base: 0x100_0000, size: 4 * SEG });
    const tlb = pool.map(0x1234_5a30, 0x100, 0xfff);
    expect(tlb % 0x1000).toBe(0xa30);
    expect(tlb % IO_TLB_SIZE).toBe(0x230);
    expect(pool.originalOf(tlb + 0x10, 0xfff)).toBe(0x1234_5a40);
  });

  it("swiotlb_max_mapping_size: 256 KiB, or 252 KiB with a 4 KiB min_align_mask", () => {
    expect(swiotlbMaxMappingSize(0)).toBe(262_144);
    expect(swiotlbMaxMappingSize(0xfff)).toBe(258_048);
    const pool = new SwiotlbPool({ base: 0, size: 4 * SEG });
    expect(() => pool.map(0x1000, 258_049, 0xfff)).toThrow(/EINVAL/);
    expect(pool.usedSlots).toBe(0);
    const tlb = pool.map(0x1000, 258_048, 0xfff);
    expect(pool.usedSlots).toBe(126);
    pool.unmap(tlb, 258_048, "to-device", 0xfff);
    expect(pool.usedSlots).toBe(0);
  });

  it("bounces data: always in at map, back at unmap / sync only for FROM_DEVICE and BIDIRECTIONAL", () => {
    const mem = new FlatMemory(0x40_0000);
    const pool = new SwiotlbPool({ base: 0x20_0000, size: 4 * SEG, memory: mem });
    const orig = 0x1_0234;
    mem.bytes.set([1, 2, 3, 4, 5], orig);
    const tlb = pool.map(orig, 5, 0);
    expect([...mem.bytes.subarray(tlb, tlb + 5)]).toEqual([1, 2, 3, 4, 5]);
    // The device writes into the bounce buffer.
    mem.bytes.set([9, 9], tlb + 1);
    pool.syncForCpu(tlb, 5, "to-device", 0);
    expect(mem.bytes[orig + 1]).toBe(2);
    pool.syncForCpu(tlb, 5, "from-device", 0);
    expect([...mem.bytes.subarray(orig, orig + 5)]).toEqual([1, 9, 9, 4, 5]);
    mem.bytes[orig] = 7;
    pool.syncForDevice(tlb, 5, "bidirectional", 0);
    expect(mem.bytes[tlb]).toBe(7);
    mem.bytes[tlb + 4] = 42;
    pool.unmap(tlb, 5, "to-device", 0);
    expect(mem.bytes[orig + 4]).toBe(5);
    expect(pool.bouncedToCpu).toBe(5);
    expect(() => pool.syncForCpu(tlb, 5, "from-device", 0)).toThrow(/EINVAL/);
  });

  it("page-sized mappings without min_align_mask are page aligned; exhaustion is ENOMEM", () => {
    const pool = new SwiotlbPool({ base: 0x800, size: SEG });
    const a = pool.map(0x5000, 0x1000, 0);
    expect(a % 0x1000).toBe(0);
    const all: number[] = [a];
    for (;;) {
      try {
        all.push(pool.map(0x5000, 0x1000, 0));
      } catch (e) {
        expect(String(e)).toMatch(/ENOMEM/);
        break;
      }
    }
    expect(all.length).toBe(63); // the 2 KiB-offset base leaves one page-aligned run short
    for (const t of all) pool.unmap(t, 0x1000, "to-device", 0);
    expect(pool.usedSlots).toBe(0);
  });

  it("never crosses the device's segment boundary", () => {
    const pool = new SwiotlbPool({ base: 0, size: 2 * SEG });
    pool.map(0, 3 * IO_TLB_SIZE, 0); // slots 0..2
    const t = pool.map(0, 2 * IO_TLB_SIZE, 0, 0x1fff);
    expect(Math.floor(t / 0x2000)).toBe(Math.floor((t + 2 * IO_TLB_SIZE - 1) / 0x2000));
  });

  it("a failed slot search changes nothing", () => {
    const pool = new SwiotlbPool({ base: 0, size: SEG, faults: new CountdownFaults(0, ["swiotlb"]) });
    expect(() => pool.map(0x1000, 10, 0)).toThrow(/ENOMEM/);
    expect(pool.usedSlots).toBe(0);
    expect(pool.map(0x1000, 10, 0)).toBe(0);
  });

  it("property: live mappings are disjoint, keep min_align bits, translate back, and free fully", () => {
    const op = fc.record({
      map: fc.boolean(),
      orig: fc.nat(0x3f_ffff),
      size: fc.integer({ min: 1, max: 40_000 }),
      maskBits: fc.constantFrom(0, 11, 12, 13, 16),
      pick: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const pool = new SwiotlbPool({ base: 0x100_0000, size: 4 * SEG });
        const live: Array<{ tlb: number; size: number; orig: number; mask: number }> = [];
        for (const o of ops) {
          const mask = o.maskBits === 0 ? 0 : 2 ** o.maskBits - 1;
          if (o.map) {
            let tlb = -1;
            try {
              tlb = pool.map(o.orig, o.size, mask);
            } catch (e) {
              expect(String(e)).toMatch(/ENOMEM/);
              continue;
            }
            if (mask !== 0) expect(tlb % (mask + 1)).toBe(o.orig % (mask + 1));
            const first = Math.floor((tlb - pool.base) / IO_TLB_SIZE);
            const last = Math.floor((tlb + o.size - 1 - pool.base) / IO_TLB_SIZE);
            expect(Math.floor(first / IO_TLB_SEGSIZE)).toBe(Math.floor(last / IO_TLB_SEGSIZE));
            for (const m of live) expect(tlb + o.size <= m.tlb || m.tlb + m.size <= tlb).toBe(true);
            for (const j of [0, o.size >> 1, o.size - 1])
              expect(pool.originalOf(tlb + j, mask)).toBe(o.orig + j);
            live.push({ tlb, size: o.size, orig: o.orig, mask });
          } else if (live.length > 0) {
            const m = live.splice(o.pick % live.length, 1)[0]!;
            pool.unmap(m.tlb, m.size, "bidirectional", m.mask);
          }
        }
        for (const m of live) pool.unmap(m.tlb, m.size, "to-device", m.mask);
        expect(pool.usedSlots).toBe(0);
        // Every segment is whole again: four full-segment mappings fit.
        for (let i = 0; i < 4; i++) pool.map(0, SEG, 0);
      }),
      { numRuns: 150 },
    );
  });
});
