/**
 * Fault injection for the allocation points of the DMA model, like the kernel's
 * `fail_iommu` / failslab fault-injection knobs: tests ask "fail the k-th allocation" and check
 * that the failing call leaves nothing mapped or allocated.
 */
import { checkU53, formatValue, RlistError } from "@rlist/encoding";
import type { FaultHook } from "@rlist/list";
import { checkBoolean } from "../args.js";

/**
 * Where an allocation can be made to fail: IOVA ranges, page-table pages, swiotlb slot searches,
 * page pins (`PinTable.setFaults`) and range-list chunks (a `ChunkPool` hook made by
 * {@link chunkFaultHook}).
 */
export type FaultSite = "iova" | "pgtable" | "swiotlb" | "pin" | "chunk";

/** Asked before each allocation; returning true makes that allocation fail. */
export interface FaultInjector {
  shouldFail(site: FaultSite): boolean;
}

/**
 * Fails the `failAt`-th allocation (0-based, counted over `sites`) and every later one if
 * `sticky`; counts every allocation it was asked about in `calls`.
 */
export class CountdownFaults implements FaultInjector {
  calls = 0;
  constructor(
    private readonly failAt: number,
    private readonly sites: ReadonlyArray<FaultSite> = ["iova", "pgtable", "swiotlb"],
    private readonly sticky = false,
  ) {
    checkU53("failAt", failAt);
    if (!Array.isArray(sites) || !sites.every(isFaultSite)) {
      throw new RlistError("EINVAL", `sites must be an array of fault sites, got ${formatValue(sites)}`);
    }
    checkBoolean("sticky", sticky);
  }

  shouldFail(site: FaultSite): boolean {
    if (!isFaultSite(site)) throw new RlistError("EINVAL", `unknown fault site ${formatValue(site)}`);
    if (!this.sites.includes(site)) return false;
    const n = this.calls++;
    return this.sticky ? n >= this.failAt : n === this.failAt;
  }
}

/**
 * A `ChunkPool` fault hook (`pool.setFaultHook(chunkFaultHook(faults))`) that asks `faults` about
 * site `"chunk"` before every chunk allocation, so one injector counts chunks with the other sites.
 */
export function chunkFaultHook(faults: FaultInjector): FaultHook {
  // required here: checkFaultInjector lets `undefined` (no injector) through for options
  if (faults === undefined)
    throw new RlistError("EINVAL", "faults must be a fault injector (shouldFail()), got undefined");
  checkFaultInjector("faults", faults);
  return () => faults.shouldFail("chunk");
}

const FAULT_SITES: readonly string[] = ["iova", "pgtable", "swiotlb", "pin", "chunk"];

function isFaultSite(v: unknown): v is FaultSite {
  return typeof v === "string" && FAULT_SITES.includes(v);
}

/** @internal `EINVAL` unless `value` is a {@link FaultInjector} (an object with `shouldFail()`), or `undefined`. */
export function checkFaultInjector(what: string, value: unknown): asserts value is FaultInjector | undefined {
  if (value === undefined) return;
  const f = value as { shouldFail?: unknown } | null;
  if (typeof f !== "object" || f === null || typeof f.shouldFail !== "function") {
    throw new RlistError(
      "EINVAL",
      `${what} must be a fault injector (shouldFail()), got ${formatValue(value)}`,
    );
  }
}
