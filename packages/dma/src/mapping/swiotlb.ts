/**
 * A swiotlb bounce-buffer pool (kernel/dma/swiotlb.c) for devices that cannot reach a buffer and
 * have no IOMMU: 2 KiB slots (IO_TLB_SIZE), at most 128 contiguous slots per mapping
 * (IO_TLB_SEGSIZE), slot choice that preserves the device's `min_align_mask` bits, and the
 * bounce copies of map / unmap / sync done through the simulated physical memory.
 *
 * Modelled like mainline with one area: a rotating search index, a per-slot `list` count of free
 * slots up to the end of the 128-slot segment, per-slot `orig_addr` / `alloc_size`, and the
 * unconditional copy to the bounce buffer at map time (the 2022 info-leak fix). Slot state lives in
 * typed arrays.
 */
import { alignUp, checkU53, formatValue, lowBits, RlistError } from "@rlist/encoding";
import { checkFunction, checkObject, orDefault } from "../args.js";
import { checkFaultInjector, type FaultInjector } from "../iommu/faults.js";
import { isLowMask } from "../util/bits.js";
import { type DmaDirection, isDmaDirection } from "./direction.js";

/** IO_TLB_SHIFT / IO_TLB_SIZE: 2 KiB slots. */
export const IO_TLB_SHIFT = 11;
export const IO_TLB_SIZE = 2048;
/** IO_TLB_SEGSIZE: a mapping never spans more than 128 slots (256 KiB). */
export const IO_TLB_SEGSIZE = 128;
/** IO_TLB_DEFAULT_SIZE: 64 MiB. */
export const IO_TLB_DEFAULT_SIZE = 64 * 1024 * 1024;
/**
 * Largest pool the model builds (4 GiB, 2M slots: 36 MiB of slot arrays). Bigger is `ENOMEM` before
 * any slot array is allocated; the kernel's default pool is 64 MiB.
 */
export const SWIOTLB_MAX_SIZE = 2 ** 32;

const INVALID = -1;

/** The byte access swiotlb needs from physical memory (`PhysicalMemory` has it). */
export interface ByteMemory {
  read(phys: number, out: Uint8Array): void;
  write(phys: number, data: Uint8Array): void;
}

export interface SwiotlbOptions {
  /** Physical address of the pool (slot 0), 2 KiB aligned. */
  base: number;
  /** Pool size in bytes, a multiple of 256 KiB (whole segments). Default 64 MiB. */
  size?: number;
  /** Memory the bounce copies go through; without it map/sync only manage slots. */
  memory?: ByteMemory;
  /** Fault injection at site `"swiotlb"` (each slot search). */
  faults?: FaultInjector;
}

/** Like swiotlb_max_mapping_size(): 256 KiB minus the min_align_mask rounded up to a slot. */
export function swiotlbMaxMappingSize(minAlignMask: number): number {
  checkU53("minAlignMask", minAlignMask);
  return maxMappingSize(minAlignMask);
}

function maxMappingSize(minAlignMask: number): number {
  const minAlign = minAlignMask === 0 ? 0 : alignUp(minAlignMask, IO_TLB_SIZE);
  return IO_TLB_SIZE * IO_TLB_SEGSIZE - minAlign;
}

/** Like swiotlb_align_offset(dev, 0, addr): the in-slot offset that keeps min_align_mask bits. */
export function swiotlbAlignOffset(minAlignMask: number, addr: number): number {
  checkU53("minAlignMask", minAlignMask);
  checkU53("addr", addr);
  return alignOffset(minAlignMask, addr);
}

/** {@link swiotlbAlignOffset} on checked numbers (the pool's own calls). */
function alignOffset(minAlignMask: number, addr: number): number {
  if (minAlignMask === 0) return 0;
  const keep = Math.min(minAlignMask + 1, IO_TLB_SIZE);
  return lowBits(addr, keep);
}

/** The arguments of unmap and the syncs, checked before any slot or byte is touched. */
function checkBounceArgs(tlb: number, size: number, dir: DmaDirection, minAlignMask: number): void {
  checkU53("tlb", tlb);
  checkU53("size", size);
  if (!isDmaDirection(dir)) throw new RlistError("EINVAL", `bad DMA direction ${formatValue(dir)}`);
  checkMinAlignMask(minAlignMask);
}

function checkMinAlignMask(minAlignMask: number): void {
  checkU53("minAlignMask", minAlignMask);
  if (!isLowMask(minAlignMask)) throw new RlistError("EINVAL", "minAlignMask is not 2^k - 1");
}

export class SwiotlbPool {
  readonly base: number;
  readonly nslabs: number;
  private readonly list: Uint8Array;
  private readonly origAddr: Float64Array;
  private readonly allocSize: Float64Array;
  /** Index of each live slot inside its mapping (0 for the first slot). */
  private readonly slotIndex: Uint8Array;
  /**
   * For the first data slot of an aligned mapping ({@link map} with `allocAlignMask`): slots taken
   * before it (pre-padding) and slots taken in all; 0 for ordinary mappings.
   */
  private readonly padSlots: Uint16Array;
  private readonly spanSlots: Uint16Array;
  private readonly memory: ByteMemory | undefined;
  private readonly faults: FaultInjector | undefined;
  private index = 0;
  private used = 0;
  private hiwater = 0;
  private scratch: Uint8Array | null = null;
  /** Bytes copied CPU -> bounce and bounce -> CPU. */
  bouncedToDevice = 0;
  bouncedToCpu = 0;

  constructor(options: SwiotlbOptions) {
    checkObject("swiotlb options", options);
    checkU53("base", options.base);
    if (lowBits(options.base, IO_TLB_SIZE) !== 0)
      throw new RlistError("EINVAL", "swiotlb base must be 2 KiB aligned");
    const size = orDefault("size", options.size, IO_TLB_DEFAULT_SIZE);
    checkU53("size", size);
    if (size === 0 || lowBits(size, IO_TLB_SIZE * IO_TLB_SEGSIZE) !== 0) {
      throw new RlistError("EINVAL", "swiotlb size must be a non-zero multiple of 256 KiB");
    }
    if (size > SWIOTLB_MAX_SIZE) {
      throw new RlistError(
        "ENOMEM",
        `a ${size}-byte swiotlb pool is above SWIOTLB_MAX_SIZE (${SWIOTLB_MAX_SIZE})`,
      );
    }
    this.base = options.base;
    this.nslabs = size / IO_TLB_SIZE;
    this.list = new Uint8Array(this.nslabs);
    this.origAddr = new Float64Array(this.nslabs).fill(INVALID);
    this.allocSize = new Float64Array(this.nslabs);
    this.slotIndex = new Uint8Array(this.nslabs);
    this.padSlots = new Uint16Array(this.nslabs);
    this.spanSlots = new Uint16Array(this.nslabs);
    for (let i = 0; i < this.nslabs; i++) this.list[i] = IO_TLB_SEGSIZE - (i % IO_TLB_SEGSIZE);
    const { memory, faults } = options;
    if (memory !== undefined) {
      checkObject("memory", memory);
      checkFunction("memory.read", memory.read);
      checkFunction("memory.write", memory.write);
    }
    checkFaultInjector("faults", faults);
    this.memory = memory;
    this.faults = faults;
  }

  /** Bytes of the pool. */
  get size(): number {
    return this.nslabs * IO_TLB_SIZE;
  }

  /** Slots in use. */
  get usedSlots(): number {
    return this.used;
  }

  /** Highest {@link usedSlots} seen. */
  get hiwaterSlots(): number {
    return this.hiwater;
  }

  /** True when `phys` lies in the pool (is_swiotlb_buffer()). */
  contains(phys: number): boolean {
    checkU53("phys", phys);
    return phys >= this.base && phys < this.base + this.size;
  }

  /**
   * Like swiotlb_tbl_map_single(): finds slots for `size` bytes of `orig`, copies the data in
   * (always, whatever the direction) and returns the bounce address, whose `minAlignMask` bits
   * equal `orig`'s. `EINVAL` above {@link swiotlbMaxMappingSize}; `ENOMEM` when the pool is full.
   * `boundaryMask` is the device's segment boundary, which a bounce buffer never crosses.
   *
   * With `allocAlignMask` (dma-iommu passes the IOVA granule - 1) the bounce buffer keeps `orig`'s
   * offset in that alignment too, and the slots taken cover whole aligned blocks (the allocation is
   * `ALIGN(size + offset, allocAlignMask + 1)`): the IOMMU maps those blocks, so no other mapping
   * may share them. The padding before and after the data is zeroed, as iommu_dma_map_swiotlb()
   * does for untrusted devices. Later calls for this buffer pass `minAlignMask | allocAlignMask`.
   */
  map(orig: number, size: number, minAlignMask: number, boundaryMask?: number, allocAlignMask = 0): number {
    checkU53("orig", orig);
    checkU53("size", size);
    if (size === 0) throw new RlistError("EINVAL", "swiotlb mapping of 0 bytes");
    if (!isLowMask(minAlignMask)) throw new RlistError("EINVAL", "minAlignMask is not 2^k - 1");
    if (boundaryMask !== undefined && !isLowMask(boundaryMask)) {
      throw new RlistError("EINVAL", `boundaryMask must be 2^k - 1, got ${formatValue(boundaryMask)}`);
    }
    if (allocAlignMask !== 0) return this.mapAligned(orig, size, minAlignMask, boundaryMask, allocAlignMask);
    const max = maxMappingSize(minAlignMask);
    if (size > max) throw new RlistError("EINVAL", `swiotlb mapping of ${size} bytes exceeds ${max}`);
    const offset = alignOffset(minAlignMask, orig);
    const slot = this.findSlots(orig, size + offset, minAlignMask, boundaryMask);
    if (slot < 0)
      throw new RlistError("ENOMEM", `swiotlb buffer is full (${size} bytes, ${this.used} slots used)`);
    const nslots = Math.ceil((size + offset) / IO_TLB_SIZE);
    for (let i = 0; i < nslots; i++) {
      this.origAddr[slot + i] = orig + i * IO_TLB_SIZE;
      this.allocSize[slot + i] = size - i * IO_TLB_SIZE;
      this.slotIndex[slot + i] = i;
    }
    const tlb = this.base + slot * IO_TLB_SIZE + offset;
    this.bounce(tlb, size, "to-device", minAlignMask);
    return tlb;
  }

  /** {@link map} with an allocation alignment (see there). */
  private mapAligned(
    orig: number,
    size: number,
    minAlignMask: number,
    boundaryMask: number | undefined,
    allocAlignMask: number,
  ): number {
    if (!isLowMask(allocAlignMask) || allocAlignMask < IO_TLB_SIZE - 1 || allocAlignMask >= 2 ** 20) {
      throw new RlistError(
        "EINVAL",
        `allocAlignMask ${formatValue(allocAlignMask)} is not 2^k - 1 in 2 KiB..1 MiB`,
      );
    }
    // min_align_mask bits below the allocation alignment are kept by it; a device whose mask is
    // wider than the IOVA granule cannot sit behind the IOMMU (checkMinAlignForIommu).
    if (minAlignMask > allocAlignMask) {
      throw new RlistError(
        "EINVAL",
        `minAlignMask ${minAlignMask} is wider than allocAlignMask ${allocAlignMask}`,
      );
    }
    const align = allocAlignMask + 1;
    const inBlock = lowBits(orig, align);
    const total = alignUp(inBlock + size, align);
    if (total > IO_TLB_SIZE * IO_TLB_SEGSIZE) {
      throw new RlistError(
        "EINVAL",
        `swiotlb mapping of ${size} bytes at offset ${inBlock} needs ${total} aligned bytes, over ${IO_TLB_SIZE * IO_TLB_SEGSIZE}`,
      );
    }
    // The block-aligned start keeps every bit below `align`, the in-slot offset the rest.
    const start = this.findSlots(orig, total, 0, boundaryMask, align);
    if (start < 0)
      throw new RlistError("ENOMEM", `swiotlb buffer is full (${size} bytes, ${this.used} slots used)`);
    const offset = lowBits(orig, IO_TLB_SIZE);
    const pad = (inBlock - offset) / IO_TLB_SIZE;
    const slot = start + pad;
    const nslots = Math.ceil((size + offset) / IO_TLB_SIZE);
    for (let i = 0; i < nslots; i++) {
      this.origAddr[slot + i] = orig + i * IO_TLB_SIZE;
      this.allocSize[slot + i] = size - i * IO_TLB_SIZE;
      this.slotIndex[slot + i] = i;
    }
    this.padSlots[slot] = pad;
    this.spanSlots[slot] = total / IO_TLB_SIZE;
    const tlb = this.base + slot * IO_TLB_SIZE + offset;
    this.zero(this.base + start * IO_TLB_SIZE, tlb - (this.base + start * IO_TLB_SIZE));
    this.zero(tlb + size, this.base + start * IO_TLB_SIZE + total - (tlb + size));
    this.bounce(tlb, size, "to-device", IO_TLB_SIZE - 1);
    return tlb;
  }

  /** Writes `n` zero bytes at `addr` (padding nobody may read leftovers from). */
  private zero(addr: number, n: number): void {
    if (n === 0 || this.memory === undefined) return;
    this.memory.write(addr, new Uint8Array(n));
  }

  /**
   * Like swiotlb_tbl_unmap_single(): copies device writes back (FROM_DEVICE / BIDIRECTIONAL) and
   * releases the slots. `tlb` is the address {@link map} returned.
   */
  unmap(tlb: number, size: number, dir: DmaDirection, minAlignMask: number): void {
    checkBounceArgs(tlb, size, dir, minAlignMask);
    const offset = alignOffset(minAlignMask, tlb);
    const slot = this.liveSlot(tlb - offset);
    if (dir !== "to-device") this.bounce(tlb, size, "from-device", minAlignMask);
    this.release(slot, offset);
  }

  /** Like swiotlb_sync_single_for_cpu(): bounce -> CPU for FROM_DEVICE / BIDIRECTIONAL. */
  syncForCpu(tlb: number, size: number, dir: DmaDirection, minAlignMask: number): void {
    checkBounceArgs(tlb, size, dir, minAlignMask);
    this.liveSlot(tlb);
    if (dir !== "to-device") this.bounce(tlb, size, "from-device", minAlignMask);
  }

  /** Like swiotlb_sync_single_for_device(): CPU -> bounce for TO_DEVICE / BIDIRECTIONAL. */
  syncForDevice(tlb: number, size: number, dir: DmaDirection, minAlignMask: number): void {
    checkBounceArgs(tlb, size, dir, minAlignMask);
    this.liveSlot(tlb);
    if (dir !== "from-device") this.bounce(tlb, size, "to-device", minAlignMask);
  }

  /**
   * The original CPU physical address that bounce byte `tlb` stands for, or -1 when it is not
   * inside a live mapping: where a device's byte at `tlb` is copied to / from.
   */
  originalOf(tlb: number, minAlignMask: number): number {
    checkU53("tlb", tlb);
    checkMinAlignMask(minAlignMask);
    if (!this.contains(tlb)) return -1;
    const slot = Math.floor((tlb - this.base) / IO_TLB_SIZE);
    const orig = this.origAddr[slot]!;
    if (orig === INVALID) return -1;
    // Slot i's orig_addr is the byte at in-slot offset `align`; later slots also start before it.
    const align = alignOffset(minAlignMask, orig);
    const off = lowBits(tlb, IO_TLB_SIZE) - align;
    if (off < (this.slotIndex[slot] === 0 ? 0 : -align) || off >= this.allocSize[slot]!) return -1;
    return orig + off;
  }

  // --- internals ---

  /** swiotlb_search_pool_area() with one area. */
  private findSlots(
    orig: number,
    allocSize: number,
    minAlignMask: number,
    boundaryMask?: number,
    alignStart = 0,
  ): number {
    if (this.faults?.shouldFail("swiotlb")) return -1;
    const nslots = Math.ceil(allocSize / IO_TLB_SIZE);
    if (nslots > this.nslabs - this.used) return -1;
    // Mappings of a page or more stay page aligned when no min_align_mask asks otherwise.
    const allocAlign =
      alignStart !== 0 ? alignStart : minAlignMask === 0 && allocSize >= 4096 ? 4096 : IO_TLB_SIZE;
    // min_align_mask bits at and above the slot size are kept by the choice of slot.
    const slotAlign = minAlignMask + 1 > IO_TLB_SIZE ? minAlignMask + 1 : 0;
    const want = slotAlign === 0 ? 0 : lowBits(orig, slotAlign) - lowBits(orig, IO_TLB_SIZE);
    const stride = Math.max(1, Math.max(allocAlign, slotAlign) / IO_TLB_SIZE);
    const maxSlots =
      boundaryMask === undefined || boundaryMask >= Number.MAX_SAFE_INTEGER
        ? 0
        : Math.max(1, Math.floor((boundaryMask + 1) / IO_TLB_SIZE));
    const baseSlot = this.base / IO_TLB_SIZE;
    let index = this.index;
    for (let checked = 0; checked < this.nslabs; ) {
      const tlb = this.base + index * IO_TLB_SIZE;
      if (lowBits(tlb, allocAlign) !== 0 || (slotAlign !== 0 && lowBits(tlb, slotAlign) !== want)) {
        index = (index + 1) % this.nslabs;
        checked++;
        continue;
      }
      // iommu_is_span_boundary(): the slots must not cross the device's segment boundary.
      const crosses = maxSlots !== 0 && ((baseSlot + index) % maxSlots) + nslots > maxSlots;
      if (!crosses && this.list[index]! >= nslots) {
        for (let i = index; i < index + nslots; i++) this.list[i] = 0;
        let count = 0;
        for (
          let i = index - 1;
          i >= 0 && i % IO_TLB_SEGSIZE !== IO_TLB_SEGSIZE - 1 && this.list[i]! !== 0;
          i--
        ) {
          this.list[i] = ++count;
        }
        this.index = (index + nslots) % this.nslabs;
        this.used += nslots;
        if (this.used > this.hiwater) this.hiwater = this.used;
        return index;
      }
      index = (index + stride) % this.nslabs;
      checked += stride;
    }
    return -1;
  }

  /** Slot of `addr` when it holds a live mapping; `EINVAL` otherwise. */
  private liveSlot(addr: number): number {
    if (!this.contains(addr))
      throw new RlistError("EINVAL", `0x${addr.toString(16)} is not a swiotlb address`);
    const slot = Math.floor((addr - this.base) / IO_TLB_SIZE);
    if (this.origAddr[slot] === INVALID) {
      throw new RlistError("EINVAL", `0x${addr.toString(16)} is not a mapped swiotlb address`);
    }
    return slot;
  }

  /** swiotlb_release_slots(). */
  private release(dataSlot: number, offset: number): void {
    // An aligned mapping also gives back its padding slots (before and after the data).
    const span = this.spanSlots[dataSlot]!;
    const slot = dataSlot - this.padSlots[dataSlot]!;
    const nslots = span !== 0 ? span : Math.ceil((this.allocSize[slot]! + offset) / IO_TLB_SIZE);
    this.padSlots[dataSlot] = 0;
    this.spanSlots[dataSlot] = 0;
    const segEnd = (Math.floor(slot / IO_TLB_SEGSIZE) + 1) * IO_TLB_SEGSIZE;
    let count = slot + nslots < segEnd ? this.list[slot + nslots]! : 0;
    for (let i = slot + nslots - 1; i >= slot; i--) {
      this.list[i] = ++count;
      this.origAddr[i] = INVALID;
      this.allocSize[i] = 0;
      this.slotIndex[i] = 0;
    }
    for (let i = slot - 1; i >= 0 && i % IO_TLB_SEGSIZE !== IO_TLB_SEGSIZE - 1 && this.list[i]! !== 0; i--) {
      this.list[i] = ++count;
    }
    this.used -= nslots;
  }

  /** swiotlb_bounce(): copies `size` bytes between the bounce buffer at `tlb` and the original. */
  private bounce(tlb: number, size: number, dir: "to-device" | "from-device", minAlignMask: number): void {
    const orig = this.originalOf(tlb, minAlignMask);
    if (orig < 0) throw new RlistError("EINVAL", `0x${tlb.toString(16)} is not inside a swiotlb mapping`);
    const slot = Math.floor((tlb - this.base) / IO_TLB_SIZE);
    const left = this.allocSize[slot]! - (orig - this.origAddr[slot]!);
    if (size > left) throw new RlistError("EINVAL", `swiotlb sync of ${size} bytes past the mapping`);
    const mem = this.memory;
    if (mem === undefined) return;
    if (this.scratch === null || this.scratch.length < size)
      this.scratch = new Uint8Array(IO_TLB_SIZE * IO_TLB_SEGSIZE);
    const buf = this.scratch.subarray(0, size);
    if (dir === "to-device") {
      mem.read(orig, buf);
      mem.write(tlb, buf);
      this.bouncedToDevice += size;
    } else {
      mem.read(tlb, buf);
      mem.write(orig, buf);
      this.bouncedToCpu += size;
    }
  }
}
