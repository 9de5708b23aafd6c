/**
 * `blk_rq_dma_map_iter_start/next` + `blk_rq_dma_unmap` (block/blk-mq-dma.c, 6.17+) on top of the
 * `@rlist/dma` mapper: a request (a bio chain) becomes DMA segments without a scatterlist.
 *
 * - The request is walked as phys_vecs (`blk_map_iter_next`: contiguous bvecs merged, also across
 *   bios, capped by the segment rules).
 * - One P2P state per request, taken from the first phys_vec (`pci_p2pdma_state`): `BUS_ADDR` →
 *   every segment is `paddr + bus_offset`, no IOVA; `THRU_HOST_BRIDGE` → mapped like memory with
 *   DMA_ATTR_MMIO; `NOT_SUPPORTED` → `EREMOTEIO`. A later phys_vec of another pgmap (a request
 *   mixing P2P kinds or providers) is a `P2pMixError`.
 * - Behind an IOMMU, when `blk_can_dma_map_iova` holds (`(virt_boundary + 1) & merge_boundary == 0`)
 *   the whole request is linked into one IOVA window (`dma_iova_try_alloc` / `link` / `sync`) and
 *   comes out as **one** segment; otherwise every phys_vec is mapped on its own (`dma_map_phys`:
 *   its own IOVA, a direct address, or a swiotlb bounce).
 */
import {
  busAddress,
  DmaDevice,
  type DmaDirection,
  type IovaState,
  iovaAlloc,
  iovaDestroy,
  iovaFree,
  iovaLink,
  iovaSync,
  isDmaDirection,
  type OutstandingDma,
  type P2pProvider,
  PhysicalMemory,
  p2pMapType,
  swiotlbMaxMappingSize,
} from "@rlist/dma";
import { formatValue, lowBits, RlistError } from "@rlist/encoding";
import { Bio } from "./bio.js";
import { checkInstance, checkObject } from "./checks.js";
import { U32_MAX } from "./constants.js";
import { type QueueLimits, type QueueLimitsInit, queueLimits } from "./limits.js";
import { NO_PGMAP, P2pMixError, type PgmapLookup } from "./pgmap.js";
import { PhysVecCursor, type PhysVecLimits } from "./phys-vec.js";

/** How a request segment reaches the device. */
export const SegmentKind = {
  /** An IOVA the IOMMU translates. */
  IOVA: 0,
  /** dma-direct: `phys + directOffset`. */
  DIRECT: 1,
  /** dma-direct through a swiotlb bounce slot. */
  BOUNCE: 2,
  /** P2P through a switch: a PCI bus address, nothing mapped. */
  BUS_ADDR: 3,
} as const;
export type SegmentKind = (typeof SegmentKind)[keyof typeof SegmentKind];

/** The request's one P2P state (`iter->p2pdma.map`). */
export type RequestP2p = "NONE" | "BUS_ADDR" | "THRU_HOST_BRIDGE";

export interface MapRequestOptions {
  direction: DmaDirection;
  /**
   * The request queue's limits: the virt boundary decides IOVA coalescing, the segment rules cap
   * phys_vecs (together with the device's segmentation). Default `queueLimits()` (no virt boundary).
   */
  limits?: QueueLimitsInit | QueueLimits;
  /** Where ZONE_DEVICE pages find their P2P provider; default the first bio's `pgmaps` if it is one. */
  memory?: PhysicalMemory;
  /**
   * A label for the request (and its IOVA windows) in `DmaDevice.outstanding()` and
   * `assertIdle()`; default "mapRequest".
   */
  tag?: string;
}

/** Allocation-free reader of a mapped request's segments (the `DmaEntryCursor` protocol). */
export interface RequestSegmentCursor {
  /** Moves to the first segment; false when there is none. */
  reset(): boolean;
  next(): boolean;
  readonly dmaAddress: number;
  readonly length: number;
  readonly kind: SegmentKind;
}

/** What mapRequest() passes to the constructor: `new MappedRequest(...)` from outside is `EINVAL`. */
const FACTORY: unique symbol = Symbol("mapRequest");

/** A mapped request: its DMA segments, the figures, and `unmap()`. */
export class MappedRequest {
  readonly device: DmaDevice;
  readonly direction: DmaDirection;
  /** `blk_rq_dma_map_coalesce()`: the request went through one IOVA window. */
  readonly coalesced: boolean;
  readonly p2p: RequestP2p;
  /** The P2P provider of the request's pages, or null for ordinary RAM. */
  readonly provider: P2pProvider | null;
  /** Payload bytes. */
  readonly length: number;
  /** Multi-page bvecs walked and phys_vecs they merged into. */
  readonly bvecs: number;
  readonly physVecs: number;
  /** IOVA granules allocated (whole windows, padding included). */
  readonly iovaPages: number;
  #count = 0;
  #addr: Float64Array;
  #len: Float64Array;
  #kind: Uint8Array;
  /** Per-segment IOVA windows (not coalesced), or the one window (coalesced). */
  readonly #windows: IovaState[];
  readonly #tag: string;
  readonly #stack: string | null;
  #live = true;

  /** @internal use {@link mapRequest} (`new MappedRequest(...)` is `EINVAL`). */
  constructor(factory: symbol, device: DmaDevice, direction: DmaDirection, built: Built, tag: string) {
    if (factory !== FACTORY) {
      throw new RlistError("EINVAL", "a MappedRequest is made by mapRequest(), not by new");
    }
    this.device = device;
    this.direction = direction;
    this.coalesced = built.coalesced;
    this.p2p = built.p2p;
    this.provider = built.provider;
    this.length = built.length;
    this.bvecs = built.bvecs;
    this.physVecs = built.physVecs;
    this.iovaPages = built.iovaPages;
    this.#count = built.segs.count;
    this.#addr = built.segs.addr;
    this.#len = built.segs.len;
    this.#kind = built.segs.kind;
    this.#windows = built.windows;
    this.#tag = tag;
    this.#stack = device.callerStack();
    device.trackDma(this);
  }

  /** @internal see `TrackedDma` (`DmaDevice`'s live list). */
  isLive(): boolean {
    return this.#live;
  }

  /** @internal what `DmaDevice.outstanding()` lists for a live request. */
  describeOutstanding(): OutstandingDma {
    return {
      kind: "request",
      path: this.coalesced ? "two-step" : "per-segment",
      direction: this.direction,
      bytes: this.length,
      entries: this.#count,
      iova: this.coalesced ? this.#addr[0]! : -1,
      cpuList: null,
      owner: null,
      tag: this.#tag,
      stack: this.#stack,
    };
  }

  /** DMA segments handed to the device. */
  get segments(): number {
    return this.#count;
  }

  /** False after {@link unmap}. */
  get mapped(): boolean {
    return this.#live;
  }

  /** A new allocation-free cursor over the segments. */
  cursor(): RequestSegmentCursor {
    const self = this;
    let i = -1;
    return {
      reset() {
        i = 0;
        return i < self.#count;
      },
      next() {
        i++;
        return i < self.#count;
      },
      get dmaAddress() {
        return self.#addr[i] ?? 0;
      },
      get length() {
        return self.#len[i] ?? 0;
      },
      get kind() {
        return (self.#kind[i] ?? 0) as SegmentKind;
      },
    };
  }

  /** Segments as `[dmaAddress, length, kind]` (tests and reports; allocates). */
  toArray(): [number, number, SegmentKind][] {
    const out: [number, number, SegmentKind][] = [];
    for (let i = 0; i < this.#count; i++)
      out.push([this.#addr[i]!, this.#len[i]!, this.#kind[i]! as SegmentKind]);
    return out;
  }

  /**
   * Like `blk_rq_dma_unmap()` followed by the driver's per-segment unmaps: destroys the IOVA
   * window(s), copies bounce buffers back (FROM_DEVICE / BIDIRECTIONAL) and frees their slots;
   * bus-address segments need nothing. `EBUSY` when already unmapped.
   */
  unmap(): void {
    if (!this.#live) throw new RlistError("EBUSY", "request already unmapped");
    releaseAll(this.device, this.direction, this.#windows, this.#count, this.#addr, this.#len, this.#kind);
    this.#live = false;
    this.device.untrackDma(this);
    this.device.counters.unmaps++;
  }
}

interface SegmentStore {
  count: number;
  addr: Float64Array;
  len: Float64Array;
  kind: Uint8Array;
}

interface Built {
  coalesced: boolean;
  p2p: RequestP2p;
  provider: P2pProvider | null;
  length: number;
  bvecs: number;
  physVecs: number;
  iovaPages: number;
  segs: SegmentStore;
  windows: IovaState[];
}

function newStore(n: number): SegmentStore {
  return { count: 0, addr: new Float64Array(n), len: new Float64Array(n), kind: new Uint8Array(n) };
}

function pushSegment(s: SegmentStore, addr: number, len: number, kind: SegmentKind): void {
  const i = s.count++;
  s.addr[i] = addr;
  s.len[i] = len;
  s.kind[i] = kind;
}

/** The phys_vec caps of a request to `device`: queue rules, device segmentation, swiotlb size. */
function physVecLimits(device: DmaDevice, lim: QueueLimits): PhysVecLimits {
  const seg = device.segmentation;
  let max = Math.min(lim.maxSegmentSize, seg.maxSegmentSize, U32_MAX);
  if (device.iommu === null && device.swiotlb !== null)
    max = Math.min(max, swiotlbMaxMappingSize(seg.minAlignMask));
  return { segBoundaryMask: Math.min(lim.segBoundaryMask, seg.segmentBoundaryMask), maxSegmentSize: max };
}

function pgmapSource(
  bio: Bio,
  memory: PhysicalMemory | undefined,
): { lookup: PgmapLookup; memory: PhysicalMemory | null } {
  if (memory !== undefined) return { lookup: memory, memory };
  if (bio.pgmaps instanceof PhysicalMemory) return { lookup: bio.pgmaps, memory: bio.pgmaps };
  return { lookup: bio.pgmaps === NO_PGMAP ? NO_PGMAP : bio.pgmaps, memory: null };
}

/**
 * Maps the request `bio` (and every bio after it through `next`) for `device`. Throws with nothing
 * left mapped: `EREMOTEIO` (P2P not supported), `P2pMixError` (pgmaps mixed), `EFAULT` (a frame
 * without struct page), `EINVAL` (a coalescable request that breaks its virt boundary),
 * `ENOMEM` (IOVA space, page tables, swiotlb), `EIO` (DMA mask).
 */
export function mapRequest(device: DmaDevice, bio: Bio, options: MapRequestOptions): MappedRequest {
  checkInstance("device", device, DmaDevice);
  checkInstance("bio", bio, Bio);
  checkObject("map options", options);
  if (!isDmaDirection(options.direction)) {
    throw new RlistError("EINVAL", `bad DMA direction ${formatValue(options.direction)}`);
  }
  if (options.memory !== undefined) checkInstance("memory", options.memory, PhysicalMemory);
  const tag = options.tag ?? "mapRequest";
  if (typeof tag !== "string")
    throw new RlistError("EINVAL", `tag must be a string, got ${formatValue(tag)}`);
  const lim = queueLimits(options.limits ?? {});
  const physLim = physVecLimits(device, lim);
  const { lookup, memory } = pgmapSource(bio, options.memory);
  const c = new PhysVecCursor();

  // Pass 1: size the request, check it is one kind of memory, and whether IOVA linking can coalesce it.
  let count = 0;
  let total = 0;
  let pgmap = 0;
  let firstPhys = 0;
  let gapsAligned = true;
  const granule = device.iommu?.granule ?? 1;
  let prevEnd = 0;
  for (let ok = c.reset(bio, physLim, lookup); ok; ok = c.next()) {
    if (c.pgmap < 0) throw new RlistError("EFAULT", `phys 0x${c.paddr.toString(16)} has no struct page`);
    if (count === 0) {
      pgmap = c.pgmap;
      firstPhys = c.paddr;
    } else {
      if (c.pgmap !== pgmap) throw new P2pMixError(pgmap, c.pgmap, Math.floor(c.paddr / 4096));
      if (lowBits(prevEnd, granule) !== 0 || lowBits(c.paddr, granule) !== 0) gapsAligned = false;
    }
    prevEnd = c.paddr + c.len;
    count++;
    total += c.len;
  }

  // The request's P2P state, from its first segment.
  let p2p: RequestP2p = "NONE";
  let provider: P2pProvider | null = null;
  if (pgmap > 0) {
    const pm = memory?.pgmapById(pgmap) ?? null;
    if (pm === null) throw new RlistError("EINVAL", `pgmap ${pgmap} is unknown: pass the PhysicalMemory`);
    provider = pm.provider;
    const type = p2pMapType(provider, device.pci);
    if (type === "NOT_SUPPORTED") {
      throw new RlistError("EREMOTEIO", `P2P DMA from ${device.name} to ${provider.name} is not supported`);
    }
    p2p = type === "BUS_ADDR" ? "BUS_ADDR" : "THRU_HOST_BRIDGE";
  }

  const base = {
    p2p,
    provider,
    length: total,
    physVecs: count,
    bvecs: c.bvecs,
  };
  // blk_can_dma_map_iova(): (virt_boundary + 1) & merge_boundary == 0, i.e. every gap the queue
  // allows falls on an IOMMU granule.
  const canIova =
    device.iommu !== null &&
    p2p !== "BUS_ADDR" &&
    lowBits(lim.virtBoundaryMask + 1, device.mergeBoundary + 1) === 0;
  const built =
    canIova && count > 0
      ? mapCoalesced(
          device,
          bio,
          c,
          physLim,
          lookup,
          options.direction,
          p2p,
          firstPhys,
          total,
          gapsAligned,
          tag,
        )
      : mapPerSegment(device, bio, c, physLim, lookup, options.direction, p2p, provider, count, tag);
  device.counters.maps++;
  return new MappedRequest(FACTORY, device, options.direction, { ...base, ...built }, tag);
}

type Mapped = Pick<Built, "coalesced" | "iovaPages" | "segs" | "windows">;

/** One IOVA window for the whole request: `dma_iova_try_alloc`, a link per phys_vec, one sync. */
function mapCoalesced(
  device: DmaDevice,
  bio: Bio,
  c: PhysVecCursor,
  physLim: PhysVecLimits,
  lookup: PgmapLookup,
  dir: DmaDirection,
  p2p: RequestP2p,
  firstPhys: number,
  total: number,
  gapsAligned: boolean,
  tag: string,
): Mapped {
  if (!gapsAligned) {
    throw new RlistError(
      "EINVAL",
      "the request has a gap inside an IOMMU granule although its virt boundary promises none: split it first",
    );
  }
  const domain = device.iommu!;
  const state = iovaAlloc(device, total, firstPhys, { tag })!;
  const mmio = p2p === "THRU_HOST_BRIDGE";
  let offset = 0;
  try {
    for (let ok = c.reset(bio, physLim, lookup); ok; ok = c.next()) {
      iovaLink(device, state, c.paddr, offset, c.len, dir, { mmio });
      offset += c.len;
    }
    iovaSync(device, state, 0, total);
  } catch (e) {
    if (offset > 0) iovaDestroy(device, state, offset, dir);
    else iovaFree(device, state);
    throw e;
  }
  const segs = newStore(1);
  pushSegment(segs, state.addr, total, SegmentKind.IOVA);
  const pages = domain.ivaAlign(total + state.pad) / domain.granule;
  return { coalesced: true, iovaPages: pages, segs, windows: [state] };
}

/** Every phys_vec mapped on its own (`dma_map_phys` / P2P bus address). */
function mapPerSegment(
  device: DmaDevice,
  bio: Bio,
  c: PhysVecCursor,
  physLim: PhysVecLimits,
  lookup: PgmapLookup,
  dir: DmaDirection,
  p2p: RequestP2p,
  provider: P2pProvider | null,
  count: number,
  tag: string,
): Mapped {
  const segs = newStore(count);
  const windows: IovaState[] = [];
  const domain = device.iommu;
  const seg = device.segmentation;
  const mmio = p2p === "THRU_HOST_BRIDGE";
  let iovaPages = 0;
  try {
    for (let ok = c.reset(bio, physLim, lookup); ok; ok = c.next()) {
      const paddr = c.paddr;
      const len = c.len;
      if (p2p === "BUS_ADDR") {
        const bus = busAddress(provider!, paddr);
        if (!device.dmaCapable(bus, len)) throw maskError(device, bus, len);
        pushSegment(segs, bus, len, SegmentKind.BUS_ADDR);
      } else if (domain !== null) {
        const state = iovaAlloc(device, len, paddr, { tag })!;
        try {
          iovaLink(device, state, paddr, 0, len, dir, { mmio });
          iovaSync(device, state, 0, len);
        } catch (e) {
          iovaFree(device, state);
          throw e;
        }
        windows.push(state);
        iovaPages += domain.ivaAlign(len + state.pad) / domain.granule;
        pushSegment(segs, state.addr, len, SegmentKind.IOVA);
      } else {
        const dma = paddr + device.directOffset;
        if (dma >= 0 && device.dmaCapable(dma, len)) {
          pushSegment(segs, dma, len, SegmentKind.DIRECT);
        } else if (device.swiotlb !== null && !mmio) {
          const tlb = device.swiotlb.map(paddr, len, seg.minAlignMask, seg.segmentBoundaryMask);
          pushSegment(segs, tlb + device.directOffset, len, SegmentKind.BOUNCE);
          if (!device.dmaCapable(tlb + device.directOffset, len)) throw maskError(device, tlb, len);
        } else {
          throw maskError(device, paddr, len);
        }
      }
    }
  } catch (e) {
    // Roll back without copying bounce data (SKIP_CPU_SYNC semantics).
    releaseAll(device, "to-device", windows, segs.count, segs.addr, segs.len, segs.kind);
    throw e;
  }
  return { coalesced: false, iovaPages, segs, windows };
}

function releaseAll(
  device: DmaDevice,
  dir: DmaDirection,
  windows: readonly IovaState[],
  count: number,
  addr: Float64Array,
  len: Float64Array,
  kind: Uint8Array,
): void {
  let w = 0;
  for (let i = 0; i < count; i++) {
    const k = kind[i]!;
    if (k === SegmentKind.IOVA) {
      const state = windows[w++]!;
      // Coalesced: one window holds every segment; per segment: one window each.
      if (state.live) iovaDestroy(device, state, state.size, dir);
    } else if (k === SegmentKind.BOUNCE) {
      device.swiotlb!.unmap(addr[i]! - device.directOffset, len[i]!, dir, device.segmentation.minAlignMask);
    }
  }
}

function maskError(device: DmaDevice, addr: number, len: number): RlistError {
  return new RlistError(
    "EIO",
    `${device.name}: [0x${addr.toString(16)}, +0x${len.toString(16)}) is above its ${device.dmaMaskBits}-bit DMA mask`,
  );
}
