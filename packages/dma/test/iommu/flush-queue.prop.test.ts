/**
 * Strict and lazy IOTLB invalidation against a small model: random map / device access / unmap /
 * advance-the-clock / flush sequences. The model states the rules directly:
 *
 * - the device reaches an IOVA page through the IOTLB if it used it since the last invalidation
 *   covering it (stale when the page is no longer mapped to the same place), else through the
 *   page table (which fills the IOTLB), else it faults;
 * - strict unmap: PTEs cleared, the range invalidated, the IOVA freed, all at once;
 * - lazy unmap: PTEs cleared; if the queue already holds size - 1 entries, flush first (IOTLB
 *   emptied, every parked IOVA freed); park the IOVA; arm the timer (now + timeout) if idle;
 * - the timer fires at its deadline: flush; an explicit flush is the same;
 * - exposure: bytes x ms from each lazy unmap to the flush after it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { deviceTranslate } from "../../src/mapping/device-view.js";
import { type DmaMapping, mapRangeList } from "../../src/mapping/mapper.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";

const PS = 4096;
const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });

type Op =
  | { kind: "map"; slots: number[] }
  | { kind: "touch"; pick: number }
  | { kind: "unmap"; pick: number }
  | { kind: "advance"; ms: number }
  | { kind: "flush" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("map" as const),
      slots: fc.uniqueArray(fc.nat(400), { minLength: 1, maxLength: 5 }),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("touch" as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("unmap" as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 7 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "flush" as const }) },
);

const configArb = fc.record({
  strict: fc.boolean(),
  size: fc.constantFrom(2, 4, 8),
  timeoutMs: fc.constantFrom(0, 3, 10),
});

interface Parked {
  pfn: number;
  bytes: number;
  since: number;
}

describe("IOTLB invalidation against a model", () => {
  it("what the device reaches, which IOVAs are held and the exposure follow the model", () => {
    fc.assert(
      fc.property(configArb, fc.array(opArb, { maxLength: 60 }), (cfg, ops) => {
        const iommu = new IommuDomain({
          strict: cfg.strict,
          flushQueue: { size: cfg.size, timeoutMs: cfg.timeoutMs },
        });
        const dev = new DmaDevice({ iommu });
        // Model state.
        let now = 0;
        let deadline = -1; // timer deadline, -1 when idle
        const live = new Map<number, number>(); // IOVA page -> phys page (mapped PTEs)
        const iotlb = new Map<number, number>(); // IOVA page -> phys page (cached translations)
        let parked: Parked[] = [];
        const mappings: DmaMapping[] = [];
        const everPages: number[] = []; // every IOVA page ever mapped, for device accesses
        let byteMs = 0;
        let maxWindow = 0;
        let unmappedBytes = 0;
        const flushes = { full: 0, timeout: 0, explicit: 0 };

        const flush = (reason: keyof typeof flushes) => {
          iotlb.clear();
          for (const p of parked) {
            byteMs += p.bytes * (now - p.since);
            maxWindow = Math.max(maxWindow, now - p.since);
          }
          parked = [];
          flushes[reason]++;
        };

        for (const op of ops) {
          switch (op.kind) {
            case "map": {
              // Scattered pages (2 * slot apart) so that every leaf is 4 KiB.
              const pfns = op.slots.map((s) => 0x1000 + 2 * s);
              const m = mapRangeList(dev, CpuRangeList.fromPfns(memory, pfns), {
                direction: "bidirectional",
              });
              pfns.forEach((pfn, i) => {
                const page = m.iova / PS + i;
                expect(live.has(page)).toBe(false);
                live.set(page, pfn);
                everPages.push(page);
              });
              mappings.push(m);
              break;
            }
            case "touch": {
              if (everPages.length === 0) break;
              const page = everPages[op.pick % everPages.length]!;
              const t = deviceTranslate(dev, page * PS + 0x123);
              const cached = iotlb.get(page);
              const mapped = live.get(page);
              if (cached !== undefined) {
                expect(t).toMatchObject({ ok: true, phys: cached * PS + 0x123, stale: mapped !== cached });
              } else if (mapped !== undefined) {
                expect(t).toMatchObject({ ok: true, phys: mapped * PS + 0x123, stale: false });
                if (!cfg.strict) iotlb.set(page, mapped);
              } else {
                expect(t).toEqual({ ok: false, fault: "iommu" });
              }
              break;
            }
            case "unmap": {
              const liveMappings = mappings.filter((m) => m.mapped);
              if (liveMappings.length === 0) break;
              const m = liveMappings[op.pick % liveMappings.length]!;
              const pages = m.iovaSize / PS;
              const first = m.iova / PS;
              m.unmap();
              for (let i = 0; i < pages; i++) live.delete(first + i);
              if (cfg.strict) {
                for (let i = 0; i < pages; i++) iotlb.delete(first + i);
                break;
              }
              if (parked.length === cfg.size - 1) flush("full");
              parked.push({ pfn: first, bytes: pages * PS, since: now });
              unmappedBytes += pages * PS;
              if (deadline < 0) deadline = now + cfg.timeoutMs;
              break;
            }
            case "advance": {
              const target = now + op.ms;
              if (deadline >= 0 && deadline <= target) {
                now = deadline;
                deadline = -1;
                flush("timeout");
              }
              now = target;
              iommu.clock.advance(op.ms);
              break;
            }
            case "flush": {
              if (cfg.strict) break;
              iommu.flushQueue!.flush();
              flush("explicit");
              break;
            }
          }
          // Held IOVA: live mappings' windows and parked ones, nothing else.
          const held = new Set(iommu.iovad.ranges().map(([lo]) => lo));
          const want = new Set([
            ...mappings.filter((m) => m.mapped).map((m) => m.iova / PS),
            ...parked.map((p) => p.pfn),
          ]);
          expect(held).toEqual(want);
          const openByteMs = parked.reduce((t, p) => t + p.bytes * (now - p.since), 0);
          expect(iommu.exposure()).toMatchObject({
            unmappedBytes,
            openBytes: parked.reduce((t, p) => t + p.bytes, 0),
            oldestOpenMs: parked.length === 0 ? 0 : now - parked[0]!.since,
            byteMs: byteMs + openByteMs,
            maxWindowMs: Math.max(maxWindow, parked.length === 0 ? 0 : now - parked[0]!.since),
            flushes: cfg.strict ? { full: 0, timeout: 0, explicit: 0 } : flushes,
            queued: parked.length,
            staleIotlbEntries: [...iotlb].filter(([page, phys]) => live.get(page) !== phys).length,
          });
        }
        // Teardown: unmap everything, flush, and nothing is left mapped, held or reachable.
        for (const m of mappings) if (m.mapped) m.unmap();
        iommu.flushQueue?.flush();
        expect(iommu.idle).toBe(true);
        for (const page of everPages) expect(deviceTranslate(dev, page * PS).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
