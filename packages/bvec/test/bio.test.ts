import { describe, expect, it } from "vitest";
import { expectCode } from "../../../scripts/expect-code.js";
import {
  Bio,
  BioSegmentCursor,
  BvecArray,
  BvecIter,
  bvecIterAdvance,
  bvecIterAdvanceExact,
  bvecIterAdvanceSingle,
  mpBvecIterLen,
  P2pMixError,
  queueLimits,
} from "../src/index.js";

describe("BvecArray", () => {
  it("stores 16 bytes per bvec and round-trips large PFNs exactly", () => {
    const a = new BvecArray(4);
    expect(a.words.byteLength).toBe(64);
    a.push(2 ** 41 - 2, 0x1000, 0);
    a.push(0x1_2345_6789, 7, 0xfff);
    expect(a.toArray()).toEqual([
      { page: 2 ** 41 - 2, len: 0x1000, offset: 0 },
      { page: 0x1_2345_6789, len: 7, offset: 0xfff },
    ]);
    expect(a.pageBig(1)).toBe(0x1_2345_6789n);
    expect(a.phys(1)).toBe(0x1_2345_6789 * 4096 + 0xfff);
  });

  it("rejects bad fields and a full table without changing anything", () => {
    const a = new BvecArray(1);
    expectCode(() => a.push(-1, 1, 0), "ERANGE");
    expectCode(() => a.push(1, 2 ** 32, 0), "ERANGE");
    expectCode(() => a.push(1, 1, 0.5), "ERANGE");
    expectCode(() => a.push(2 ** 41, 1, 0), "ERANGE"); // phys above 2^53-1
    a.push(1, 1, 0);
    expectCode(() => a.push(2, 1, 0), "ENOSPC");
    expect(a.count).toBe(1);
    expectCode(() => a.get(1), "EFAULT");
  });
});

describe("BvecIter", () => {
  it("keeps bi_sector exact over the full u64 range", () => {
    const it = new BvecIter({ sector: 2 ** 53 - 1 });
    it.addSectors(1);
    expect(it.sectorBig).toBe(2n ** 53n);
    expectCode(() => it.sector, "ERANGE");
    it.sectorBig = 2n ** 64n - 1n;
    it.addSectors(2);
    expect(it.sectorBig).toBe(1n); // wraps like a u64
    expectCode(() => {
      it.sectorBig = 2n ** 64n;
    }, "ERANGE");
  });

  it("steps over zero-length bvecs only while bytes remain", () => {
    const v = BvecArray.from([
      { page: 1, len: 100, offset: 0 },
      { page: 2, len: 0, offset: 0 },
      { page: 3, len: 50, offset: 0 },
    ]);
    const it = new BvecIter({ size: 150 });
    bvecIterAdvance(v, it, 100);
    expect([it.idx, it.bvecDone]).toEqual([1, 0]); // parked on the empty bvec
    bvecIterAdvance(v, it, 1);
    expect([it.idx, it.bvecDone, it.size]).toEqual([2, 1, 49]);
  });

  it("advanceExact refuses an overrun and leaves the iterator alone", () => {
    const v = BvecArray.from([{ page: 1, len: 100, offset: 0 }]);
    const it = new BvecIter({ size: 100 });
    expectCode(() => bvecIterAdvanceExact(v, it, 101), "ERANGE");
    expect([it.size, it.idx, it.bvecDone]).toEqual([100, 0, 0]);
  });

  it("advanceSingle refuses to leave the current bvec", () => {
    const v = BvecArray.from([
      { page: 1, len: 100, offset: 0 },
      { page: 5, len: 100, offset: 0 },
    ]);
    const it = new BvecIter({ size: 200 });
    expectCode(() => bvecIterAdvanceSingle(v, it, 101), "ERANGE");
    bvecIterAdvanceSingle(v, it, 100);
    expect([it.idx, it.bvecDone, it.size]).toEqual([1, 0, 100]);
  });

  it("reports EFAULT when bi_size claims more bytes than the table holds", () => {
    const v = BvecArray.from([{ page: 1, len: 100, offset: 0 }]);
    const it = new BvecIter({ size: 300 });
    expectCode(() => bvecIterAdvance(v, it, 200), "EFAULT");
    expect([it.size, it.idx]).toEqual([300, 0]);
    bvecIterAdvance(v, it, 100);
    expectCode(() => mpBvecIterLen(v, it), "EFAULT");
  });
});

describe("Bio.addPage", () => {
  it("merges physically contiguous pages into multi-page bvecs", () => {
    const bio = new Bio({ op: "WRITE" });
    expect(bio.addPage(10, 4096, 0)).toBe("added");
    expect(bio.addPage(11, 4096, 0)).toBe("merged");
    expect(bio.addPage(12, 512, 0)).toBe("merged");
    expect(bio.addPage(12, 512, 512)).toBe("merged"); // byte adjacency inside a page
    expect(bio.addPage(12, 512, 2048)).toBe("added"); // hole
    expect(bio.addPage(20, 4096, 0)).toBe("added");
    expect(bio.vecs.toArray()).toEqual([
      { page: 10, len: 9216, offset: 0 },
      { page: 12, len: 512, offset: 2048 },
      { page: 20, len: 4096, offset: 0 },
    ]);
    expect(bio.size).toBe(9216 + 512 + 4096);
  });

  it("with limits, never merges across a segment boundary or past max_segment_size", () => {
    const lim = queueLimits({ segBoundaryMask: 0xffff, maxSegmentSize: 8192 });
    const bio = new Bio();
    bio.addPage(0xe, 4096, 0); // 0xE000..0xEFFF
    expect(bio.addPage(0xf, 4096, 0, lim)).toBe("merged"); // still below 0x10000
    expect(bio.addPage(0x10, 4096, 0, lim)).toBe("added"); // would cross 64 KiB
    expect(bio.addPage(0x11, 4096, 0, lim)).toBe("merged");
    expect(bio.addPage(0x12, 4096, 0, lim)).toBe("added"); // 12 KiB > max segment
    expect(bio.vcnt).toBe(3);
  });

  it("refuses to mix pgmaps with a typed error and changes nothing", () => {
    const pgmaps = { pgmapIdOf: (pfn: number) => (pfn >= 0x1000 ? 7 : pfn >= 0x800 ? 3 : 0) };
    const bio = new Bio({ pgmaps });
    bio.addPage(0x10, 4096, 0);
    let err: unknown;
    try {
      bio.addPage(0x1000, 4096, 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(P2pMixError);
    expect(err).toMatchObject({ code: "EINVAL", bioPgmap: 0, pagePgmap: 7 });
    expect([bio.vcnt, bio.size]).toEqual([1, 4096]);

    const p2p = new Bio({ pgmaps });
    p2p.addPage(0x1000, 4096, 0);
    p2p.addPage(0x1001, 4096, 0);
    expect(() => p2p.addPage(0x800, 4096, 0)).toThrow(P2pMixError); // another provider
    expect(() => p2p.addPage(0x10, 4096, 0)).toThrow(P2pMixError); // ordinary RAM
    expect(p2p.vecs.toArray()).toEqual([{ page: 0x1000, len: 8192, offset: 0 }]);
    const holes = new Bio({ pgmaps: { pgmapIdOf: (pfn: number) => (pfn === 0x66 ? -1 : 0) } });
    expectCode(() => holes.addPage(0x66, 4096, 0), "EFAULT");
    expect(holes.vcnt).toBe(0);
  });

  it("fails with ENOSPC when full or when bi_size would overflow", () => {
    const bio = new Bio({ maxVecs: 2 });
    bio.addPage(1, 100, 0);
    bio.addPage(3, 100, 0);
    expectCode(() => bio.addPage(5, 100, 0), "ENOSPC");
    expect(bio.addPage(3, 100, 100)).toBe("merged"); // a merge still fits
    const big = new Bio();
    big.addPage(0, 0xffff_f000, 0);
    expectCode(() => big.addPage(0x100000, 0x1000, 0), "ENOSPC");
    expect(big.addPage(0x100000, 0xfff, 0)).toBe("added");
    expect(big.size).toBe(0xffff_ffff);
  });

  it("rejects clones and zero lengths", () => {
    const bio = new Bio();
    bio.addPage(1, 100, 0);
    expectCode(() => bio.clone().addPage(2, 1, 0), "EINVAL");
    expectCode(() => bio.addPage(2, 0, 0), "EINVAL");
  });
});

describe("Bio.view", () => {
  it("iterates a window of a shared table and cannot add pages", () => {
    const table = BvecArray.from([
      { page: 1, len: 4096, offset: 0 },
      { page: 7, len: 4096, offset: 0 },
      { page: 9, len: 4096, offset: 0 },
    ]);
    const bio = Bio.view(table, { sector: 8, idx: 1, bvecDone: 1024, size: 4096 });
    const seen: number[][] = [];
    const c = new BioSegmentCursor();
    for (let ok = c.reset(bio); ok; ok = c.next()) seen.push([c.page, c.offset, c.len]);
    expect(seen).toEqual([
      [7, 1024, 3072],
      [9, 0, 1024],
    ]);
    expect([bio.sector, bio.cloned]).toEqual([8, true]);
    expectCode(() => bio.addPage(3, 1, 0), "EINVAL");
    expectCode(() => Bio.view(table, { idx: 2, size: 4097 }), "EFAULT");
    expectCode(() => Bio.view(table, { idx: 1, bvecDone: 5000, size: 1 }), "EFAULT");
  });
});

describe("Bio.advance and chains", () => {
  it("moves bi_sector by whole sectors and the bvec iterator by bytes", () => {
    const bio = Bio.fromVecs([{ page: 1, len: 8192, offset: 0 }], { sector: 100 });
    expect(bio.advance(1536)).toBe(true);
    expect([bio.sector, bio.size, bio.iter.bvecDone]).toEqual([103, 8192 - 1536, 1536]);
    expect(bio.advance(1e6)).toBe(false);
    expect([bio.size, bio.iter.idx, bio.iter.bvecDone, bio.sector]).toEqual([0, 1, 0, 116]);
  });

  it("no-data ops only shrink bi_size", () => {
    const bio = new Bio({ op: "DISCARD", sector: 8 });
    bio.iter.size = 1 << 20;
    bio.advance(4096);
    expect([bio.size, bio.sector, bio.iter.idx]).toEqual([(1 << 20) - 4096, 16, 0]);
    const c = new BioSegmentCursor();
    expect(c.reset(bio)).toBe(false);
    expect(c.len).toBe(0);
    expect(c.next()).toBe(false);
  });

  it("cursors follow bi_next when asked", () => {
    const a = Bio.fromVecs([{ page: 1, len: 4096, offset: 0 }]);
    const b = Bio.fromVecs([{ page: 9, len: 6000, offset: 100 }]);
    const head = Bio.chain([a, b]);
    expect(head.chainSize()).toBe(10096);
    const seen: number[][] = [];
    const c = new BioSegmentCursor();
    for (let ok = c.reset(head, true); ok; ok = c.next()) seen.push([c.page, c.offset, c.len, c.position]);
    expect(seen).toEqual([
      [1, 0, 4096, 0],
      [9, 100, 3996, 4096],
      [10, 0, 2004, 8092],
    ]);
    let n = 0;
    for (let ok = c.reset(head); ok; ok = c.next()) n++;
    expect(n).toBe(1);
  });
});
