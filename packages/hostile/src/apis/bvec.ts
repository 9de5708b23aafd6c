/** @rlist/bvec: bio_vec, bvec_iter, bios, splitting, request mapping, the DMA engine model. */
import * as bvec from "@rlist/bvec";
import * as dma from "@rlist/dma";
import type { Api, Override } from "../api.js";
import type { World } from "../world.js";
import { misuse } from "./list.js";

const PAGE = 4096;

/** Valid arguments that reach the success path, where the types alone cannot find them. */
const VALID: Record<string, (w: World) => unknown[]> = {
  "bvec:Bio#addPage": () => [0x900, PAGE, 0, bvec.queueLimits()],
  "bvec:BvecArray#push": () => [0x900, PAGE, 0],
  "bvec:BvecArray#get": () => [0],
  "bvec:BvecArray#pageBig": () => [0],
  "bvec:new BvecArray": () => [4],
  "bvec:bioSplit": (w) => [w.bio, 1],
  "bvec:bvecIterAdvanceSingle": (w) => [w.bio.vecs, new bvec.BvecIter({ size: w.bio.vecs.len(0) }), 512],
  "bvec:bvecIterAdvance": (w) => [w.bio.vecs, new bvec.BvecIter({ size: w.bio.vecs.len(0) }), 512],
  "bvec:DmaEngine#read": (w) => [w.request.device, w.request, PAGE],
  "bvec:DmaEngine#write": (w) => {
    const device = new dma.DmaDevice({ name: "nvme3", iommu: new dma.IommuDomain() });
    return [device, bvec.mapRequest(device, w.roomyBio, { direction: "from-device" }), new Uint8Array(PAGE)];
  },
  "bvec:bioSplitRwAt": (w) => [w.bio, bvec.queueLimits(), 2 * PAGE],
  "bvec:bioToCpuRangeList": (w) => [w.memory, w.bio, {}],
  "bvec:biovecPhysMergeable": () => [{ segBoundaryMask: 0xffff }, 0x10_0000, PAGE, 0x10_1000, PAGE],
  "bvec:bvecGapToPrev": () => [{ virtBoundaryMask: 0xfff }, 0, PAGE, 0],
  "bvec:getMaxIoSize": () => [8, bvec.queueLimits()],
  "bvec:getMaxSegmentSize": () => [bvec.queueLimits(), 0x10_0000, 3 * PAGE],
  "bvec:mapRequest": (w) => [
    new dma.DmaDevice({ name: "nvme2", iommu: new dma.IommuDomain() }),
    w.bio,
    { direction: "to-device" },
  ],
  "bvec:requestPhysVecLimits": () => [bvec.queueLimits()],
  "bvec:splitBio": (w) => [w.bio, bvec.queueLimits({ maxSegments: 2 })],
  "bvec:splitToLimits": (w) => [w.bio, bvec.queueLimits({ maxSegments: 2 })],
};

const roomy = (w: World) => w.roomyBio;

/** BvecArray's raw accessors and writers, documented as unchecked (bio-vec.ts; `get`/`push` check). */
const UNCHECKED_BVEC =
  "raw bvec accessor of the walks' hot path, documented as unchecked (get and push check)";

export const bvecOverrides: Record<string, Override> = {
  "bvec:Bio#addPage": { receiver: roomy },
  "bvec:BvecArray#push": { receiver: (w) => w.roomyBio.vecs },
};
for (const m of ["page", "pageBig", "len", "offset", "phys", "pushUnchecked", "setLen"])
  bvecOverrides[`bvec:BvecArray#${m}`] = { unchecked: UNCHECKED_BVEC };
for (const [name, valid] of Object.entries(VALID)) bvecOverrides[name] = { ...bvecOverrides[name], valid };

const bvecMisuse = (name: string, prepare: (w: World) => () => unknown) => misuse("bvec", name, prepare);

export const bvecAdded: Api[] = [
  bvecMisuse("unmap a mapped request twice", (w) => {
    const rq = w.request;
    rq.unmap();
    return () => rq.unmap();
  }),
  {
    // like bvec_iter_advance(): past the end it returns false (the kernel also WARNs once) and
    // clamps at the end; bvecIterAdvanceExact is the variant that refuses
    ...bvecMisuse("advance a bvec_iter past its size", () => () => undefined),
    extra: (w) => {
      const vecs = w.bio.vecs;
      const it = new bvec.BvecIter({ size: 0x1000 });
      return {
        label: "advance a bvec_iter past its size",
        args: [() => [bvec.bvecIterAdvance(vecs, it, 0x2000), it.size]],
        invalid: null,
        check: (r) =>
          (r as unknown[])[0] === false && (r as unknown[])[1] === 0
            ? null
            : `returned ${String((r as unknown[])[0])} with bi_size ${String((r as unknown[])[1])}, not false and 0`,
      };
    },
  },
  bvecMisuse("advance a bvec_iter past its size exactly (bvecIterAdvanceExact)", (w) => {
    const vecs = w.bio.vecs;
    const it = new bvec.BvecIter({ size: 0x1000 });
    return () => bvec.bvecIterAdvanceExact(vecs, it, 0x2000);
  }),
  bvecMisuse("split more sectors than the bio has", (w) => {
    const bio = w.bio;
    return () => bvec.bioSplit(bio, bio.sectors + 1);
  }),
  bvecMisuse("DMA through a request after unmap", (w) => {
    const rq = w.request;
    const engine = new bvec.DmaEngine(w.memory);
    rq.unmap();
    return () => engine.write(rq.device, rq, new Uint8Array(16));
  }),
];
