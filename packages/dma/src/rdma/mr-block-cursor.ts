/**
 * The HW page list of an MR as a cursor (`rdma_umem_for_each_dma_block`), with the blocks an ODP
 * invalidation dropped marked not present.
 */

import { lowBits } from "@rlist/encoding";
import { BlockCursor } from "../dma-list/blocks.js";
import { checkFactory } from "../factory.js";
import type { MemoryRegion } from "./memory-region.js";
import type { PageIntervalSet } from "./page-intervals.js";

/**
 * The HW page list of an MR (`rdma_umem_for_each_dma_block`): {@link dmaAddress} of block
 * {@link index}, and whether all its pages are {@link present}. Allocation-free.
 */
export class MrBlockCursor {
  readonly pageSize: number;
  /** Block number from 0. */
  index = -1;
  /** False when a page of the block is invalidated (ODP). */
  present = false;
  readonly #inner: BlockCursor;
  readonly #mr: MemoryRegion;
  readonly #absent: PageIntervalSet;
  readonly #offset: number;

  /** @internal use {@link MemoryRegion.blocks} (`new MrBlockCursor(...)` is `EINVAL`). */
  constructor(factory: symbol, mr: MemoryRegion, absent: PageIntervalSet, pageSize: number) {
    checkFactory(factory, "MrBlockCursor", "MemoryRegion.blocks()");
    this.pageSize = pageSize;
    this.#mr = mr;
    this.#absent = absent;
    this.#inner = new BlockCursor(mr.dmaList.cursor(), pageSize);
    this.#offset = mr.blockOffset(pageSize);
  }

  /** DMA address of the current block (aligned to the page size). */
  get dmaAddress(): number {
    return this.#inner.dmaAddress;
  }

  reset(): boolean {
    this.index = -1;
    return this.#step(this.#inner.reset());
  }

  next(): boolean {
    return this.#step(this.#inner.next());
  }

  #step(ok: boolean): boolean {
    if (!ok) {
      this.present = false;
      return false;
    }
    this.index++;
    if (this.#absent.size === 0) {
      this.present = true;
      return true;
    }
    const mr = this.#mr;
    const ps = mr.memory.pageSize;
    const off0 = lowBits(mr.iova, ps);
    const lo = Math.max(0, this.index * this.pageSize - this.#offset);
    const hi = Math.min(mr.lengthBytes, (this.index + 1) * this.pageSize - this.#offset);
    const p0 = Math.floor((lo + off0) / ps);
    const p1 = Math.floor((hi - 1 + off0) / ps) + 1;
    this.present = !this.#absent.intersects(p0, p1);
    return true;
  }
}
