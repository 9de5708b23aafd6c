import { checkInteger, checkObject, checkString } from "../args.js";
import { createRng, deriveSeed } from "../rng.js";
import { MAX_PROVIDER_INDEX, RangeSetBuilder, totalBytes } from "./range-set.js";
import { checkGenerateOptions, type GenerateOptions, type Workload } from "./workload.js";

/** The BAR a dma-buf exporter hands out: CPU physical window plus its P2P provider index. */
export interface BarWindow {
  readonly start: number;
  readonly size: number;
  readonly provider: number;
  /** Who owns it, for the report ("0000:03:00.0 BAR1"). */
  readonly name: string;
}

const KiB64 = 64 * 1024;
/** VRAM block sizes in 64 KiB units and their odds; 2 MiB dominates as in a buddy VRAM manager. */
export const GPU_BLOCK_MIX: readonly { units: number; weight: number }[] = [
  { units: 1, weight: 0.2 },
  { units: 2, weight: 0.1 },
  { units: 4, weight: 0.1 },
  { units: 8, weight: 0.1 },
  { units: 16, weight: 0.1 },
  { units: 32, weight: 0.4 },
];
/** Odds that a block directly follows the previous one (it then merges into one range). */
export const GPU_ADJACENT_ODDS = 0.3;

/**
 * A GPU buffer object exported as a dma-buf: scattered VRAM blocks behind the GPU's BAR,
 * handed to the importer as pageless PHYSICAL ranges with the BAR's P2P provider (the
 * 6.19 `dma_buf_phys_vec` model; no struct page). Blocks are placed in ascending BAR order
 * with random gaps; generation stops early if the BAR is full.
 */
export function gpuWorkload(o: GenerateOptions & { readonly bar: BarWindow }): Workload {
  checkGenerateOptions(o);
  const bar = o.bar;
  checkObject("bar", bar);
  checkInteger("bar.start", bar.start);
  checkInteger("bar.size", bar.size, 0, Number.MAX_SAFE_INTEGER - bar.start);
  checkInteger("bar.provider", bar.provider, 0, MAX_PROVIDER_INDEX);
  checkString("bar.name", bar.name);
  const rng = createRng(deriveSeed(o.seed, "gpu-p2p"));
  const b = new RangeSetBuilder();
  b.beginGroup();
  const end = bar.start + bar.size;
  let at = bar.start;
  let blocks = 0;
  for (; blocks < o.entries; blocks++) {
    if (blocks > 0 && !rng.chance(GPU_ADJACENT_ODDS)) at += rng.between(1, 8) * KiB64;
    let x = rng.next();
    let units = GPU_BLOCK_MIX[GPU_BLOCK_MIX.length - 1]!.units;
    for (const m of GPU_BLOCK_MIX) {
      if (x < m.weight) {
        units = m.units;
        break;
      }
      x -= m.weight;
    }
    const len = units * KiB64;
    if (at + len > end) break;
    b.addPhysical(at, len, bar.provider);
    at += len;
  }
  const ranges = b.finish();
  return {
    id: "gpu-p2p",
    title: "GPU BAR dma-buf (P2P)",
    summary: `A dma-buf of VRAM blocks behind ${bar.name}: PHYSICAL ranges with a P2P provider, mapped for a NIC.`,
    data: "synthetic",
    groupNoun: "dma-buf attachment",
    ranges,
    bytes: totalBytes(ranges),
    facts: [
      { label: "VRAM blocks", value: blocks },
      { label: "BAR", value: bar.name },
      ...(blocks < o.entries ? [{ label: "note", value: `BAR full after ${blocks} blocks` }] : []),
    ],
  };
}
