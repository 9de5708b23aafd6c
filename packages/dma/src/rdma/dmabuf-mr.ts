/**
 * An RDMA MR over a dma-buf, like `ib_umem_dmabuf` (drivers/infiniband/core/umem_dmabuf.c) with the
 * mlx5 driver's use of it: the MR covers `[offset, offset + length)` of an exporter's buffer (system
 * pages or a GPU BAR), attached for the HCA and mapped through the exporter; no page is pinned by
 * the MR, the exporter owns the memory.
 *
 * - **Dynamic** (`ib_umem_dmabuf_get()`, the default): the attachment has a `move_notify`. When the
 *   exporter moves the buffer, the MR's translation is zapped and the attachment's mapping released
 *   (`ib_umem_dmabuf_unmap_pages()`, what mlx5_ib_dmabuf_invalidate_cb() does); the next HCA access
 *   faults and maps the buffer again where it now is (`ib_umem_dmabuf_map_pages()` from the page
 *   fault, mlx5's pagefault_dmabuf_mr()), {@link DmaBufMemoryRegion.resolve}.
 * - **Pinned** (`ib_umem_dmabuf_get_pinned()`): a static attachment, so the exporter cannot move the
 *   buffer while the MR exists (`dma_buf_pin()`), mapped once at registration.
 *
 * The MR owns its attachment and the attachment's mapping: detaching or unmapping them through the
 * exporter is `EBUSY` while the MR is registered (the kernel's importer holds the attachment until
 * ib_umem_dmabuf_release()). The page size is 4 KiB, as mlx5 uses for dma-buf MRs (a move may
 * change what larger pages the memory allows), so `iova` and `offset` must agree modulo 4 KiB.
 */
import { checkU53, formatValue, RlistError } from "@rlist/encoding";
import { checkInstance, checkObject, orDefault } from "../args.js";
import { findBestBlockSize } from "../dma-list/blocks.js";
import { ArrayDmaCursor } from "../dma-list/dma-entries.js";
import { DmaKind, type DmaRangeList } from "../dma-list/dma-range-list.js";
import {
  claimAttachment,
  type DmaBufAttachment,
  DmaBufExporter,
  ownerDetach,
  ownerMap,
  ownerUnmap,
} from "../dmabuf/exporter.js";
import { checkFactory, FACTORY } from "../factory.js";
import { DmaDevice } from "../mapping/device.js";
import { accessWritable, checkMrAccess } from "./access.js";

/** Page size of a dma-buf MR's translation (PAGE_SIZE). */
export const DMABUF_MR_PAGE_SIZE = 4096;

export interface RegisterDmaBufMrOptions {
  /** The HCA. */
  readonly device: DmaDevice;
  /** The dma-buf (`fd` of ib_reg_user_mr_dmabuf()). */
  readonly exporter: DmaBufExporter;
  /** Offset of the MR's first byte in the buffer. Default 0. */
  readonly offset?: number;
  /** MR length in bytes (> 0; offset + length within the buffer). */
  readonly length: number;
  /** HW virtual address of the first byte; `iova mod 4096` must equal `offset mod 4096`. */
  readonly iova: number;
  /** IB_ACCESS_* flags. */
  readonly access: number;
  /** `ib_umem_dmabuf_get_pinned()`: a static attachment that pins the buffer. Default false. */
  readonly pinned?: boolean;
}

/**
 * Registers an MR over a dma-buf (`ib_reg_user_mr_dmabuf()`): attaches the HCA (dynamic, or static
 * with `pinned`), maps the buffer and checks that 4 KiB pages describe the MR's part of it. Errors,
 * with nothing attached or mapped: `EINVAL` (bad options, a range outside the buffer, `iova` and
 * `offset` not congruent in the page, memory 4 KiB pages cannot describe), `EREMOTEIO` (P2P memory
 * the HCA cannot reach: refused at attach), `EBUSY` (a pinned MR while the buffer is moving),
 * `EIO` (the HCA would need bounce buffers), `ENOMEM`.
 */
export function registerDmaBufMr(options: RegisterDmaBufMrOptions): DmaBufMemoryRegion {
  checkObject("dma-buf MR options", options);
  checkInstance("device", options.device, DmaDevice);
  checkInstance("exporter", options.exporter, DmaBufExporter);
  const { device, exporter, length, iova, access } = options;
  const offset = orDefault("offset", options.offset, 0);
  const pinned = orDefault("pinned", options.pinned, false);
  if (typeof pinned !== "boolean")
    throw new RlistError("EINVAL", `pinned must be a boolean, got ${formatValue(pinned)}`);
  checkU53("offset", offset);
  checkU53("length", length);
  checkU53("iova", iova);
  checkMrAccess(access);
  if (length === 0) throw new RlistError("EINVAL", "a dma-buf MR needs at least one byte");
  if (offset + length > exporter.size) {
    throw new RlistError(
      "EINVAL",
      `[${offset}, +${length}) is outside the ${exporter.size}-byte dma-buf ${exporter.name}`,
    );
  }
  if (iova % DMABUF_MR_PAGE_SIZE !== offset % DMABUF_MR_PAGE_SIZE) {
    throw new RlistError(
      "EINVAL",
      `iova 0x${iova.toString(16)} and offset 0x${offset.toString(16)} differ inside the 4 KiB page`,
    );
  }
  return new DmaBufMemoryRegion(FACTORY, device, exporter, offset, length, iova, access, pinned);
}

/** A registered dma-buf MR; every method but the getters is `EBUSY` after {@link deregister}. */
export class DmaBufMemoryRegion {
  readonly device: DmaDevice;
  readonly exporter: DmaBufExporter;
  /** Offset of byte 0 in the buffer. */
  readonly offset: number;
  readonly lengthBytes: number;
  /** HW virtual address of byte 0. */
  readonly iova: number;
  readonly access: number;
  readonly writable: boolean;
  readonly pinned: boolean;
  readonly attachment: DmaBufAttachment;
  /** The attachment's mapping while the translation is in place (`umem_dmabuf->sgt`). */
  #list: DmaRangeList | null = null;
  #faults = 0;
  #invalidations = 0;
  #live = true;

  /** @internal use {@link registerDmaBufMr} (`new DmaBufMemoryRegion(...)` is `EINVAL`). */
  constructor(
    factory: symbol,
    device: DmaDevice,
    exporter: DmaBufExporter,
    offset: number,
    length: number,
    iova: number,
    access: number,
    pinned: boolean,
  ) {
    checkFactory(factory, "DmaBufMemoryRegion", "registerDmaBufMr()");
    this.device = device;
    this.exporter = exporter;
    this.offset = offset;
    this.lengthBytes = length;
    this.iova = iova;
    this.access = access;
    this.writable = accessWritable(access);
    this.pinned = pinned;
    // ib_umem_dmabuf's attach ops allow peer-to-peer; the exporter refuses a path the topology forbids.
    this.attachment = exporter.attach({
      device,
      allowPeer2peer: true,
      ...(pinned ? {} : { moveNotify: () => this.#invalidate() }),
    });
    const owner = `the dma-buf MR at iova 0x${iova.toString(16)} (deregister it)`;
    claimAttachment(this.attachment, owner);
    try {
      this.#map();
    } catch (e) {
      ownerDetach(this.attachment);
      throw e;
    }
  }

  /** False after {@link deregister}. */
  get registered(): boolean {
    return this.#live;
  }

  /** True while the MR's translation is in place; false after a move until the next fault. */
  get mapped(): boolean {
    return this.#list !== null;
  }

  /** The DMA list of the whole buffer while mapped (the MR uses its `[offset, offset + length)`). */
  get dmaList(): DmaRangeList | null {
    return this.#list;
  }

  /** Page faults that mapped the buffer again after a move. */
  get faults(): number {
    return this.#faults;
  }

  /** Translations zapped by move_notify. */
  get invalidations(): number {
    return this.#invalidations;
  }

  /** 4 KiB HW pages the MR spans. */
  get pageCount(): number {
    const off0 = this.iova % DMABUF_MR_PAGE_SIZE;
    return Math.ceil((off0 + this.lengthBytes) / DMABUF_MR_PAGE_SIZE);
  }

  /**
   * DMA address of HW virtual address `va`, or -1 while the translation is zapped (after a move,
   * before the fault). `EFAULT` outside the MR.
   */
  dmaAddressOf(va: number): number {
    this.#checkLive();
    const b = this.#bufferOffset(va);
    const list = this.#list;
    if (list === null) return -1;
    const c = list.cursor();
    for (let ok = c.reset(); ok; ok = c.next()) {
      if (b < c.position + c.length) return c.dmaAddress + (b - c.position);
    }
    return -1;
  }

  /**
   * What the HCA does on an access to `va`: translate, and when the translation was zapped take a
   * page fault ({@link fault}) and translate again. Returns the DMA address. `EFAULT` outside the MR;
   * a fault's errors with the translation left zapped.
   */
  resolve(va: number): number {
    this.#checkLive();
    this.#bufferOffset(va);
    if (this.#list === null) this.fault();
    return this.dmaAddressOf(va);
  }

  /**
   * The page fault of a dynamic MR (`ib_umem_dmabuf_map_pages()` and the MTT update): maps the buffer
   * where it is now. Returns false when the translation was already in place. On failure the
   * translation stays zapped and nothing is mapped.
   */
  fault(): boolean {
    this.#checkLive();
    if (this.#list !== null) return false;
    this.#map();
    this.#faults++;
    return true;
  }

  /**
   * The HW page list: the DMA address of every 4 KiB page of the MR, in order, or all -1 while the
   * translation is zapped (the MTT entries the driver cleared).
   */
  pageList(): number[] {
    this.#checkLive();
    const ps = DMABUF_MR_PAGE_SIZE;
    const first = this.iova - (this.iova % ps);
    const out: number[] = [];
    for (let k = 0; k < this.pageCount; k++) {
      const va = Math.max(first + k * ps, this.iova);
      const dma = this.dmaAddressOf(va);
      out.push(dma < 0 ? -1 : dma - (dma % ps));
    }
    return out;
  }

  /**
   * Like ib_umem_dmabuf_release(): unmaps (dma_buf_unmap_attachment), unpins a pinned MR's buffer
   * and detaches; afterwards nothing of the MR is left in the exporter, the device or its IOMMU.
   * `EBUSY` the second time.
   */
  deregister(): void {
    this.#checkLive();
    if (this.#list !== null) ownerUnmap(this.attachment, this.#list);
    this.#list = null;
    ownerDetach(this.attachment);
    this.#live = false;
  }

  // ---- internals ---------------------------------------------------------------------------

  #checkLive(): void {
    if (!this.#live) throw new RlistError("EBUSY", "the dma-buf MR was already deregistered");
  }

  /** Buffer offset of `va`; `EFAULT` outside the MR. */
  #bufferOffset(va: number): number {
    checkU53("va", va);
    if (va < this.iova || va >= this.iova + this.lengthBytes) {
      throw new RlistError("EFAULT", `va 0x${va.toString(16)} is outside the MR`);
    }
    return this.offset + (va - this.iova);
  }

  /** Maps the attachment and checks the MR's part of it; all or nothing. */
  #map(): void {
    const list = ownerMap(this.attachment, "bidirectional");
    try {
      this.#check(list);
    } catch (e) {
      ownerUnmap(this.attachment, list);
      throw e;
    }
    this.#list = list;
  }

  /** The MR's window of `list` must be reachable without bounce buffers and 4 KiB-describable. */
  #check(list: DmaRangeList): void {
    const window: Array<[number, number]> = [];
    const start = this.offset;
    const end = this.offset + this.lengthBytes;
    const c = list.cursor();
    for (let ok = c.reset(); ok; ok = c.next()) {
      if (c.kind === DmaKind.BOUNCE) {
        throw new RlistError("EIO", `${this.device.name} can only reach the dma-buf through swiotlb`);
      }
      const a = Math.max(start, c.position);
      const b = Math.min(end, c.position + c.length);
      if (a < b) window.push([c.dmaAddress + (a - c.position), b - a]);
    }
    const ps = DMABUF_MR_PAGE_SIZE;
    if (findBestBlockSize(new ArrayDmaCursor(window), ps, this.iova) !== ps) {
      throw new RlistError(
        "EINVAL",
        `4 KiB pages cannot describe the dma-buf MR at iova 0x${this.iova.toString(16)}`,
      );
    }
  }

  /** move_notify (mlx5_ib_dmabuf_invalidate_cb): zap the translation, release the mapping. */
  #invalidate(): void {
    const list = this.#list;
    if (list === null) return;
    this.#list = null;
    ownerUnmap(this.attachment, list);
    this.#invalidations++;
  }
}
