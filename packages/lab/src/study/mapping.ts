import type { P2pMachine } from "../machine/example-p2p.js";
import type { Prepared } from "./prepare.js";
import type { MappingResult } from "./results.js";

export interface MapOptions {
  readonly runs: number;
  readonly budgetNs: number;
}

/**
 * SEAM: mapping through @rlist/dma's mapper (mapRangeList, segments, blocks, exposure) is wired
 * in once the package exports it; until then no mapping figures are produced.
 */
export function mapWorkload(_p: Prepared, _p2p: P2pMachine, _o: MapOptions): MappingResult[] {
  return [];
}
