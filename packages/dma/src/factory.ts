/**
 * Objects that stand for something the library allocated or checked (a mapping, an IOVA window, a
 * memory region, a dma-buf attachment, a list mark) are made by its factories only: `mapRangeList`,
 * `iovaAlloc`, `registerMemoryRegion`, `registerDmaBufMr`, `DmaBufExporter.attach`,
 * `CpuRangeList.mark`. Their constructors ask for {@link FACTORY}, which this package does not
 * export, so `new DmaMapping(...)` from outside is `EINVAL` before anything changes. A hand-made
 * object could otherwise release another mapping's pages or list, an owned mapping behind its owner
 * (stranding a dma-buf attachment), or roll a list back to a state nobody checked. The same rule
 * holds for every other exported class whose constructor is `@internal` (the DMA list and MR block
 * cursors, PCI host bridges and functions, P2P providers): `new` on one is `EINVAL`, never a
 * `TypeError` half way through.
 */
import { RlistError } from "@rlist/encoding";

/** @internal The token a library factory passes to the constructors it calls. */
export const FACTORY: symbol = Symbol("@rlist/dma factory");

/** @internal `EINVAL` unless `token` is {@link FACTORY}: `what` is made by `factory` only. */
export function checkFactory(token: unknown, what: string, factory: string): void {
  if (token !== FACTORY) throw new RlistError("EINVAL", `a ${what} is made by ${factory}, not by new`);
}
