import type { ChunkBytes } from "@rlist/list";
import { WORKLOAD_IDS, type WorkloadId } from "../workloads/workload.js";
import { UsageError } from "./usage-error.js";

export const DEFAULT_ENTRIES = 65536;
/** Upper bound for --entries: beyond it the per-page representations need gigabytes. */
export const MAX_ENTRIES = 1 << 22;
export const DEFAULT_SEED = 1;
export const DEFAULT_RUNS = 5;
export const MAX_RUNS = 100;
export const DEFAULT_LIVE_MIB = 64;
export const MAX_LIVE_MIB = 1024;
/** Memory of other processes read by `live --pid` / `--all-processes` by default, MiB. */
export const DEFAULT_BUDGET_MIB = 256;
export const MAX_BUDGET_MIB = 16384;
/** Chunk sizes the rlist container supports (the prototype's 512, BASE_SMALL 128, PAGE_SIZE). */
export const CHUNK_SIZES: readonly ChunkBytes[] = [128, 512, 4096];

function integer(flag: string, raw: string, min: number, max: number): number {
  const s = raw.trim();
  const v = /^\d+$/.test(s) ? Number(s) : /^0x[0-9a-f]+$/i.test(s) ? Number.parseInt(s, 16) : Number.NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return v;
}

/** Items of a comma-separated list, trimmed, without empties. */
function items(raw: string): string[] {
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function parseEntries(raw: string): number {
  return integer("--entries", raw, 1, MAX_ENTRIES);
}

export function parseSeed(raw: string): number {
  return integer("--seed", raw, 0, 0xffff_ffff);
}

export function parseRuns(raw: string): number {
  return integer("--runs", raw, 1, MAX_RUNS);
}

export function parseLiveMib(raw: string): number {
  return integer("--live-mib", raw, 1, MAX_LIVE_MIB);
}

export function parseChunkBytes(raw: string): ChunkBytes[] {
  const list = items(raw);
  if (list.length === 0) throw new UsageError(`--chunk-bytes needs one or more of ${CHUNK_SIZES.join(", ")}`);
  const out: ChunkBytes[] = [];
  for (const s of list) {
    const v = Number(s);
    const size = CHUNK_SIZES.find((c) => c === v);
    if (size === undefined) {
      throw new UsageError(`--chunk-bytes: "${s}" is not a chunk size (use ${CHUNK_SIZES.join(", ")})`);
    }
    if (!out.includes(size)) out.push(size);
  }
  return out.sort((a, b) => a - b);
}

export function parseWorkloads(raw: string): WorkloadId[] {
  const list = items(raw);
  if (list.length === 0) throw new UsageError(`--workloads needs one or more of ${WORKLOAD_IDS.join(", ")}`);
  const out: WorkloadId[] = [];
  for (const s of list) {
    const id = WORKLOAD_IDS.find((w) => w === s);
    if (id === undefined) throw new UsageError(`unknown workload "${s}" (known: ${WORKLOAD_IDS.join(", ")})`);
    if (!out.includes(id)) out.push(id);
  }
  // Report order is the canonical order, whatever order they were asked in.
  return WORKLOAD_IDS.filter((w) => out.includes(w));
}

/** `--merge on|off|on,off`: the merge settings to compare, in that order. */
export function parseMerge(raw: string): ("on" | "off")[] {
  const list = items(raw);
  const bad = list.find((s) => s !== "on" && s !== "off");
  if (list.length === 0 || bad !== undefined)
    throw new UsageError(`--merge takes on, off or on,off${bad !== undefined ? `, got "${bad}"` : ""}`);
  return (["on", "off"] as const).filter((m) => list.includes(m));
}

/** `--pid 123,456`: process ids. */
export function parsePids(raw: string): number[] {
  const list = items(raw);
  if (list.length === 0) throw new UsageError("--pid needs one or more process ids");
  return [...new Set(list.map((p) => integer("--pid", p, 1, 0x3fff_ffff)))];
}

export function parseBudgetMib(raw: string): number {
  return integer("--budget-mib", raw, 1, MAX_BUDGET_MIB);
}
