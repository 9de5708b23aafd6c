/** Property tests: bio chains <-> CpuRangeList against a byte-level reference, with real data. */

import type { CpuRangeList } from "@rlist/dma";
import { isRlistError } from "@rlist/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Bio, BioSegmentCursor, BvecCursor, bioToCpuRangeList, cpuRangeListToBios } from "../src/index.js";
import { bvecRuns, firstDifference, pushRun, type Run, segmentRuns } from "./model.js";
import { twoBarMachine } from "./two-bar-machine.js";

/** RAM [0, 64 MiB), provider A's pages at 64 MiB, provider B's at 128 MiB (1 MiB each). */
const { memory } = twoBarMachine();
const BASES = [0, 0x400_0000, 0x800_0000] as const;
const REGION = 0x10_0000; // every generated bio stays in the first 1 MiB of its kind

interface BioSpec {
  kind: 0 | 1 | 2;
  /** [gap before the bvec (0 = contiguous with the previous one), length, extra pages in offset] */
  vecs: [number, number, number][];
}

const arbBioSpec: fc.Arbitrary<BioSpec> = fc.record({
  kind: fc.constantFrom(0, 0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
  vecs: fc.array(
    fc.tuple(
      fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 9000 })),
      fc.oneof(
        fc.integer({ min: 1, max: 3 }).map((k) => k * 4096),
        fc.integer({ min: 1, max: 9000 }),
      ),
      fc.nat(2),
    ),
    { minLength: 1, maxLength: 6 },
  ),
});

/**
 * Bios with physically increasing, non-overlapping bvecs per kind (so every byte has one place),
 * plus the byte-level reference: the runs in order with their pgmap.
 */
function build(specs: BioSpec[]) {
  const next = [0x1000, 0x1000, 0x1000];
  const bios: Bio[] = [];
  const ref: { phys: number; len: number; kind: number }[] = [];
  for (const s of specs) {
    const vecs = [];
    for (const [gap, len, extra] of s.vecs) {
      const start = BASES[s.kind] + next[s.kind]! + gap;
      if (start + len > BASES[s.kind] + REGION) break;
      next[s.kind] = start + len - BASES[s.kind];
      const page = Math.floor(start / 4096);
      const j = Math.min(extra, page);
      vecs.push({ page: page - j, offset: (start % 4096) + j * 4096, len });
      ref.push({ phys: start, len, kind: s.kind });
    }
    if (vecs.length > 0) bios.push(Bio.fromVecs(vecs, { pgmaps: memory }));
  }
  return { head: bios.length > 0 ? Bio.chain(bios) : null, ref };
}

function alignSpec(s: BioSpec): BioSpec {
  return {
    kind: s.kind,
    vecs: s.vecs.map(([gap, len, extra]) => [gap & ~511, Math.max(512, len & ~511), extra]),
  };
}

/** Maximal runs of the reference: contiguous and of one kind. */
function refEntries(ref: { phys: number; len: number; kind: number }[]): [number, number][] {
  const out: [number, number, number][] = [];
  for (const r of ref) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === r.phys && last[2] === r.kind) last[1] += r.len;
    else out.push([r.phys, r.len, r.kind]);
  }
  return out.map(([p, l]) => [p, l]);
}

function listRuns(list: CpuRangeList): [number, number][] {
  return list.toArray().map((e) => [e.phys, e.length]);
}

describe("bio chain -> CpuRangeList", () => {
  it("entries are the maximal same-pgmap runs; segments and bvecs cover the same bytes; data round-trips", () => {
    fc.assert(
      fc.property(fc.array(arbBioSpec, { minLength: 1, maxLength: 4 }), fc.integer(), (specs, seed) => {
        const { head, ref } = build(specs);
        if (head === null) return;
        const r = bioToCpuRangeList(memory, head);
        const expected = refEntries(ref);
        expect(listRuns(r.list)).toEqual(expected);
        expect(r.entries).toBe(expected.length);
        expect(r.bvecs).toBe(ref.length);
        expect(r.saved).toBe(ref.length - expected.length);
        // Byte coverage, in order, through both cursors and the list.
        const flat: Run[] = [];
        for (const [p, l] of expected) pushRun(flat, p, l);
        expect(segmentRuns(head, true)).toEqual(flat);
        expect(bvecRuns(head, true)).toEqual(flat);
        // Data: write a pattern through the segment cursor, read it back through the list.
        const total = head.chainSize();
        const data = new Uint8Array(total);
        for (let i = 0; i < total; i++) data[i] = (i * 31 + seed) & 0xff;
        const c = new BioSegmentCursor();
        for (let ok = c.reset(head, true); ok; ok = c.next())
          memory.write(c.phys, data.subarray(c.position, c.position + c.len));
        const back = new Uint8Array(total);
        r.list.copyTo(back, 0);
        expect(firstDifference(back, data)).toBe(-1);
      }),
      { numRuns: 150 },
    );
  });
});

describe("CpuRangeList -> bio chain", () => {
  it("bios obey maxVecs and the pgmap rule, cuts are block aligned, and the bytes round-trip", () => {
    fc.assert(
      fc.property(
        fc.array(arbBioSpec, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(512, 4096),
        fc.nat(1000),
        (rawSpecs, sectorAligned, maxVecs, lbs, sector) => {
          // Half the cases use sector-aligned bvecs (what block I/O really carries).
          const specs = sectorAligned ? rawSpecs.map(alignSpec) : rawSpecs;
          const { head, ref } = build(specs);
          if (head === null) return;
          const { list } = bioToCpuRangeList(memory, head);
          // A pgmap change inside a block cannot be cut: the reference says when to expect EINVAL.
          let pos = 0;
          let unalignedChange = false;
          const runs = refEntries(ref);
          const kinds = runs.map(([p]) => memory.pgmapIdOf(Math.floor(p / 4096)));
          for (let i = 0; i < runs.length; i++) {
            if (i > 0 && kinds[i] !== kinds[i - 1] && pos % lbs !== 0) unalignedChange = true;
            pos += runs[i]![1];
          }
          let out: Bio;
          try {
            out = cpuRangeListToBios(list, { maxVecs, logicalBlockSize: lbs, sector, op: "WRITE" });
          } catch (e) {
            expect(isRlistError(e, "EINVAL")).toBe(true);
            if (!unalignedChange) expect(String(e)).toMatch(/less than one/);
            return;
          }
          expect(unalignedChange).toBe(false);
          const bios = [...out.bios()];
          let s = sector;
          for (const [i, b] of bios.entries()) {
            expect(b.vcnt).toBeLessThanOrEqual(maxVecs);
            expect(b.sector).toBe(s);
            s += b.size / 512;
            if (i < bios.length - 1) expect(b.size % lbs).toBe(0);
            const pg = new Set<number>();
            const c = new BvecCursor();
            for (let ok = c.reset(b); ok; ok = c.next()) pg.add(memory.pgmapIdOf(Math.floor(c.phys / 4096)));
            expect(pg.size).toBeLessThanOrEqual(1);
          }
          expect(listRuns(bioToCpuRangeList(memory, out).list)).toEqual(listRuns(list));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("bio chain -> a caller's CpuRangeList", () => {
  /** Everything a caller can observe of a list. */
  function snapshot(list: CpuRangeList) {
    return {
      entries: JSON.stringify(list.toArray()),
      count: list.count,
      length: list.length,
      isPageList: list.isPageList,
      hasP2P: list.hasP2P,
      providers: [...list.providers],
      chunks: list.stats().chunks,
    };
  }

  it("appends like one longer chain; a failure half way leaves the list exactly as it was", () => {
    fc.assert(
      fc.property(
        fc.array(arbBioSpec, { minLength: 1, maxLength: 3 }),
        fc.array(arbBioSpec, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.boolean(),
        (specsA, specsB, sealed, fail) => {
          const a = build(specsA);
          const b = build(specsB);
          if (a.head === null || b.head === null) return;
          // Small chunks, so a failing append really opens and then gives back chunks.
          const list = bioToCpuRangeList(memory, a.head, { chunkBytes: 128 }).list;
          if (sealed) list.seal();
          const expected = sealed
            ? [...refEntries(a.ref), ...refEntries(b.ref)]
            : refEntries([...a.ref, ...b.ref]);
          if (fail) {
            const before = snapshot(list);
            // B's bytes, then a RAM page and a page with no struct page (a hole at 512 MiB).
            const bad = Bio.fromVecs([
              { page: 0x100, offset: 0, len: 4096 },
              { page: 0x2_0000, offset: 0, len: 4096 },
            ]);
            const chain = Bio.chain([...build(specsB).head!.bios(), bad]);
            expect(() => bioToCpuRangeList(memory, chain, { list })).toThrow(/EFAULT/);
            expect(snapshot(list)).toEqual(before);
          }
          const countBefore = list.count;
          const r = bioToCpuRangeList(memory, b.head, { list });
          expect(r.list).toBe(list);
          expect(listRuns(list)).toEqual(expected);
          expect(r.entries).toBe(list.count - countBefore);
          expect(r.bvecs).toBe(b.ref.length);
        },
      ),
      { numRuns: 150 },
    );
  });
});
