/**
 * Issue 12 item 11: the bio ops, flags, pgmap identities and limits the bvec exports take are
 * checked where they enter (EINVAL / ERANGE, nothing changed); NaN, numbers for flags and strings
 * for ops used to be accepted silently.
 */
import { describe, expect, it } from "vitest";
import { codeOf } from "../../../scripts/expect-code.js";
import * as bvec from "../src/index.js";

const bio = () => bvec.Bio.fromVecs([{ page: 1, offset: 0, len: 4096 }]);
const NOT_BOOLEAN: unknown[] = [Number.NaN, 1, "yes", null, Symbol("s")];
const NOT_OP: unknown[] = [Number.NaN, "read", 1n, null, Symbol("s"), {}];

describe("ops, flags and pgmap identities of the bvec exports are checked (issue 12 item 11)", () => {
  it("opHasData and new Bio take a bio op", () => {
    expect(["READ", "WRITE", "FLUSH"].map((op) => bvec.opHasData(op as bvec.BioOp))).toEqual([
      true,
      true,
      false,
    ]);
    for (const op of NOT_OP) {
      expect(codeOf(() => bvec.opHasData(op as never))).toBe("EINVAL");
      expect(codeOf(() => new bvec.Bio({ op: op as never }))).toBe("EINVAL");
    }
    expect(new bvec.Bio({ op: "WRITE" }).op).toBe("WRITE");
  });

  it("new Bio checks its flags and pgmap lookup", () => {
    for (const v of NOT_BOOLEAN) {
      expect(codeOf(() => new bvec.Bio({ atomic: v as never }))).toBe("EINVAL");
      expect(codeOf(() => new bvec.Bio({ nowait: v as never }))).toBe("EINVAL");
    }
    for (const v of [Number.NaN, {}, null])
      expect(codeOf(() => new bvec.Bio({ pgmaps: v as never }))).toBe("EINVAL");
  });

  it("the cursors' and walkers' chain flag is a boolean", () => {
    for (const v of NOT_BOOLEAN) {
      expect(codeOf(() => new bvec.BvecCursor().reset(bio(), v as never))).toBe("EINVAL");
      expect(codeOf(() => new bvec.BioSegmentCursor().reset(bio(), v as never))).toBe("EINVAL");
      expect(codeOf(() => bvec.forEachBvec(bio(), () => {}, v as never))).toBe("EINVAL");
      expect(codeOf(() => bvec.forEachSegment(bio(), () => {}, v as never))).toBe("EINVAL");
    }
  });

  it("NO_PGMAP, P2pMixError and BvecIter#copyFrom check their arguments", () => {
    expect(bvec.NO_PGMAP.pgmapIdOf(5)).toBe(0);
    for (const v of [Number.NaN, -1, 1n, "0x10"])
      expect(codeOf(() => bvec.NO_PGMAP.pgmapIdOf(v as never))).toBe("ERANGE");
    expect(new bvec.P2pMixError(0, 2, 7).pagePgmap).toBe(2);
    for (const v of [Number.NaN, -2, 0.5, 1n, "1"]) {
      expect(codeOf(() => new bvec.P2pMixError(v as never, 1, 7))).toBe("EINVAL");
      expect(codeOf(() => new bvec.P2pMixError(0, v as never, 7))).toBe("EINVAL");
    }
    const it = new bvec.BvecIter({ size: 512 });
    for (const v of [Number.NaN, {}, null]) expect(codeOf(() => it.copyFrom(v as never))).toBe("EINVAL");
    expect(it.size).toBe(512);
  });

  it("requestPhysVecLimits checks every queue limit; addPage reads its two limits once", () => {
    for (const field of ["maxSegments", "maxSegmentSize", "segBoundaryMask", "maxSectors"]) {
      const lim = { ...bvec.queueLimits(), [field]: Number.NaN };
      expect(
        codeOf(() => bvec.requestPhysVecLimits(lim)),
        field,
      ).toBe("EINVAL");
    }
    const b = new bvec.Bio({ maxVecs: 4 });
    b.addPage(1, 2048, 0);
    let reads = 0;
    const lim = {
      segBoundaryMask: 0xffff,
      get maxSegmentSize() {
        return reads++ === 0 ? 4096 : 0;
      },
    };
    expect(b.addPage(1, 2048, 2048, lim)).toBe("merged");
    expect(reads).toBe(1);
  });
});
