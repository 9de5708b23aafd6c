import { bigToSafe, formatValue, RlistError } from "@rlist/encoding";
import { hex, parseU64 } from "../util/numbers.js";

/** Description of a memory BAR; addresses as number, bigint or `0x` hex string (exact). */
export interface PciBarInit {
  /** BAR register index 0..5. A 64-bit BAR also consumes index + 1. */
  readonly index: number;
  /** CPU physical address of the BAR (what `/proc/iomem` and sysfs `resource` show). */
  readonly cpuAddress: number | bigint | string;
  /** PCI bus address (what peers put on the wire). Defaults to `cpuAddress` (x86: no offset). */
  readonly busAddress?: number | bigint | string;
  readonly size: number | bigint | string;
  readonly is64?: boolean;
  readonly prefetchable?: boolean;
}

/** A memory BAR of a PCI function: its CPU window and its bus window, exact 64-bit values. */
export class PciBar {
  readonly index: number;
  readonly cpuAddressBig: bigint;
  readonly busAddressBig: bigint;
  readonly sizeBig: bigint;
  readonly is64: boolean;
  readonly prefetchable: boolean;

  constructor(init: PciBarInit) {
    if (typeof init !== "object" || init === null) {
      throw new RlistError("EINVAL", `a BAR must be an object, got ${formatValue(init)}`);
    }
    if (!Number.isInteger(init.index) || init.index < 0 || init.index > 5) {
      throw new RlistError("EINVAL", `BAR index must be 0..5, got ${formatValue(init.index)}`);
    }
    const is64 = init.is64 === undefined ? false : init.is64;
    if (typeof is64 !== "boolean")
      throw new RlistError("EINVAL", `BAR is64 must be a boolean, got ${formatValue(is64)}`);
    const prefetchable = init.prefetchable === undefined ? false : init.prefetchable;
    if (typeof prefetchable !== "boolean") {
      throw new RlistError("EINVAL", `BAR prefetchable must be a boolean, got ${formatValue(prefetchable)}`);
    }
    if (is64 && init.index === 5) throw new RlistError("EINVAL", "a 64-bit BAR cannot start at index 5");
    const cpu = parseU64("BAR cpuAddress", init.cpuAddress);
    const bus = init.busAddress === undefined ? cpu : parseU64("BAR busAddress", init.busAddress);
    const size = parseU64("BAR size", init.size);
    if (size < 16n || (size & (size - 1n)) !== 0n) {
      throw new RlistError("EINVAL", `BAR size must be a power of two >= 16, got ${hex(size)}`);
    }
    if ((bus & (size - 1n)) !== 0n) {
      throw new RlistError("EINVAL", `BAR bus address ${hex(bus)} is not aligned to its size ${hex(size)}`);
    }
    if (cpu + size - 1n > 0xffff_ffff_ffff_ffffn || bus + size - 1n > 0xffff_ffff_ffff_ffffn) {
      throw new RlistError("ERANGE", "BAR window runs past 2^64");
    }
    if (!is64 && bus + size > 0x1_0000_0000n) {
      throw new RlistError("EINVAL", `32-bit BAR ${init.index} at bus ${hex(bus)} does not fit below 4 GiB`);
    }
    this.index = init.index;
    this.cpuAddressBig = cpu;
    this.busAddressBig = bus;
    this.sizeBig = size;
    this.is64 = is64;
    this.prefetchable = prefetchable;
    Object.freeze(this);
  }

  /** CPU physical start; `ERANGE` above 2^53-1 (use `cpuAddressBig`). */
  get cpuAddress(): number {
    return bigToSafe("BAR cpuAddress", this.cpuAddressBig);
  }

  /** Bus start; `ERANGE` above 2^53-1 (use `busAddressBig`). */
  get busAddress(): number {
    return bigToSafe("BAR busAddress", this.busAddressBig);
  }

  get size(): number {
    return bigToSafe("BAR size", this.sizeBig);
  }

  /** The JSON form ({@link PciBarInit} with hex strings). */
  toJSON(): {
    index: number;
    cpuAddress: string;
    busAddress: string;
    size: string;
    is64: boolean;
    prefetchable: boolean;
  } {
    return {
      index: this.index,
      cpuAddress: hex(this.cpuAddressBig),
      busAddress: hex(this.busAddressBig),
      size: hex(this.sizeBig),
      is64: this.is64,
      prefetchable: this.prefetchable,
    };
  }
}
