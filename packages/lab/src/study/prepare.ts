import { Bio, bioToCpuRangeList } from "@rlist/bvec";
import { PhysicalMemory } from "@rlist/dma";
import { RlistError } from "@rlist/encoding";
import type { RangeList } from "@rlist/list";
import {
  checkArray,
  checkBoolean,
  checkFunction,
  checkInteger,
  checkObject,
  checkOneOf,
  checkString,
} from "../args.js";
import { checkP2pMachine, GPU_BAR1, type P2pMachine } from "../machine/example-p2p.js";
import { checkMachine, type Machine } from "../machine/host.js";
import { checkRlistContext, type RlistContext } from "../representations/rlist.js";
import { gpuWorkload } from "../workloads/gpu.js";
import { LIVE_MAX_BYTES, liveWorkload } from "../workloads/live.js";
import { nvmeWorkload } from "../workloads/nvme.js";
import { type ProcsOptions, procsWorkload } from "../workloads/procs.js";
import { checkRangeSet, PAGE_SIZE, type RangeSet } from "../workloads/range-set.js";
import { rdmaWorkload } from "../workloads/rdma.js";
import { thpWorkload } from "../workloads/thp.js";
import { checkWorkload, WORKLOAD_IDS, type Workload, type WorkloadId } from "../workloads/workload.js";

/** A workload with what the range lists and the mapper need to know about its memory. */
export interface Prepared {
  readonly workload: Workload;
  readonly ctx: RlistContext;
  /** True for the P2P workload, which lives on the example P2P server. */
  readonly p2p: boolean;
}

/** `EINVAL` unless `p` is a {@link Prepared}: a workload, its rlist context and the P2P flag. */
export function checkPrepared(what: string, p: unknown): asserts p is Prepared {
  checkObject(what, p);
  const x = p as Partial<Prepared>;
  checkWorkload(`${what}.workload`, x.workload);
  checkRlistContext(x.ctx);
  checkBoolean(`${what}.p2p`, x.p2p);
}

export interface PrepareOptions {
  readonly entries: number;
  readonly seed: number;
  readonly liveBytes: number;
  readonly machine: Machine;
  readonly p2p: P2pMachine;
  /** Which processes `procs` reads (its memory map is the machine's). */
  readonly procs?: Omit<ProcsOptions, "memory">;
}

/**
 * One bio per list, built the way a filesystem builds it: bio_add_page() per segment (merging
 * physically contiguous segments into multi-page bvecs).
 */
export function biosOf(set: RangeSet): Bio[] {
  checkRangeSet("range set", set);
  const bios: Bio[] = [];
  for (let g = 0; g < set.groups; g++) {
    const from = set.groupStart[g]!;
    const to = set.groupStart[g + 1]!;
    const bio = new Bio({ maxVecs: Math.max(1, to - from) });
    for (let i = from; i < to; i++) {
      const pfn = Math.floor(set.phys[i]! / PAGE_SIZE);
      bio.addPage(pfn, set.length[i]!, set.phys[i]! - pfn * PAGE_SIZE);
    }
    bios.push(bio);
  }
  return bios;
}

/**
 * The memory for the live workload's real frames: this machine's map when every frame is RAM
 * in it (so when /proc/iomem was readable), else one RAM region spanning the frames.
 */
function liveMemory(set: RangeSet, machine: Machine): PhysicalMemory {
  let lo = Number.POSITIVE_INFINITY;
  let hi = -1;
  let allRam = true;
  for (let i = 0; i < set.count; i++) {
    const first = Math.floor(set.phys[i]! / PAGE_SIZE);
    const last = Math.floor((set.phys[i]! + set.length[i]! - 1) / PAGE_SIZE);
    lo = Math.min(lo, first);
    hi = Math.max(hi, last);
    allRam &&= machine.memory.rangePgmapId(first, last - first + 1) === 0;
  }
  if (allRam || hi < 0) return machine.memory;
  return new PhysicalMemory({
    regions: [{ start: lo * PAGE_SIZE, size: (hi - lo + 1) * PAGE_SIZE, kind: "ram", name: "live frames" }],
  });
}

function checkProcsOptions(p: unknown): void {
  checkObject("procs", p);
  const { procRoot, pids, budgetBytes, onProgress, onNote } = p as Partial<ProcsOptions>;
  checkString("procs.procRoot", procRoot);
  if (pids !== undefined) checkArray("procs.pids", pids, (at, pid) => checkInteger(at, pid, 1, 2 ** 31 - 1));
  checkInteger("procs.budgetBytes", budgetBytes);
  if (onProgress !== undefined) checkFunction("procs.onProgress", onProgress);
  if (onNote !== undefined) checkFunction("procs.onNote", onNote);
  if (procRoot === "") throw new RlistError("EINVAL", "procs.procRoot is empty");
}

/**
 * Generates (or, for `live`, observes) one workload. Returns a reason instead when it cannot be
 * had here (live without root), so the study goes on without it.
 */
export function prepareWorkload(id: WorkloadId, o: PrepareOptions): Prepared | { skipped: string } {
  checkOneOf("workload", id, [...WORKLOAD_IDS, "procs"]);
  checkObject("prepare options", o);
  checkMachine("machine", o.machine);
  checkP2pMachine("p2p", o.p2p);
  checkInteger("liveBytes", o.liveBytes, PAGE_SIZE, LIVE_MAX_BYTES);
  if (o.procs !== undefined) checkProcsOptions(o.procs);
  const gen = { entries: o.entries, seed: o.seed, ram: o.machine.ram };
  const host = (workload: Workload): Prepared => ({
    workload,
    ctx: { memory: o.machine.memory, providers: [] },
    p2p: false,
  });
  switch (id) {
    case "rdma":
      return host(rdmaWorkload(gen));
    case "thp":
      return host(thpWorkload(gen));
    case "nvme": {
      const workload = nvmeWorkload(gen);
      const memory = o.machine.memory;
      const bios = biosOf(workload.ranges);
      const makeList = (g: number, store: RangeList) => {
        const { list } = bioToCpuRangeList(memory, bios[g]!, { store, chain: false });
        list.seal();
        return list;
      };
      return { workload, ctx: { memory, providers: [], makeList }, p2p: false };
    }
    case "gpu-p2p": {
      const bar = { start: GPU_BAR1.cpuAddress, size: GPU_BAR1.size, provider: 0, name: o.p2p.provider.name };
      const workload = gpuWorkload({ ...gen, ram: [], bar });
      return { workload, ctx: { memory: o.p2p.memory, providers: [o.p2p.provider] }, p2p: true };
    }
    case "procs": {
      if (o.procs === undefined)
        return { skipped: "procs: no processes were chosen (live --pid or --all-processes)" };
      const r = procsWorkload({ ...o.procs, memory: o.machine.memory });
      if (!r.ok) return { skipped: r.reason };
      return { workload: r.workload, ctx: { memory: o.machine.memory, providers: [] }, p2p: false };
    }
    case "live": {
      const r = liveWorkload(o.liveBytes);
      if (!r.ok) return { skipped: r.reason };
      return {
        workload: r.workload,
        ctx: { memory: liveMemory(r.workload.ranges, o.machine), providers: [] },
        p2p: false,
      };
    }
  }
}
