import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SYSROOT } from "./cli-helpers.js";

/** One pagemap entry: present bit 63, PFN in bits 0-54 (0 = hidden, as without CAP_SYS_ADMIN). */
function entry(pfn: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, pfn % 2 ** 32, true);
  v.setUint32(4, Math.floor(pfn / 2 ** 32) | 0x8000_0000, true);
  return b;
}

function writeAt(path: string, at: number, bytes: Uint8Array): void {
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, bytes, 0, bytes.length, at);
  } finally {
    closeSync(fd);
  }
}

export interface FakeProcess {
  readonly pid: number;
  readonly name: string;
  readonly residentPages: number;
  /** Mappings: start address and the PFN of each page (-1 absent). */
  readonly mappings: readonly { start: number; pfns: readonly number[] }[];
  /** Lists its mappings but has no pagemap (as a process that exits mid-read). */
  readonly vanishes?: boolean;
}

/**
 * A fake sysroot: the lab's fixture /proc/iomem plus /proc/<pid>/{comm,statm,maps,pagemap} of the
 * given processes and a /proc/kpageflags with KPF_THP set on `thpPfns`. Files are written at the
 * offsets the kernel uses (pagemap: virtual page number x 8; kpageflags: PFN x 8), sparse.
 */
export function fakeSysroot(
  processes: readonly FakeProcess[],
  opts: { thpPfns?: readonly number[]; hidePfns?: boolean } = {},
): string {
  const root = mkdtempSync(join(tmpdir(), "rlist-lab-procs-"));
  mkdirSync(join(root, "proc"));
  copyFileSync(join(SYSROOT, "proc/iomem"), join(root, "proc/iomem"));
  for (const p of processes) {
    const dir = join(root, "proc", String(p.pid));
    mkdirSync(dir);
    writeFileSync(join(dir, "comm"), `${p.name}\n`);
    writeFileSync(join(dir, "statm"), `1000 ${p.residentPages} 10 1 0 100 0\n`);
    writeFileSync(
      join(dir, "maps"),
      p.mappings
        .map(
          (m) =>
            `${m.start.toString(16)}-${(m.start + m.pfns.length * 4096).toString(16)} rw-p 00000000 00:00 0 \n`,
        )
        .join(""),
    );
    if (p.vanishes) continue;
    const pagemap = join(dir, "pagemap");
    writeFileSync(pagemap, "");
    for (const m of p.mappings)
      m.pfns.forEach((pfn, i) => {
        if (pfn >= 0) writeAt(pagemap, (m.start / 4096 + i) * 8, entry(opts.hidePfns ? 0 : pfn));
      });
  }
  const flags = join(root, "proc/kpageflags");
  writeFileSync(flags, "");
  for (const pfn of opts.thpPfns ?? []) writeAt(flags, pfn * 8, new Uint8Array([0, 0, 0x40, 0, 0, 0, 0, 0])); // bit 22
  return root;
}

/** Two processes and one that vanishes: 8 contiguous pages, a mapping with a hole and a frame in the PCI hole. */
export const FAKE_PROCESSES: readonly FakeProcess[] = [
  {
    pid: 200,
    name: "small",
    residentPages: 1,
    mappings: [{ start: 0x900000, pfns: [0x30000] }],
  },
  {
    pid: 100,
    name: "big",
    residentPages: 12,
    mappings: [
      { start: 0x400000, pfns: [0x10000, 0x10001, 0x10002, 0x10003, 0x10004, 0x10005, 0x10006, 0x10007] },
      // absent page, a frame in the PCI hole (0xc0000000: not System RAM), two scattered frames
      { start: 0x600000, pfns: [0x20000, -1, 0xc0000, 0x20100] },
    ],
  },
  {
    pid: 300,
    name: "gone",
    residentPages: 5,
    mappings: [{ start: 0x400000, pfns: [0x40000] }],
    vanishes: true,
  },
];
