/**
 * dma-buf on range lists: an exporter owns a {@link CpuRangeList} (system pages, or a device BAR
 * as PHYSICAL entries of its P2P provider) and hands importers DMA range lists instead of
 * `sg_table`s, the "DMABUF exports the backing memory through rcpu" direction of the 2023
 * prototype (docs/rdma-dmabuf.md#dma-buf) and of the 6.19 phys_vec exporters.
 *
 * Life cycle, as in drivers/dma-buf:
 * - {@link DmaBufExporter.attach} (dma_buf_dynamic_attach): decides per attachment, from the PCI
 *   topology, how the importer reaches every P2P provider behind the buffer ({@link p2pMapType}).
 *   A path the topology forbids, or P2P memory for an importer that did not set
 *   `allowPeer2peer`, is refused here with `EREMOTEIO`, not at first use.
 * - {@link DmaBufExporter.map} (dma_buf_map_attachment): maps the CPU list for the importer's
 *   device: PCI bus addresses for BUS_ADDR, the IOMMU or dma-direct otherwise.
 * - {@link DmaBufExporter.unmap}, {@link DmaBufExporter.detach}.
 * - {@link DmaBufExporter.move} (the exporter migrating the buffer, then dma_buf_move_notify()):
 *   every dynamic importer's `moveNotify` runs, mappings made before the move are stale and the
 *   importer must map again. An importer without `moveNotify` is static: the buffer is pinned while
 *   it is attached and moves are refused (`EBUSY`).
 *
 * Every failing call leaves attachments, mappings, IOMMU and pins as they were.
 *
 * Ownership: the attachment owns every mapping `map` returns. `DmaMapping.unmap()` on one of them
 * (reached through {@link DmaBufExporter.mappingOf}) is `EBUSY`: only {@link DmaBufExporter.unmap}
 * releases it, so an attachment never holds a mapping someone else released, and detach, unmap
 * and move work in every order.
 */
import { RlistError } from "@rlist/encoding";
import { checkBoolean, checkFunction, checkInstance, checkObject, checkString } from "../args.js";
import { CpuRangeList } from "../cpu/cpu-range-list.js";
import type { DmaRangeList } from "../dma-list/dma-range-list.js";
import { checkFactory, FACTORY } from "../factory.js";
import { DmaDevice } from "../mapping/device.js";
import { type DmaDirection, isDmaDirection } from "../mapping/direction.js";
import { type DmaMapping, mapRangeList } from "../mapping/mapper.js";
import { claimMapping, releaseOwnedMapping } from "../mapping/mapping.js";
import { type P2pMapType, p2pMapType } from "../pci/p2p-map.js";
import type { P2pProvider } from "../pci/p2p-provider.js";

/** How an attachment reaches the buffer: not P2P, or the P2P map type (PCI_P2PDMA_MAP_*). */
export type DmaBufP2p = "NONE" | "BUS_ADDR" | "THRU_HOST_BRIDGE";

/** The importer side of an attachment (`dma_buf_attach_ops` + the device). */
export interface DmaBufImporter {
  readonly device: DmaDevice;
  /** `allow_peer2peer`: the importer can use P2P (BAR) memory. Default true; a non-boolean is `EINVAL`. */
  readonly allowPeer2peer?: boolean;
  /**
   * `move_notify`: the buffer moved, drop the mappings and map again. Absent means a static
   * importer: the buffer is pinned while it is attached.
   */
  moveNotify?(attachment: DmaBufAttachment): void;
}

export interface DmaBufExporterOptions {
  /** A name for messages. */
  readonly name?: string;
}

interface LiveMapping {
  readonly mapping: DmaMapping;
  readonly generation: number;
}

/** One importer's attachment (`struct dma_buf_attachment`). */
export class DmaBufAttachment {
  readonly exporter: DmaBufExporter;
  readonly importer: DmaBufImporter;
  /** @internal */
  _p2p: DmaBufP2p;
  /** @internal map type per provider of the current memory. */
  _mapTypes: ReadonlyMap<P2pProvider, P2pMapType>;
  /** @internal live mappings by DMA list. */
  readonly _mappings = new Map<DmaRangeList, LiveMapping>();
  /** @internal */
  _attached = true;
  /** @internal who holds the attachment (an RDMA MR over the dma-buf), or null: the caller. */
  _owner: string | null = null;

  /** @internal use {@link DmaBufExporter.attach} (`new DmaBufAttachment(...)` is `EINVAL`). */
  constructor(
    factory: symbol,
    exporter: DmaBufExporter,
    importer: DmaBufImporter,
    p2p: DmaBufP2p,
    mapTypes: ReadonlyMap<P2pProvider, P2pMapType>,
  ) {
    checkFactory(factory, "DmaBufAttachment", "DmaBufExporter.attach()");
    this.exporter = exporter;
    this.importer = importer;
    this._p2p = p2p;
    this._mapTypes = mapTypes;
  }

  get device(): DmaDevice {
    return this.importer.device;
  }

  /** False after detach. */
  get attached(): boolean {
    return this._attached;
  }

  /** True for an importer with `moveNotify` (it does not pin the buffer). */
  get dynamic(): boolean {
    return this.importer.moveNotify !== undefined;
  }

  /**
   * How this importer reaches the current memory: `NONE` for system memory, else the P2P map type
   * (with several providers: BUS_ADDR only when every one is BUS_ADDR).
   */
  get p2p(): DmaBufP2p {
    return this._p2p;
  }

  /** The map type the topology gives for each P2P provider behind the buffer. */
  get mapTypes(): ReadonlyMap<P2pProvider, P2pMapType> {
    return this._mapTypes;
  }

  /** Live mappings (stale ones included until unmapped). */
  get mappingCount(): number {
    return this._mappings.size;
  }

  /** Who holds the attachment when it is not the caller (an RDMA MR over the dma-buf), or null. */
  get owner(): string | null {
    return this._owner;
  }
}

let ownedMap: (att: DmaBufAttachment, direction: DmaDirection) => DmaRangeList;
let ownedUnmap: (att: DmaBufAttachment, list: DmaRangeList) => void;
let ownedDetach: (att: DmaBufAttachment) => void;

/**
 * @internal Hands `attachment` to an owner (an RDMA MR over the dma-buf): from then on the
 * exporter's public map, unmap and detach refuse it (`EBUSY` naming the owner) and only the
 * owner's calls below work, as a kernel importer holds its attachment until it releases it.
 */
export function claimAttachment(attachment: DmaBufAttachment, owner: string): void {
  attachment._owner = owner;
}

/** @internal The owner's dma_buf_map_attachment(). */
export function ownerMap(attachment: DmaBufAttachment, direction: DmaDirection): DmaRangeList {
  return ownedMap(attachment, direction);
}

/** @internal The owner's dma_buf_unmap_attachment(). */
export function ownerUnmap(attachment: DmaBufAttachment, list: DmaRangeList): void {
  ownedUnmap(attachment, list);
}

/** @internal The owner's dma_buf_detach(); the attachment is nobody's afterwards. */
export function ownerDetach(attachment: DmaBufAttachment): void {
  ownedDetach(attachment);
}

/** A dma-buf exporter (`struct dma_buf` + its `dma_buf_ops`). */
export class DmaBufExporter {
  static {
    ownedMap = (att, direction) => att.exporter.#map(att, direction);
    ownedUnmap = (att, list) => att.exporter.#unmap(att, list);
    ownedDetach = (att) => {
      att.exporter.#detach(att);
      att._owner = null;
    };
  }

  readonly name: string;
  #memory: CpuRangeList;
  #generation = 0;
  readonly #attachments: DmaBufAttachment[] = [];
  #moving = false;

  constructor(memory: CpuRangeList, options: DmaBufExporterOptions = {}) {
    checkInstance("a dma-buf's memory", memory, CpuRangeList);
    checkObject("dma-buf exporter options", options);
    if (options.name !== undefined) checkString("name", options.name);
    if (memory.isEmpty) throw new RlistError("EINVAL", "a dma-buf needs at least one byte");
    this.#memory = memory;
    this.name = options.name ?? "dma-buf";
  }

  /** The memory currently backing the buffer. */
  get memory(): CpuRangeList {
    return this.#memory;
  }

  /** Buffer size in bytes. */
  get size(): number {
    return this.#memory.length;
  }

  /** Moves so far (each one made every earlier mapping stale). */
  get generation(): number {
    return this.#generation;
  }

  /** Live attachments. */
  get attachments(): readonly DmaBufAttachment[] {
    return this.#attachments;
  }

  /**
   * Like dma_buf_dynamic_attach(): decides now whether `importer.device` can reach the buffer.
   * `EREMOTEIO` (nothing attached) when a P2P provider behind it is NOT_SUPPORTED from the importer's
   * place in the topology, or when the buffer is P2P memory and the importer disallows P2P.
   * `EINVAL` for an importer whose `device` is not a {@link DmaDevice}, whose `allowPeer2peer` is
   * not a boolean or whose `moveNotify` is not a function (each read once).
   */
  attach(importer: DmaBufImporter): DmaBufAttachment {
    if (importer === null || typeof importer !== "object" || importer.device === undefined) {
      throw new RlistError("EINVAL", "an importer needs a device");
    }
    const device = importer.device;
    const allowPeer2peer = importer.allowPeer2peer;
    const moveNotify = importer.moveNotify;
    checkInstance("importer.device", device, DmaDevice);
    checkBoolean("importer.allowPeer2peer", allowPeer2peer, true);
    if (moveNotify !== undefined) checkFunction("importer.moveNotify", moveNotify);
    const { p2p, mapTypes } = decide(this.#memory, device, allowPeer2peer !== false, this.name);
    const att = new DmaBufAttachment(FACTORY, this, importer, p2p, mapTypes);
    this.#attachments.push(att);
    return att;
  }

  /**
   * Like dma_buf_map_attachment(): the buffer's DMA range list for the attachment's device.
   * `EBUSY` after detach, `EINVAL` for another exporter's attachment or a bad direction, and the
   * mapper's errors (`ENOMEM`, `EIO`) with nothing left mapped.
   */
  map(attachment: DmaBufAttachment, direction: DmaDirection): DmaRangeList {
    this.#checkNotOwned(attachment);
    return this.#map(attachment, direction);
  }

  #map(attachment: DmaBufAttachment, direction: DmaDirection): DmaRangeList {
    this.#checkAttachment(attachment);
    if (!isDmaDirection(direction)) throw new RlistError("EINVAL", `bad DMA direction ${String(direction)}`);
    const mapping = mapRangeList(attachment.device, this.#memory, { direction });
    // The attachment owns it: only unmap() below releases it (mapping.unmap() is EBUSY).
    claimMapping(mapping, `dma-buf ${this.name} (attachment of ${attachment.device.name})`);
    attachment._mappings.set(mapping.list, { mapping, generation: this.#generation });
    return mapping.list;
  }

  /**
   * Like dma_buf_unmap_attachment(): releases a mapping `map` returned (IOVA freed, bounce copied
   * back). `EINVAL` when `list` is not a live mapping of this attachment (e.g. a second unmap).
   */
  unmap(attachment: DmaBufAttachment, list: DmaRangeList): void {
    this.#checkNotOwned(attachment);
    this.#unmap(attachment, list);
  }

  #unmap(attachment: DmaBufAttachment, list: DmaRangeList): void {
    this.#checkOwn(attachment);
    const live = attachment._mappings.get(list);
    if (live === undefined) throw new RlistError("EINVAL", "not a live mapping of this attachment");
    releaseOwnedMapping(live.mapping);
    attachment._mappings.delete(list);
  }

  /** True when `list` was mapped before the last move: its addresses no longer reach the buffer. */
  isStale(attachment: DmaBufAttachment, list: DmaRangeList): boolean {
    this.#checkOwn(attachment);
    const live = attachment._mappings.get(list);
    if (live === undefined) throw new RlistError("EINVAL", "not a live mapping of this attachment");
    return live.generation !== this.#generation;
  }

  /** The mapping behind a list `map` returned (path, IOVA window). */
  mappingOf(attachment: DmaBufAttachment, list: DmaRangeList): DmaMapping {
    this.#checkOwn(attachment);
    const live = attachment._mappings.get(list);
    if (live === undefined) throw new RlistError("EINVAL", "not a live mapping of this attachment");
    return live.mapping;
  }

  /**
   * Like dma_buf_detach(). `EBUSY` while the attachment still has mappings, after detach, or while
   * an owner (an RDMA MR) holds it.
   */
  detach(attachment: DmaBufAttachment): void {
    this.#checkNotOwned(attachment);
    this.#detach(attachment);
  }

  #detach(attachment: DmaBufAttachment): void {
    this.#checkAttachment(attachment);
    if (attachment._mappings.size !== 0) {
      throw new RlistError(
        "EBUSY",
        `unmap the attachment's ${attachment._mappings.size} mapping(s) before detaching`,
      );
    }
    attachment._attached = false;
    this.#attachments.splice(this.#attachments.indexOf(attachment), 1);
  }

  /**
   * The exporter migrates the buffer to `memory` (same size; e.g. VRAM to system memory), then
   * notifies every importer like dma_buf_move_notify(). Refused, with nothing changed: `EBUSY`
   * while a static importer pins the buffer or from inside a `moveNotify`; `EINVAL` for another
   * size; `EREMOTEIO` when an attached importer could not reach the new memory.
   */
  move(memory: CpuRangeList): void {
    checkInstance("the new memory", memory, CpuRangeList);
    if (this.#moving) throw new RlistError("EBUSY", "move from inside moveNotify");
    if (memory.length !== this.#memory.length) {
      throw new RlistError(
        "EINVAL",
        `the new memory has ${memory.length} bytes, the buffer ${this.#memory.length}`,
      );
    }
    const pinned = this.#attachments.find((a) => !a.dynamic);
    if (pinned !== undefined) {
      throw new RlistError("EBUSY", `${pinned.device.name} is a static importer: the buffer is pinned`);
    }
    const decisions = this.#attachments.map((a) =>
      decide(memory, a.device, a.importer.allowPeer2peer !== false, this.name),
    );
    this.#memory = memory;
    this.#generation++;
    this.#attachments.forEach((a, i) => {
      a._p2p = decisions[i]!.p2p;
      a._mapTypes = decisions[i]!.mapTypes;
    });
    this.#moving = true;
    try {
      for (const a of [...this.#attachments]) a.importer.moveNotify?.(a);
    } finally {
      this.#moving = false;
    }
  }

  #checkOwn(attachment: DmaBufAttachment): void {
    if (!(attachment instanceof DmaBufAttachment) || attachment.exporter !== this) {
      throw new RlistError("EINVAL", `not an attachment of ${this.name}`);
    }
  }

  /** `EBUSY` when an owner holds `attachment` (its own calls go through the owner functions). */
  #checkNotOwned(attachment: DmaBufAttachment): void {
    this.#checkOwn(attachment);
    if (attachment._owner !== null) {
      throw new RlistError(
        "EBUSY",
        `the attachment belongs to ${attachment._owner}: release it there, not here`,
      );
    }
  }

  #checkAttachment(attachment: DmaBufAttachment): void {
    this.#checkOwn(attachment);
    if (!attachment._attached) throw new RlistError("EBUSY", "the attachment was detached");
  }
}

/** The P2P verdict for `importer` on `memory`, or `EREMOTEIO`. */
function decide(
  memory: CpuRangeList,
  dev: DmaDevice,
  allowPeer2peer: boolean,
  name: string,
): { p2p: DmaBufP2p; mapTypes: Map<P2pProvider, P2pMapType> } {
  const mapTypes = new Map<P2pProvider, P2pMapType>();
  const providers = memory.providers;
  if (providers.length === 0) return { p2p: "NONE", mapTypes };
  if (!allowPeer2peer) {
    throw new RlistError("EREMOTEIO", `${name} is P2P memory and ${dev.name} does not allow peer2peer`);
  }
  let allBus = true;
  for (const p of providers) {
    const t = p2pMapType(p, dev.pci);
    if (t === "NOT_SUPPORTED") {
      throw new RlistError("EREMOTEIO", `${dev.name} cannot reach ${p.name} (${name}) peer-to-peer`);
    }
    if (t !== "BUS_ADDR") allBus = false;
    mapTypes.set(p, t);
  }
  return { p2p: allBus ? "BUS_ADDR" : "THRU_HOST_BRIDGE", mapTypes };
}
