/**
 * A DMA engine simulator: moves bytes between a device and memory through the device's own view
 * of its DMA addresses (`deviceTranslate`: IOMMU page table, direct offset, P2P bus window, swiotlb
 * slot), never through the CPU's idea of where the buffer is. Writing a request's worth of data
 * "from the device" and reading it back through the CPU range list is the end-to-end check that a
 * mapping loses and misplaces nothing.
 */
import { DmaDevice, deviceTranslate } from "@rlist/dma";
import { formatValue, lowBits, RlistError } from "@rlist/encoding";
import { checkSafe } from "./checks.js";
import { PAGE_SIZE } from "./constants.js";

/** IOMMU protection bits (IOMMU_READ / IOMMU_WRITE). */
const PROT_READ = 1;
const PROT_WRITE = 2;

/** Memory the engine reads and writes (`PhysicalMemory` from `@rlist/dma` is one). */
export interface DmaByteMemory {
  read(phys: number, out: Uint8Array): void;
  write(phys: number, data: Uint8Array): void;
}

/** A list of DMA segments: a `MappedRequest`, a `DmaRangeList`, anything with this cursor. */
export interface DmaSegmentSource {
  cursor(): {
    reset(): boolean;
    next(): boolean;
    readonly dmaAddress: number;
    readonly length: number;
  };
}

/** What one transfer did. */
export interface DmaTransferStats {
  bytes: number;
  /** Physically contiguous runs of memory the transfer touched. */
  pieces: number;
}

/**
 * Most bytes one {@link DmaEngine.read} returns (1 GiB): the result is a fresh buffer, so a larger
 * read is `ENOMEM` before anything is translated or allocated. Read a big list in parts.
 */
export const DMA_ENGINE_MAX_READ = 2 ** 30;

export class DmaEngine {
  readonly memory: DmaByteMemory;
  /** Transfers done and bytes moved, over the engine's life. */
  readonly totals = { transfers: 0, bytes: 0 };

  constructor(memory: DmaByteMemory) {
    const m = memory as Partial<DmaByteMemory> | null;
    if (
      typeof m !== "object" ||
      m === null ||
      typeof m.read !== "function" ||
      typeof m.write !== "function"
    ) {
      throw new RlistError("EINVAL", `memory must have read() and write(), got ${formatValue(memory)}`);
    }
    this.memory = memory;
  }

  /**
   * The device writes `data` into the segments of `list`, in order (a device-to-memory transfer,
   * e.g. a read command completing). `EINVAL` if `data` is longer than the list; `EIO` (and nothing
   * written) when any byte would fault: outside the mask, unmapped in the IOMMU, not writable, or a
   * swiotlb slot no mapping owns.
   */
  write(device: DmaDevice, list: DmaSegmentSource, data: Uint8Array): DmaTransferStats {
    checkTransfer(device, list);
    if (!(data instanceof Uint8Array))
      throw new RlistError("EINVAL", `data must be a Uint8Array, got ${formatValue(data)}`);
    const pieces = this.plan(device, list, data.length, PROT_WRITE);
    let at = 0;
    for (let i = 0; i < pieces.count; i++) {
      const len = pieces.len[i]!;
      this.memory.write(pieces.phys[i]!, data.subarray(at, at + len));
      at += len;
    }
    return this.done(data.length, pieces.count);
  }

  /**
   * The device reads `length` bytes (default: the whole list) from the segments of `list` (a
   * memory-to-device transfer). Errors as {@link write}, with read permission.
   */
  read(device: DmaDevice, list: DmaSegmentSource, length?: number): Uint8Array {
    checkTransfer(device, list);
    if (length !== undefined) checkSafe("length", length);
    const total = length ?? listLength(list);
    if (total > DMA_ENGINE_MAX_READ) {
      throw new RlistError(
        "ENOMEM",
        `a ${total}-byte read is above DMA_ENGINE_MAX_READ (${DMA_ENGINE_MAX_READ})`,
      );
    }
    const pieces = this.plan(device, list, total, PROT_READ);
    const out = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < pieces.count; i++) {
      const len = pieces.len[i]!;
      this.memory.read(pieces.phys[i]!, out.subarray(at, at + len));
      at += len;
    }
    this.done(total, pieces.count);
    return out;
  }

  private done(bytes: number, pieces: number): DmaTransferStats {
    this.totals.transfers++;
    this.totals.bytes += bytes;
    return { bytes, pieces };
  }

  /** Translates every byte range first, so a fault leaves memory untouched. */
  private plan(device: DmaDevice, list: DmaSegmentSource, total: number, need: number): Pieces {
    const pieces = new Pieces();
    const step = device.iommu?.granule ?? PAGE_SIZE;
    const c = list.cursor();
    let left = total;
    for (let ok = c.reset(); ok && left > 0; ok = c.next()) {
      let dma = c.dmaAddress;
      let segLeft = Math.min(c.length, left);
      while (segLeft > 0) {
        const n = Math.min(segLeft, step - lowBits(dma, step));
        const t = deviceTranslate(device, dma);
        if (!t.ok) {
          throw new RlistError("EIO", `${device.name}: DMA fault (${t.fault}) at 0x${dma.toString(16)}`);
        }
        if ((t.prot & need) === 0) {
          throw new RlistError(
            "EIO",
            `${device.name}: DMA ${need === PROT_WRITE ? "write" : "read"} at 0x${dma.toString(16)} not permitted`,
          );
        }
        if (t.route === "bounce" && t.backing < 0) {
          throw new RlistError("EIO", `${device.name}: DMA to a free swiotlb slot at 0x${dma.toString(16)}`);
        }
        pieces.push(t.phys, n);
        dma += n;
        segLeft -= n;
        left -= n;
      }
    }
    if (left > 0)
      throw new RlistError("EINVAL", `the DMA list holds ${total - left} bytes, ${total} requested`);
    return pieces;
  }
}

function checkTransfer(device: DmaDevice, list: DmaSegmentSource): void {
  if (!(device instanceof DmaDevice))
    throw new RlistError("EINVAL", `${formatValue(device)} is not a DmaDevice`);
  if (typeof (list as Partial<DmaSegmentSource> | null)?.cursor !== "function") {
    throw new RlistError("EINVAL", `${formatValue(list)} is not a list of DMA segments`);
  }
}

function listLength(list: DmaSegmentSource): number {
  const c = list.cursor();
  let n = 0;
  for (let ok = c.reset(); ok; ok = c.next()) n += c.length;
  return n;
}

/** Growable (phys, len) pairs, merging physically contiguous pieces. */
class Pieces {
  count = 0;
  phys = new Float64Array(16);
  len = new Float64Array(16);

  push(phys: number, len: number): void {
    const last = this.count - 1;
    if (last >= 0 && this.phys[last]! + this.len[last]! === phys) {
      this.len[last] = this.len[last]! + len;
      return;
    }
    if (this.count === this.phys.length) {
      const p = new Float64Array(this.count * 2);
      const l = new Float64Array(this.count * 2);
      p.set(this.phys);
      l.set(this.len);
      this.phys = p;
      this.len = l;
    }
    this.phys[this.count] = phys;
    this.len[this.count] = len;
    this.count++;
  }
}
