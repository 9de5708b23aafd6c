/**
 * Issue 12 item 11 (bvec part): every public entry point, called with each argument replaced in
 * turn by a hostile value, either works or throws an RlistError: never a TypeError, a RangeError or
 * a hang (a bvec_iter with a NaN field used to loop forever in bvecIterAdvance).
 */
import * as dma from "@rlist/dma";
import { isRlistError } from "@rlist/encoding";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../scripts/expect-code.js";
import { hostileArgumentDefects, sweepExports } from "../../../scripts/hostile-arguments.js";
import * as bvec from "../src/index.js";

const memory = new dma.PhysicalMemory({ regions: [{ start: 0, size: 2 ** 32, kind: "ram" }] });
const mkList = () => dma.CpuRangeList.fromPfns(memory, [0x100, 0x101, 0x300]);
const dev = () => new dma.DmaDevice({ iommu: new dma.IommuDomain() });

type Case = [string, (...a: unknown[]) => unknown, unknown[]];
const cases: Case[] = [
  ["new BvecArray", (a) => new bvec.BvecArray(a as never), [4]],
  ["BvecArray.from", (a) => bvec.BvecArray.from(a as never), [[{ page: 1, offset: 0, len: 4096 }]]],
  ["bvecs.push", (a, b, c) => new bvec.BvecArray(4).push(a as never, b as never, c as never), [1, 4096, 0]],
  [
    "bvecs.truncate",
    (a) => bvec.BvecArray.from([{ page: 1, offset: 0, len: 4096 }]).truncate(a as never),
    [0],
  ],
  ["checkBioVec", (a, b, c) => bvec.checkBioVec(a as never, b as never, c as never), [1, 4096, 0]],
  ["bvecPhys", (a) => bvec.bvecPhys(a as never), [{ page: 1, offset: 0, len: 4096 }]],
  [
    "Bio.fromVecs",
    (a, b) => bvec.Bio.fromVecs(a as never, b as never),
    [[{ page: 1, offset: 0, len: 4096 }], {}],
  ],
  ["new Bio", (a) => new bvec.Bio(a as never), [{}]],
  [
    "bio.addPage",
    (a, b, c) => new bvec.Bio({ maxVecs: 4 }).addPage(a as never, b as never, c as never),
    [1, 4096, 0],
  ],
  ["new BvecIter", (a) => new bvec.BvecIter(a as never), [{}]],
  [
    "bvecIterAdvance",
    (a, b, c) => bvec.bvecIterAdvance(a as never, b as never, c as never),
    [bvec.BvecArray.from([{ page: 1, offset: 0, len: 4096 }]), new bvec.BvecIter({ size: 4096 }), 512],
  ],
  ["queueLimits", (a) => bvec.queueLimits(a as never), [{}]],
  [
    "getMaxSegmentSize",
    (a, b, c) => bvec.getMaxSegmentSize(a as never, b as never, c as never),
    [bvec.queueLimits({}), 0x1000, 0x1000],
  ],
  [
    "bioSplit",
    (a, b) => bvec.bioSplit(a as never, b as never),
    [bvec.Bio.fromVecs([{ page: 1, offset: 0, len: 4096 }]), 4],
  ],
  [
    "splitBio",
    (a, b) => bvec.splitBio(a as never, b as never),
    [bvec.Bio.fromVecs([{ page: 1, offset: 0, len: 4096 }]), bvec.queueLimits({})],
  ],
  [
    "splitToLimits",
    (a, b) => bvec.splitToLimits(a as never, b as never),
    [bvec.Bio.fromVecs([{ page: 1, offset: 0, len: 4096 }]), bvec.queueLimits({})],
  ],
  ["getMaxIoSize", (a, b) => bvec.getMaxIoSize(a as never, b as never), [0, bvec.queueLimits({})]],
  ["chunkSectorsLeft", (a, b) => bvec.chunkSectorsLeft(a as never, b as never), [0, 8]],
  [
    "bioSplitRwAt",
    (a, b, c) => bvec.bioSplitRwAt(a as never, b as never, c as never),
    [bvec.Bio.fromVecs([{ page: 1, offset: 0, len: 4096 }]), bvec.queueLimits({}), 4096],
  ],
  [
    "bvecGapToPrev",
    (a, b, c, d) => bvec.bvecGapToPrev(a as never, b as never, c as never, d as never),
    [bvec.queueLimits({}), 0, 4096, 0],
  ],
  [
    "bvecIterLen",
    (a, b) => bvec.bvecIterLen(a as never, b as never),
    [bvec.BvecArray.from([{ page: 1, offset: 0, len: 4096 }]), new bvec.BvecIter({ size: 4096 })],
  ],
  [
    "bvecIterAdvanceSingle",
    (a, b, c) => bvec.bvecIterAdvanceSingle(a as never, b as never, c as never),
    [bvec.BvecArray.from([{ page: 1, offset: 0, len: 4096 }]), new bvec.BvecIter({ size: 4096 }), 512],
  ],
  ["bio.advance", (a) => bvec.Bio.fromVecs([{ page: 1, offset: 0, len: 4096 }]).advance(a as never), [512]],
  ["bio.split", (a) => bvec.Bio.fromVecs([{ page: 1, offset: 0, len: 4096 }]).split(a as never), [{}]],
  [
    "physvec.reset",
    (a, b, c) => new bvec.PhysVecCursor().reset(a as never, b as never, c as never),
    [bvec.Bio.fromVecs([{ page: 1, offset: 0, len: 4096 }]), bvec.UNLIMITED_PHYS_VEC, null],
  ],
  [
    "bioToCpuRangeList",
    (a, b) => bvec.bioToCpuRangeList(a as never, b as never),
    [memory, bvec.Bio.fromVecs([{ page: 0x100, offset: 0, len: 4096 }], { pgmaps: memory })],
  ],
  ["cpuRangeListToBios", (a, b) => bvec.cpuRangeListToBios(a as never, b as never), [mkList(), {}]],
  [
    "mapRequest",
    (a, b, c) => bvec.mapRequest(a as never, b as never, c as never),
    [
      dev(),
      bvec.Bio.fromVecs([{ page: 0x100, offset: 0, len: 4096 }], { pgmaps: memory }),
      { direction: "to-device" },
    ],
  ],
  ["new DmaEngine", (a) => new bvec.DmaEngine(a as never), [memory]],
  [
    "engine.read",
    (a, b, c) => new bvec.DmaEngine(memory).read(a as never, b as never, c as never),
    [dev(), new dma.DmaRangeList(), 0],
  ],
  [
    "engine.write",
    (a, b, c) => new bvec.DmaEngine(memory).write(a as never, b as never, c as never),
    [dev(), new dma.DmaRangeList(), new Uint8Array(0)],
  ],
  [
    "forEachBvec",
    (a, b) => bvec.forEachBvec(a as never, b as never),
    [bvec.Bio.fromVecs([{ page: 1, offset: 0, len: 4096 }]), () => true],
  ],
  ["new PhysVecCursor", () => new bvec.PhysVecCursor(), []],
  ["requestPhysVecLimits", (a) => bvec.requestPhysVecLimits(a as never), [bvec.queueLimits({})]],
  [
    "biovecPhysMergeable",
    (a, b, c, d, e) => bvec.biovecPhysMergeable(a as never, b as never, c as never, d as never, e as never),
    [bvec.queueLimits({}), 0x1000, 0x1000, 0x2000, 0x1000],
  ],
];

describe("wrong-typed arguments are RlistErrors (issue 12 item 11)", () => {
  it("every export of @rlist/bvec, first four arguments hostile", () => {
    expect(sweepExports(bvec)).toEqual([]);
  });

  for (const [name, fn, base] of cases) {
    it(name, () => {
      fn(...base); // the base call works, so each failure below is the hostile argument's
      expect(hostileArgumentDefects(name, fn, base)).toEqual([]);
    });
  }

  it("a bvec_iter whose size was set to NaN is EINVAL, not an endless loop", () => {
    const vecs = bvec.BvecArray.from([{ page: 1, offset: 0, len: 4096 }]);
    const it = new bvec.BvecIter({ size: 4096 });
    it.size = Number.NaN;
    expectCode(() => bvec.bvecIterAdvance(vecs, it, 512), "EINVAL");
  });

  it("DmaEngine.read above DMA_ENGINE_MAX_READ is ENOMEM before anything is allocated", () => {
    const engine = new bvec.DmaEngine(memory);
    const list = new dma.DmaRangeList();
    expectCode(() => engine.read(dev(), list, bvec.DMA_ENGINE_MAX_READ + 1), "ENOMEM");
  });
});

describe("BvecArray.truncate", () => {
  it("refuses a count that is not a u32 and keeps the bvecs (a bigint count used to be stored)", () => {
    const vecs = bvec.BvecArray.from([
      { page: 1, offset: 0, len: 4096 },
      { page: 2, offset: 0, len: 4096 },
    ]);
    for (const bad of [1n, Number.NaN, "1", -1, 0.5]) {
      expectCode(() => vecs.truncate(bad as never), "ERANGE");
      expect(vecs.count).toBe(2);
    }
    vecs.truncate(5);
    expect(vecs.count).toBe(2);
    vecs.truncate(1);
    expect(vecs.count).toBe(1);
  });
});

describe("bios, bvec tables and iterators refuse what is not theirs (found by the hostile-input suite)", () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return isRlistError(err) ? err.code : `not typed: ${String(err)}`;
    }
    return "returned";
  };
  it("Bio.chain links nothing unless every element is a distinct Bio", () => {
    const a = new bvec.Bio();
    const b = new bvec.Bio();
    const plain = { next: "untouched" };
    expect(code(() => bvec.Bio.chain(Number.NaN as never))).toBe("EINVAL");
    expect(code(() => bvec.Bio.chain([a, plain] as never))).toBe("EINVAL");
    expect(code(() => bvec.Bio.chain([a, b, a]))).toBe("EINVAL");
    expect(a.next).toBe(null);
    expect(plain.next).toBe("untouched");
    expect(bvec.Bio.chain([a, b])).toBe(a);
    expect(a.next).toBe(b);
  });
  it("Bio.view, BvecArray.from's capacity, BvecIter#addSectors and cpuRangeListToBios' block size", () => {
    expect(code(() => bvec.Bio.view({} as never, {}))).toBe("EINVAL");
    expect(code(() => bvec.BvecArray.from([], Symbol("c") as never))).toMatch(/^E(INVAL|RANGE)$/);
    const it = new bvec.BvecIter({ sector: 8 });
    for (const n of [1n, Number.NaN, -1, 2 ** 32, "1"])
      expect(code(() => it.addSectors(n as never))).toBe("ERANGE");
    expect(it.sector).toBe(8);
    const l = mkList();
    expect(code(() => bvec.cpuRangeListToBios(l, { logicalBlockSize: Symbol("b") as never }))).toBe("EINVAL");
  });
});
