import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  cpuSupportsP2pFromCpuinfo,
  type MemoryRegion,
  PciTopology,
  PhysicalMemory,
  parseIomem,
  regionsFromIomem,
} from "@rlist/dma";
import { pciTopologyFromSysfs } from "@rlist/dma/node";
import { RlistError } from "@rlist/encoding";
import { checkArray, checkInstance, checkInteger, checkObject, checkOneOf, checkString } from "../args.js";
import { checkRamRegions, EXAMPLE_RAM, type RamRegion } from "../workloads/ram.js";

/** Where the machine description came from. */
export type MachineSource = "host" | "sysroot" | "example";

/** The machine the RAM workloads are drawn on, and what the report shows about it. */
export interface Machine {
  readonly source: MachineSource;
  /** Root the files were read from ("/" for this machine). */
  readonly root: string | null;
  /** System RAM the generators draw folios from. */
  readonly ram: readonly RamRegion[];
  /** The physical address map (RAM, BARs, reserved), for range lists and mapping. */
  readonly memory: PhysicalMemory;
  /** PCI topology from sysfs, or null when there is none to read. */
  readonly topology: PciTopology | null;
  /** Fallbacks taken and why, for stderr and the report. */
  readonly notes: readonly string[];
}

/** `EINVAL` unless `m` is a {@link Machine}: its RAM, memory map, topology and notes. */
export function checkMachine(what: string, m: unknown): asserts m is Machine {
  checkObject(what, m);
  const { source, root, ram, memory, topology, notes } = m as Partial<Machine>;
  checkOneOf(`${what}.source`, source, ["host", "sysroot", "example"]);
  if (root !== null) checkString(`${what}.root`, root);
  checkRamRegions(`${what}.ram`, ram);
  checkInstance(`${what}.memory`, memory, PhysicalMemory);
  if (topology !== null) checkInstance(`${what}.topology`, topology, PciTopology);
  checkArray(`${what}.notes`, notes, checkString);
}

function exampleMemory(): PhysicalMemory {
  return new PhysicalMemory({
    regions: EXAMPLE_RAM.map((r) => ({
      start: r.start,
      size: r.end - r.start,
      kind: "ram" as const,
      name: "System RAM",
    })),
  });
}

/** RAM regions of a memory map. */
export function ramOf(regions: readonly MemoryRegion[]): RamRegion[] {
  checkArray("regions", regions, (at, r) => {
    checkObject(at, r);
    checkString(`${at}.kind`, (r as MemoryRegion).kind);
    checkInteger(`${at}.start`, (r as MemoryRegion).start);
    checkInteger(`${at}.end`, (r as MemoryRegion).end, (r as MemoryRegion).start);
  });
  return regions.filter((r) => r.kind === "ram").map((r) => ({ start: r.start, end: r.end }));
}

/** The embedded example machine: 16 GiB of RAM, no PCI topology of its own. */
export function exampleMachine(note?: string): Machine {
  if (note !== undefined) checkString("note", note);
  return {
    source: "example",
    root: null,
    ram: EXAMPLE_RAM,
    memory: exampleMemory(),
    topology: null,
    notes: note === undefined ? [] : [note],
  };
}

/**
 * Reads `<root>/proc/iomem` (System RAM and BARs) and `<root>/sys/bus/pci/devices` (the PCI
 * tree) of this machine, or of a fixture directory laid out the same way. On this machine
 * (`root` "/") an unreadable memory map falls back to the example RAM with a note saying why
 * (/proc/iomem shows only zeros to non-root readers); a sysroot without a memory map throws
 * instead: it was asked for by name, and the example machine labelled as it would be a lie.
 * A missing PCI tree is a note (no topology) either way.
 */
export function loadMachine(root = "/"): Machine {
  checkString("root", root);
  const notes: string[] = [];
  const source: MachineSource = root === "/" ? "host" : "sysroot";
  let memory: PhysicalMemory;
  let ram: readonly RamRegion[];
  try {
    memory = new PhysicalMemory({
      regions: regionsFromIomem(parseIomem(readFileSync(join(root, "proc/iomem"), "utf8"))),
    });
    ram = ramOf(memory.regions);
    if (ram.length === 0) throw new RlistError("EINVAL", "no System RAM listed");
  } catch (err) {
    if (source === "sysroot")
      throw new RlistError("EINVAL", `${join(root, "proc/iomem")}: ${message(err)}`, { cause: err });
    notes.push(`memory map: ${message(err)}; using the example 16 GiB map`);
    memory = exampleMemory();
    ram = EXAMPLE_RAM;
  }
  let topology: PciTopology | null = null;
  const pciDir = join(root, "sys/bus/pci/devices");
  if (existsSync(pciDir)) {
    try {
      const cpuinfo = join(root, "proc/cpuinfo");
      const cpuSupportsP2p = existsSync(cpuinfo) && cpuSupportsP2pFromCpuinfo(readFileSync(cpuinfo, "utf8"));
      topology = pciTopologyFromSysfs(pciDir, { cpuSupportsP2p });
    } catch (err) {
      notes.push(`PCI topology: ${message(err)}`);
    }
  } else {
    notes.push(`PCI topology: ${pciDir} does not exist`);
  }
  return { source, root, ram, memory, topology, notes };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
