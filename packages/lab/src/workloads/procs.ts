/**
 * The memory of other processes, as the kernel sees it: for each process (largest resident set
 * first), each of its mappings becomes one CPU range list of the page frames behind it, read from
 * `/proc/<pid>/pagemap` (present bit 63, PFN in bits 0-54; fs/proc/task_mmu.c), with transparent
 * huge pages and compound pages counted from `/proc/kpageflags` (fs/proc/page.c) when readable.
 * Reading stops at a byte budget. PFNs are only visible with CAP_SYS_ADMIN; a process that exits
 * while it is read, or whose pagemap is not ours to read, is noted and skipped.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import type { PhysicalMemory } from "@rlist/dma";
import { decodePagemap, type MapsEntry, parseMaps } from "./live.js";
import { PAGE_SIZE, RangeSetBuilder, totalBytes } from "./range-set.js";
import type { Workload } from "./workload.js";

/** /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h). */
const KPF_COMPOUND_HEAD = 15;
const KPF_COMPOUND_TAIL = 16;
const KPF_THP = 22;
/** Pages of pagemap read per call (128 KiB of entries). */
const PAGEMAP_BLOCK = 16384;

export interface ProcessInfo {
  readonly pid: number;
  readonly name: string;
  /** Resident pages (second field of /proc/<pid>/statm). */
  readonly residentPages: number;
}

export interface ProcsOptions {
  /** The proc file system to read: "/proc", or `<sysroot>/proc` for a fixture. */
  readonly procRoot: string;
  /** Processes to read; all of them (largest first) when absent. */
  readonly pids?: readonly number[];
  /** Stop once this many bytes of memory are described. */
  readonly budgetBytes: number;
  /** Frames outside System RAM in this map (device memory, the zero page's neighbours in MMIO) are left out. */
  readonly memory: PhysicalMemory;
  /** Progress: processes read so far of those chosen. */
  readonly onProgress?: (done: number, total: number, label: string) => void;
  /** Something the user should know: a process that vanished, one that cannot be read. */
  readonly onNote?: (message: string) => void;
}

export type ProcsResult =
  | { readonly ok: true; readonly workload: Workload }
  | { readonly ok: false; readonly reason: string };

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? "error";
}

/** Every process with its resident set, largest first (pid order among equals). */
export function listProcesses(procRoot: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      const statm = readFileSync(join(procRoot, name, "statm"), "utf8")
        .trim()
        .split(/\s+/);
      const comm = readFileSync(join(procRoot, name, "comm"), "utf8").trim();
      out.push({ pid, name: comm, residentPages: Number(statm[1] ?? 0) });
    } catch {
      // gone since readdir, or a kernel thread without these files: nothing to read
    }
  }
  return out.sort((a, b) => b.residentPages - a.residentPages || a.pid - b.pid);
}

/** Mappings of a process with their resident bytes when smaps says (null: read them all). */
export function readMappings(procRoot: string, pid: number): { maps: MapsEntry[]; rss: (number | null)[] } {
  try {
    const text = readFileSync(join(procRoot, String(pid), "smaps"), "utf8");
    const maps: MapsEntry[] = [];
    const rss: (number | null)[] = [];
    for (const line of text.split("\n")) {
      const m = parseMaps(line);
      if (m.length === 1) {
        maps.push(m[0]!);
        rss.push(null);
        continue;
      }
      const r = /^Rss:\s+(\d+) kB/.exec(line);
      if (r !== null && rss.length > 0) rss[rss.length - 1] = Number(r[1]) * 1024;
    }
    return { maps, rss };
  } catch (err) {
    if (code(err) !== "ENOENT") throw err;
  }
  const maps = parseMaps(readFileSync(join(procRoot, String(pid), "maps"), "utf8"));
  return { maps, rss: maps.map(() => null) };
}

function readAt(fd: number, buf: Uint8Array, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Counts THP and compound pages among `pfns` from kpageflags (null when it cannot be read). */
class PageFlags {
  readonly #fd: number | null;
  readonly #word = new Uint8Array(8);
  thp = 0;
  compound = 0;

  constructor(procRoot: string) {
    let fd: number | null = null;
    try {
      fd = openSync(join(procRoot, "kpageflags"), "r");
    } catch {
      fd = null;
    }
    this.#fd = fd;
  }

  get readable(): boolean {
    return this.#fd !== null;
  }

  note(pfn: number): void {
    if (this.#fd === null || readAt(this.#fd, this.#word, 8, pfn * 8) !== 8) return;
    const bit = (k: number) => (this.#word[k >>> 3]! >>> (k & 7)) & 1;
    if (bit(KPF_THP)) this.thp++;
    if (bit(KPF_COMPOUND_HEAD) || bit(KPF_COMPOUND_TAIL)) this.compound++;
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
  }
}

/**
 * Reads the page frames behind other processes' mappings into one list per mapping (present
 * pages in virtual order, one 4 KiB range each: the representations merge what is contiguous).
 */
export function procsWorkload(o: ProcsOptions): ProcsResult {
  let all: ProcessInfo[];
  try {
    all = listProcesses(o.procRoot);
  } catch (err) {
    return { ok: false, reason: `procs: cannot list ${o.procRoot} (${code(err)})` };
  }
  const chosen =
    o.pids === undefined
      ? all
      : o.pids.map((pid) => all.find((p) => p.pid === pid) ?? { pid, name: "?", residentPages: 0 });
  const b = new RangeSetBuilder();
  const flags = new PageFlags(o.procRoot);
  const block = new Uint8Array(PAGEMAP_BLOCK * 8);
  let described = 0;
  let processes = 0;
  let mappings = 0;
  let present = 0;
  let hidden = 0;
  let notRam = 0;
  let skipped = 0;
  let denied = 0;
  let cut = false;
  const read: string[] = [];
  try {
    for (const [k, p] of chosen.entries()) {
      if (described >= o.budgetBytes) {
        cut = true;
        break;
      }
      o.onProgress?.(k, chosen.length, `reading ${p.name} (${p.pid})`);
      let fd: number;
      let maps: MapsEntry[];
      let rss: (number | null)[];
      try {
        ({ maps, rss } = readMappings(o.procRoot, p.pid));
        fd = openSync(join(o.procRoot, String(p.pid), "pagemap"), "r");
      } catch (err) {
        const c = code(err);
        skipped++;
        if (c === "EACCES" || c === "EPERM") denied++;
        else if (c === "ENOENT" || c === "ESRCH")
          o.onNote?.(`procs: process ${p.pid} (${p.name}) is gone; going on without it`);
        else o.onNote?.(`procs: cannot read process ${p.pid} (${p.name}): ${c}; going on without it`);
        continue;
      }
      let took = 0;
      try {
        for (const [i, m] of maps.entries()) {
          if (rss[i] === 0 || m.path === "[vsyscall]") continue;
          let group = false;
          const first = m.start / PAGE_SIZE;
          const pages = (m.end - m.start) / PAGE_SIZE;
          for (let at = 0; at < pages && described < o.budgetBytes; at += PAGEMAP_BLOCK) {
            const n = Math.min(PAGEMAP_BLOCK, pages - at);
            const got = readAt(fd, block, n * 8, (first + at) * 8);
            const d = decodePagemap(block.subarray(0, got));
            hidden += d.zeroPfn;
            for (let j = 0; j < d.pfns.length; j++) {
              const pfn = d.pfns[j]!;
              if (pfn <= 0) continue;
              if (o.memory.rangePgmapId(pfn, 1) !== 0) {
                notRam++;
                continue;
              }
              if (!group) {
                b.beginGroup();
                group = true;
                mappings++;
              }
              b.addFolioRange(pfn, 0, pfn * PAGE_SIZE, PAGE_SIZE);
              flags.note(pfn);
              present++;
              took++;
              described += PAGE_SIZE;
              if (described >= o.budgetBytes) break;
            }
          }
        }
      } catch (err) {
        const c = code(err);
        o.onNote?.(
          c === "ESRCH" || c === "ENOENT"
            ? `procs: process ${p.pid} (${p.name}) exited while it was read; keeping what was read`
            : `procs: reading process ${p.pid} (${p.name}) failed: ${c}; keeping what was read`,
        );
      } finally {
        closeSync(fd);
      }
      if (took > 0) {
        processes++;
        read.push(`${p.name} (${p.pid})`);
      }
    }
  } finally {
    flags.close();
  }
  o.onProgress?.(chosen.length, chosen.length, "processes read");
  if (denied > 0)
    o.onNote?.(
      `procs: ${denied} process${denied === 1 ? "" : "es"} could not be read (permission denied: another user's pagemap needs root); going on without ${denied === 1 ? "it" : "them"}`,
    );
  if (present === 0) {
    return {
      ok: false,
      reason:
        hidden > 0 || denied > 0
          ? "procs: no page frame could be read (pagemap shows PFNs as 0 or is refused without root); reading other processes' page frames needs root (CAP_SYS_ADMIN)"
          : `procs: no resident page frames found in ${chosen.length} process${chosen.length === 1 ? "" : "es"}`,
    };
  }
  const ranges = b.finish();
  return {
    ok: true,
    workload: {
      id: "procs",
      title: `other processes: ${processes} process${processes === 1 ? "" : "es"}, ${mappings} mappings`,
      summary: `The page frames behind the mappings of running processes no one here wrote (largest first: ${read.slice(0, 5).join(", ")}${read.length > 5 ? ", ..." : ""}), one list per mapping, read from /proc/<pid>/pagemap.`,
      data: "other processes",
      groupNoun: "mapping",
      ranges,
      bytes: totalBytes(ranges),
      facts: [
        { label: "processes", value: processes },
        { label: "mappings", value: mappings },
        { label: "present pages", value: present },
        ...(flags.readable
          ? [
              { label: "THP pages", value: flags.thp },
              { label: "compound pages", value: flags.compound },
            ]
          : []),
        ...(notRam > 0 ? [{ label: "frames outside System RAM (left out)", value: notRam }] : []),
        ...(skipped > 0 ? [{ label: "processes skipped", value: skipped }] : []),
        ...(cut ? [{ label: "note", value: `byte budget (${o.budgetBytes >>> 20} MiB) reached` }] : []),
      ],
    },
  };
}
