import { checkU53, formatValue, RlistError, TWO32 } from "@rlist/encoding";
import { checkFactory } from "../factory.js";
import type { PciBar } from "./bar.js";
import type { PciFunction } from "./topology.js";

const U64 = 1n << 64n;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * A P2P memory provider: one BAR of a PCI function whose MMIO peers may DMA to
 * (like the kernel's `struct p2pdma_provider { owner, bus_offset }`, one per BAR since 6.19).
 *
 * `bus_offset = bus address - CPU address` of the BAR, kept exact as a 64-bit two's-complement
 * value in two u32 words: it is negative whenever the bus window sits below the CPU window.
 * Create it with {@link PciFunction.p2pProvider}.
 */
export class P2pProvider {
  readonly owner: PciFunction;
  readonly bar: PciBar;
  /** High u32 word of `bus_offset` (two's complement u64). */
  readonly busOffsetHi: number;
  /** Low u32 word of `bus_offset`. */
  readonly busOffsetLo: number;
  /** `bus_offset` as a signed `number` when |offset| <= 2^53-1, else NaN (the Big path is used). */
  readonly #offsetNum: number;
  /** @internal per-provider map-type cache, keyed by client `bdfKey` (the kernel's `map_types` xarray). */
  readonly mapTypes = new Map<number, number>();
  /** @internal topology generation the cache was filled at. */
  mapTypesGeneration = -1;

  /** @internal use `PciFunction.p2pProvider(bar)` (`new P2pProvider(...)` is `EINVAL`). */
  constructor(factory: symbol, owner: PciFunction, bar: PciBar) {
    checkFactory(factory, "P2pProvider", "PciFunction.p2pProvider()");
    this.owner = owner;
    this.bar = bar;
    const u64 = (bar.busAddressBig - bar.cpuAddressBig + U64) % U64;
    const signed = u64 >= 1n << 63n ? u64 - U64 : u64;
    this.busOffsetHi = Number(u64 >> 32n);
    this.busOffsetLo = Number(u64 & 0xffff_ffffn);
    this.#offsetNum = signed >= -BigInt(MAX_SAFE) && signed <= BigInt(MAX_SAFE) ? Number(signed) : Number.NaN;
  }

  /** `bus_offset` as the kernel's u64 (two's complement: 0xFFFF_FFC0_8000_0000 for -0x3F_8000_0000). */
  get busOffsetBig(): bigint {
    return (BigInt(this.busOffsetHi) << 32n) | BigInt(this.busOffsetLo);
  }

  /** `bus_offset` as a signed bigint. */
  get busOffsetSigned(): bigint {
    const u = this.busOffsetBig;
    return u >= 1n << 63n ? u - U64 : u;
  }

  /** `bus_offset` as a signed `number`; `ERANGE` if its magnitude is above 2^53-1. */
  get busOffset(): number {
    if (Number.isNaN(this.#offsetNum)) {
      throw new RlistError(
        "ERANGE",
        `bus offset of ${this.name} does not fit a safe integer; use busOffsetBig`,
      );
    }
    return this.#offsetNum;
  }

  /** `0000:01:00.0 BAR2`, for messages. */
  get name(): string {
    return `${this.owner.bdf} BAR${this.bar.index}`;
  }

  /** @internal the signed offset as a number, or NaN. */
  get offsetNumber(): number {
    return this.#offsetNum;
  }
}

/**
 * Bus address of CPU physical address `phys` inside `provider`'s BAR: `phys + bus_offset`
 * (like `pci_p2pdma_bus_addr_map()`), modulo 2^64. `ERANGE` when `phys` is not a safe integer or the
 * result is above 2^53-1 (use {@link busAddressBig}). No BigInt on this path.
 */
export function busAddress(provider: P2pProvider, phys: number): number {
  checkProvider(provider);
  checkU53("phys", phys);
  const off = provider.offsetNumber;
  if (!Number.isNaN(off)) {
    // Both terms are within +-2^53, so the sum is exact whenever it is a safe integer, and a
    // negative sum means the u64 result wrapped to >= 2^63.
    const r = phys + off;
    if (r >= 0 && r <= MAX_SAFE) return r;
    throw new RlistError("ERANGE", `bus address of phys ${phys} via ${provider.name} is not a safe integer`);
  }
  // Offset beyond +-2^53: add the u64 words with carry, then check the 64-bit result. Every
  // sum is below 2^34, so `>>> 0` takes it mod 2^32 exactly (no float remainder).
  const physLo = phys >>> 0;
  const lo = physLo + provider.busOffsetLo;
  const hi = ((phys - physLo) / TWO32 + provider.busOffsetHi + (lo >= TWO32 ? 1 : 0)) >>> 0;
  if (hi >= 0x20_0000) {
    throw new RlistError("ERANGE", `bus address of phys ${phys} via ${provider.name} is not a safe integer`);
  }
  return hi * TWO32 + (lo >>> 0);
}

/** {@link busAddress} over the full 64-bit range. */
export function busAddressBig(provider: P2pProvider, phys: bigint): bigint {
  checkProvider(provider);
  if (typeof phys !== "bigint")
    throw new RlistError("EINVAL", `phys must be a bigint, got ${formatValue(phys)}`);
  if (phys < 0n || phys >= U64)
    throw new RlistError("ERANGE", `phys ${formatValue(phys)} does not fit in 64 bits`);
  return (phys + provider.busOffsetBig) % U64;
}

function checkProvider(provider: P2pProvider): void {
  if (!(provider instanceof P2pProvider)) {
    throw new RlistError("EINVAL", `${formatValue(provider)} is not a P2pProvider`);
  }
}
