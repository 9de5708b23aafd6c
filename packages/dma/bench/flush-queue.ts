/**
 * Strict vs lazy IOTLB invalidation (iommu.strict=1 vs 0): map + unmap of a 4 GiB list of 1M
 * random 4 KiB pages through an IOMMU domain, the two modes interleaved in rounds so the ratio
 * comes from one run. Each map + unmap is followed by 1 ms of simulated time, so the lazy
 * domain's 10 ms timer flushes every ten of them.
 *
 * What it reports, per mode:
 * - wall-clock time of a map + unmap in this simulator (median, min-max over the rounds): the
 *   page-table and IOVA-allocator work, which both modes do alike;
 * - IOTLB invalidations per unmap: the hardware cost lazy mode saves (strict: one per unmap; lazy:
 *   one per flush of the queue), counted, not timed (the simulator cannot time hardware);
 * - the exposure lazy mode pays for it: bytes reachable after their unmap x ms until the flush.
 *
 * Run: pnpm tsx --conditions @rlist/source packages/dma/bench/flush-queue.ts (or BENCH_ONLY=flush-queue
 * pnpm --filter @rlist/dma bench); BENCH_QUICK=1 for 256 MiB lists and fewer rounds.
 */
import { pathToFileURL } from "node:url";
import { median } from "../../../scripts/bench-stats.js";
import { CpuRangeList } from "../src/cpu/cpu-range-list.js";
import { IommuDomain } from "../src/iommu/iommu-domain.js";
import { DmaDevice } from "../src/mapping/device.js";
import { mapRangeList } from "../src/mapping/mapper.js";
import { PhysicalMemory } from "../src/memory/physical-memory.js";
import { rng } from "./timing.js";

export interface FlushQueueRow {
  readonly mode: "strict" | "lazy";
  /** Seconds per map + unmap: median, min, max over the samples. */
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: number;
  readonly invalidationsPerUnmap: number;
  /** Bytes x ms of reachability after unmap, per unmap. */
  readonly byteMsPerUnmap: number;
  readonly meanWindowMs: number;
  readonly maxWindowMs: number;
}

/** Runs the comparison; `pages` random 4 KiB pages, `rounds` rounds of `perRound` map+unmaps each mode. */
export function runFlushQueueBench(pages: number, rounds: number, perRound: number): FlushQueueRow[] {
  const RAM_START = 4 * 2 ** 30;
  const RAM_BYTES = 256 * 2 ** 30;
  const memory = new PhysicalMemory({ regions: [{ start: RAM_START, size: RAM_BYTES, kind: "ram" }] });
  const r = rng(42);
  const pfns = new Float64Array(pages);
  for (let i = 0; i < pages; i++) pfns[i] = RAM_START / 4096 + Math.floor(r() * (RAM_BYTES / 4096));
  const list = CpuRangeList.fromPfns(memory, pfns);
  const strictDevice = () => new DmaDevice({ name: "strict", iommu: new IommuDomain() });
  const lazyDevice = () => new DmaDevice({ name: "lazy", iommu: new IommuDomain({ strict: false }) });
  const once = (dev: DmaDevice) => {
    const m = mapRangeList(dev, list, { direction: "bidirectional" });
    m.unmap();
    dev.iommu!.clock.advance(1);
  };
  // Warm-up on throwaway domains (both paths compiled), then measure fresh ones from t = 0.
  for (const make of [strictDevice, lazyDevice]) {
    const dev = make();
    for (let i = 0; i < 3; i++) once(dev);
  }
  const modes = [
    { mode: "strict" as const, dev: strictDevice() },
    { mode: "lazy" as const, dev: lazyDevice() },
  ];
  const samples = new Map<string, number[]>(modes.map((m) => [m.mode, []]));
  for (let round = 0; round < rounds; round++) {
    // Alternate which mode goes first, so neither always follows the other's garbage.
    const order = round % 2 === 0 ? modes : [...modes].reverse();
    for (const { mode, dev } of order) {
      for (let i = 0; i < perRound; i++) {
        const t0 = process.hrtime.bigint();
        once(dev);
        samples.get(mode)!.push(Number(process.hrtime.bigint() - t0) / 1e9);
      }
    }
  }
  return modes.map(({ mode, dev }) => {
    const xs = samples.get(mode)!;
    const domain = dev.iommu!;
    const unmaps = rounds * perRound;
    const invalidations = domain.counters.iotlbInvalidations;
    domain.clock.advance(domain.flushQueue?.timeoutMs ?? 0); // let the last windows close
    const exp = domain.exposure();
    return {
      mode,
      median: median(xs),
      min: Math.min(...xs),
      max: Math.max(...xs),
      samples: xs.length,
      invalidationsPerUnmap: invalidations / unmaps,
      byteMsPerUnmap: exp.unmaps === 0 ? 0 : exp.byteMs / exp.unmaps,
      meanWindowMs: exp.meanWindowMs,
      maxWindowMs: exp.maxWindowMs,
    };
  });
}

export function flushQueueTable(rows: readonly FlushQueueRow[], pages: number): string {
  const ms = (s: number) => (s * 1e3).toFixed(1);
  const out = [
    `| mode | map+unmap ms, median (min-max) | map+unmap pages/s | IOTLB invalidations / unmap | exposure / unmap | mean window | max window |`,
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    out.push(
      `| ${r.mode} | ${ms(r.median)} (${ms(r.min)}-${ms(r.max)}) | ${(pages / r.median / 1e6).toFixed(1)} M | ` +
        `${r.invalidationsPerUnmap.toFixed(3)} | ${(r.byteMsPerUnmap / 2 ** 30).toFixed(1)} GiB x ms | ` +
        `${r.meanWindowMs.toFixed(1)} ms | ${r.maxWindowMs.toFixed(1)} ms |`,
    );
  }
  const strict = rows.find((r) => r.mode === "strict")!;
  const lazy = rows.find((r) => r.mode === "lazy")!;
  out.push("");
  out.push(
    `lazy / strict, map+unmap time (medians, same run): ${(lazy.median / strict.median).toFixed(3)}; ` +
      `IOTLB invalidations: ${strict.invalidationsPerUnmap.toFixed(3)} -> ${lazy.invalidationsPerUnmap.toFixed(3)} per unmap ` +
      `(${(strict.invalidationsPerUnmap / Math.max(lazy.invalidationsPerUnmap, 1e-9)).toFixed(1)}x fewer)`,
  );
  return out.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const quick = process.env.BENCH_QUICK === "1";
  const pages = quick ? 65536 : 1 << 20;
  // 10 map+unmaps per 10 ms timer period: keep the sample count a multiple of 10.
  const rounds = quick ? 2 : 8;
  const perRound = 5;
  process.stderr.write(`flush queue: ${pages} pages, ${rounds} rounds x ${perRound} per mode...\n`);
  const rows = runFlushQueueBench(pages, rounds, perRound);
  process.stdout.write(
    `# strict vs lazy IOTLB invalidation (${(pages * 4096) / 2 ** 30} GiB of random 4 KiB pages, ` +
      `${rounds * perRound} map+unmaps per mode, 1 ms simulated between them, Node ${process.version})\n\n` +
      `${flushQueueTable(rows, pages)}\n`,
  );
}
