import { describe, expect, it } from "vitest";
import { exampleP2pMachine } from "../src/machine/example-p2p.js";
import { exampleMachine, loadMachine } from "../src/machine/host.js";
import { mapWorkload } from "../src/study/mapping.js";
import { prepareWorkload } from "../src/study/prepare.js";
import type { StudyResults } from "../src/study/results.js";
import { runStudy } from "../src/study/run.js";
import { validateResults } from "../src/study/schema.js";
import { SYSROOT } from "./cli-helpers.js";

function study(seed: number, entries = 512): StudyResults {
  return runStudy({
    entries,
    seed,
    chunkBytes: [128, 512, 4096],
    workloads: ["rdma", "thp", "nvme", "gpu-p2p"],
    runs: 1,
    liveBytes: 4 << 20,
    machine: exampleMachine(),
    machineLabel: "example",
    version: "test",
    calibrateNs: 2e6,
    mapBudgetNs: 50e6,
  });
}

/** Everything but timings and the date: what must be identical for one seed. */
function sizes(r: StudyResults) {
  return r.workloads.map((w) => ({
    id: w.id,
    ranges: w.ranges,
    bytes: w.bytes,
    // The JS heap figure depends on the collector, not the seed.
    reps: w.representations.map((x) => [x.id, x.entries, x.id === "js-objects" ? "heap" : x.bytes]),
    facts: w.facts,
  }));
}

describe("runStudy", () => {
  const a = study(7);

  it("produces results that pass the schema, with every representation for every workload", () => {
    expect(validateResults(a)).toEqual([]);
    expect(a.workloads.map((w) => w.id)).toEqual(["rdma", "thp", "nvme", "gpu-p2p"]);
    // 9 representations, and the 5 that can merge (3 rlist, fixed16, scatterlist) once more without.
    // ... and for P2P, the rlist with contiguous same-provider PHYSICAL ranges merged.
    for (const w of a.workloads) expect(w.representations).toHaveLength(9 + 5 + (w.id === "gpu-p2p" ? 1 : 0));
    expect(a.representations.map((r) => r.key)).toEqual([
      ...a.workloads[0]!.representations.map((r) => r.key),
      "rlist-512/p2p-merge",
    ]);
    expect(new Set(a.representations.map((r) => r.key)).size).toBe(15);
    expect(a.findings.length).toBeGreaterThanOrEqual(4);
    expect(a.machine.topologies.at(-1)?.p2p.map((p) => p.mapType)).toEqual([
      "BUS_ADDR",
      "THRU_HOST_BRIDGE",
      "NOT_SUPPORTED",
    ]);
  });

  // Two more whole studies: seconds of work, well past the 5 s default on a loaded 2-core machine.
  it("is deterministic per seed and changes with it", { timeout: 60_000 }, () => {
    expect(sizes(study(7))).toEqual(sizes(a));
    expect(sizes(study(8))).not.toEqual(sizes(a));
  });

  it("every supported representation is timed in every round, with median inside min-max", () => {
    for (const w of a.workloads) {
      for (const r of w.representations.filter((x) => x.supported)) {
        const timings = [r.jsWalk!, r.build!, ...(r.id === "js-objects" ? [] : [r.kernelWalk!])];
        expect(timings.every((t) => t !== null)).toBe(true);
        for (const t of timings) {
          expect(t.samplesNs).toHaveLength(1);
          expect(t.minNs).toBeLessThanOrEqual(t.medianNs);
          expect(t.medianNs).toBeLessThanOrEqual(t.maxNs);
        }
        expect(r.jsWalkEntriesPerSec).toBeCloseTo((r.entries / r.jsWalk!.medianNs) * 1e9, 6);
        if (r.kernelWalk !== null)
          expect(r.kernelWalkEntriesPerSec).toBeCloseTo((r.entries / r.kernelWalk.medianNs) * 1e9, 6);
        expect(r.efficiency).toBeGreaterThan(0);
        expect(r.efficiency).toBeLessThanOrEqual(1);
      }
    }
  });

  it("findings quote the figures they are computed from", () => {
    const rdma = a.workloads.find((w) => w.id === "rdma")!;
    const best = [...rdma.representations].filter((r) => r.supported).sort((p, q) => p.bytes - q.bytes)[0]!;
    const line = a.findings.find((f) => f.startsWith("rdma: "))!;
    expect(line).toContain(`(${Math.round(best.bytesPerMiB).toLocaleString("en-US")} B per MiB described)`);
  });
});

describe("mappings", () => {
  const machine = exampleMachine();
  const p2p = exampleP2pMachine();
  const prep = (id: "rdma" | "nvme" | "gpu-p2p") => {
    const p = prepareWorkload(id, { entries: 256, seed: 3, liveBytes: 1 << 20, machine, p2p });
    if ("skipped" in p) throw new Error(p.skipped);
    return p;
  };

  it("RDMA pages: one IOVA range behind the IOMMU, the CPU list itself without", () => {
    const [iommu, lazy, direct] = mapWorkload(prep("rdma"), p2p, { rounds: 1, budgetNs: 1e6 });
    // Strict vs lazy invalidation (exact, simulated clock): one unmap, so strict invalidates once
    // and lazy leaves the page reachable until its flush queue's timer (10 ms) or a final flush.
    expect(iommu!.iotlb).toMatchObject({ strict: true, unmaps: 1, invalidations: 1, exposedByteMs: 0 });
    expect(lazy!.device).toMatch(/lazy IOMMU \(iommu\.strict=0\)/);
    expect(lazy!.iotlb!.strict).toBe(false);
    expect(lazy!.iotlb!.exposedByteMs).toBeGreaterThan(0);
    expect(lazy!.dmaEntries).toBe(iommu!.dmaEntries);
    expect(direct!.iotlb).toBeNull();
    expect(iommu).toMatchObject({
      path: "iommu-linear",
      dmaEntries: 1,
      segments: 1,
      iovaBytes: 256 * 4096,
      exposedBytes: 0,
      isolated: true,
      error: null,
    });
    expect(direct).toMatchObject({
      path: "identity",
      iovaBytes: 0,
      isolated: false,
      bestBlockSize: 4096,
      blocks: 256,
    });
    expect(direct!.dmaEntries).toBeGreaterThan(200);
  });

  it("NVMe bios: one IOVA range per bio, 64 KiB segments, exposure from the unaligned ones", () => {
    const p = prep("nvme");
    const [iommu] = mapWorkload(p, p2p, { rounds: 1, budgetNs: 1e6 });
    const bios = p.workload.ranges.groups;
    expect(iommu!.lists).toBe(bios);
    expect(iommu!.dmaEntries).toBe(bios);
    // 128 KiB in 64 KiB max segments: 2 per aligned bio, 3 for one starting 512 bytes in.
    expect(iommu!.segments).toBeGreaterThanOrEqual(2 * bios);
    const unaligned = Number(p.workload.facts.find((f) => f.label === "unaligned bios")!.value);
    // An unaligned bio maps 33 pages for 32 pages of data: 4 KiB exposed.
    expect(iommu!.exposedBytes).toBe(unaligned * 4096);
  });

  it("GPU P2P: bus addresses under one switch, IOVA across host bridges, EREMOTEIO when denied", () => {
    const p = prep("gpu-p2p");
    const [sw, hb, denied] = mapWorkload(p, p2p, { rounds: 1, budgetNs: 1e6 });
    expect(sw).toMatchObject({ p2pMapType: "BUS_ADDR", iovaBytes: 0, dmaEntries: 256, error: null });
    expect(hb!.p2pMapType).toBe("THRU_HOST_BRIDGE");
    expect(hb!.iovaBytes).toBeGreaterThanOrEqual(p.workload.bytes);
    expect(denied).toMatchObject({ p2pMapType: "NOT_SUPPORTED", dmaEntries: 0, map: null });
    expect(sw!.map!.samplesNs).toHaveLength(1);
    expect(denied!.error).toMatch(/^EREMOTEIO: /);
  });
});

describe("machines", () => {
  it("reads a sysroot fixture: RAM from iomem, the PCI tree from sysfs, Zen CPU from cpuinfo", () => {
    const m = loadMachine(`${SYSROOT}/`);
    expect(m.source).toBe("sysroot");
    expect(m.notes).toEqual([]);
    expect(m.ram).toEqual([
      { start: 0x1000, end: 0xa0000 - 0x400 },
      { start: 0x10_0000, end: 0xc000_0000 },
      { start: 0x1_0000_0000, end: 0x6_4000_0000 },
    ]);
    expect(m.topology?.size).toBe(6);
    expect(m.topology?.cpuSupportsP2p).toBe(true);
  });

  it("a sysroot without a memory map is an error, never the example machine under its name", () => {
    expect(() => loadMachine("/nonexistent-rlist-root/")).toThrow(
      /\/nonexistent-rlist-root\/proc\/iomem: .*ENOENT/,
    );
  });
});
