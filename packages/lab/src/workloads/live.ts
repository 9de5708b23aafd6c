import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { checkArray, checkFinite, checkInstance, checkInteger, checkObject, checkString } from "../args.js";
import { PAGE_SIZE, RangeSetBuilder, totalBytes } from "./range-set.js";
import type { Workload } from "./workload.js";

/** Size of the lab's own buffer whose page frames the `live` workload reads. */
export const LIVE_DEFAULT_BYTES = 64 * 1024 * 1024;
/** The largest buffer `liveWorkload` allocates (`--live-mib` has the same bound); the smallest is a page. */
export const LIVE_MAX_BYTES = 1024 * 1024 * 1024;

/** pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst). */
const PM_PRESENT_HI = 1 << 31; // bit 63, in the high u32
const PM_PFN_HI_MASK = (1 << 23) - 1; // bits 32..54 of the PFN field
/** /proc/kpageflags bits. */
const KPF_THP = 22;

/** One line of /proc/self/maps. */
export interface MapsEntry {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  readonly inode: number;
  readonly path: string;
}

/** Parses /proc/<pid>/maps text ("start-end perms offset dev inode [path]"). */
export function parseMaps(text: string): MapsEntry[] {
  checkString("maps text", text);
  const out: MapsEntry[] = [];
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+\S+\s+\S+\s+(\d+)\s*(.*)$/.exec(line);
    if (m === null) continue;
    out.push({
      start: Number.parseInt(m[1]!, 16),
      end: Number.parseInt(m[2]!, 16),
      perms: m[3]!,
      inode: Number(m[4]),
      path: m[5]!.trim(),
    });
  }
  return out;
}

/** Anonymous writable mappings big enough to hold `bytes`: where a large Buffer can live. */
export function candidateMappings(maps: readonly MapsEntry[], bytes: number): MapsEntry[] {
  checkArray("maps", maps, (at, m) => {
    checkObject(at, m);
    const e = m as Partial<MapsEntry>;
    // addresses as parseMaps reads them: [vsyscall] sits above 2^53, so not always exact
    checkFinite(`${at}.start`, e.start, 0);
    checkFinite(`${at}.end`, e.end, 0);
    checkString(`${at}.perms`, e.perms);
    checkFinite(`${at}.inode`, e.inode, 0);
    checkString(`${at}.path`, e.path);
  });
  checkInteger("bytes", bytes);
  return maps.filter(
    (m) => m.perms.startsWith("rw") && m.inode === 0 && !m.path.startsWith("[") && m.end - m.start >= bytes,
  );
}

/** Result of decoding pagemap entries for a run of virtual pages. */
export interface DecodedPagemap {
  /** PFN per page, -1 when the page is not present. */
  readonly pfns: Float64Array;
  readonly present: number;
  /** Present pages whose PFN read as 0: the kernel hides PFNs without CAP_SYS_ADMIN. */
  readonly zeroPfn: number;
}

/** Decodes 8-byte little-endian pagemap entries: bit 63 present, bits 0-54 PFN. */
export function decodePagemap(bytes: Uint8Array): DecodedPagemap {
  checkInstance("pagemap bytes", bytes, Uint8Array);
  const n = bytes.length >>> 3;
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * 8);
  const pfns = new Float64Array(n);
  let present = 0;
  let zeroPfn = 0;
  for (let i = 0; i < n; i++) {
    const lo = view.getUint32(i * 8, true);
    const hi = view.getUint32(i * 8 + 4, true);
    if ((hi & PM_PRESENT_HI) === 0) {
      pfns[i] = -1;
      continue;
    }
    present++;
    const pfn = (hi & PM_PFN_HI_MASK) * 0x1_0000_0000 + lo;
    if (pfn === 0) zeroPfn++;
    pfns[i] = pfn;
  }
  return { pfns, present, zeroPfn };
}

/**
 * Turns a buffer at virtual address `va` of `bytes` and the PFN of each page it touches into
 * one order-0 folio range per page (the first and last may be partial, as a user buffer
 * is). Non-present pages are skipped (the caller reports them).
 */
export function liveRanges(va: number, bytes: number, pfns: Float64Array): RangeSetBuilder {
  checkInteger("va", va);
  checkInteger("bytes", bytes, 0, Number.MAX_SAFE_INTEGER - va);
  checkInstance("pfns", pfns, Float64Array);
  for (const pfn of pfns) if (pfn !== -1) checkInteger("a pfn", pfn);
  const b = new RangeSetBuilder();
  b.beginGroup();
  const first = Math.floor(va / PAGE_SIZE);
  const end = va + bytes;
  for (let i = 0; i < pfns.length; i++) {
    const pfn = pfns[i]!;
    if (pfn < 0) continue;
    const pageVa = (first + i) * PAGE_SIZE;
    const from = Math.max(pageVa, va);
    const to = Math.min(pageVa + PAGE_SIZE, end);
    if (to <= from) continue;
    b.addFolioRange(pfn, 0, pfn * PAGE_SIZE + (from - pageVa), to - from);
  }
  return b;
}

export type LiveResult =
  | { readonly ok: true; readonly workload: Workload }
  | { readonly ok: false; readonly reason: string };

function readAt(fd: number, length: number, position: number): Uint8Array {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

function withFile<T>(path: string, fn: (fd: number) => T): T {
  const fd = openSync(path, "r");
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

/** Finds `marker` at the start of the buffer: the buffer's virtual address, or -1. */
function locate(maps: readonly MapsEntry[], bytes: number, marker: Uint8Array): number {
  return withFile("/proc/self/mem", (fd) => {
    for (const m of candidateMappings(maps, bytes)) {
      // Allocators put a small header before the data; look in the first page or two.
      let head: Uint8Array;
      try {
        head = readAt(fd, Math.min(2 * PAGE_SIZE, m.end - m.start), m.start);
      } catch {
        continue;
      }
      for (let off = 0; off + marker.length <= head.length; off += 8) {
        let hit = true;
        for (let k = 0; k < marker.length && hit; k++) hit = head[off + k] === marker[k];
        if (hit && m.start + off + bytes <= m.end) return m.start + off;
      }
    }
    return -1;
  });
}

/**
 * Allocates and touches a buffer in this process, finds it in /proc/self/maps (by a random
 * marker read back through /proc/self/mem), then reads its page frames from
 * /proc/self/pagemap. PFNs are only visible with CAP_SYS_ADMIN; without it the result says
 * why and the study goes on without this workload.
 */
export function liveWorkload(bytes: number = LIVE_DEFAULT_BYTES): LiveResult {
  checkInteger("live buffer bytes", bytes, PAGE_SIZE, LIVE_MAX_BYTES);
  if (process.platform !== "linux") return { ok: false, reason: "live: /proc/self/pagemap is Linux-only" };
  const buf = Buffer.alloc(bytes);
  const marker = randomBytes(16);
  buf.set(marker, 0);
  // Fault every page in (a zero-filled mapping is not present until written).
  for (let off = PAGE_SIZE; off < bytes; off += PAGE_SIZE) buf[off] = 1;
  buf[bytes - 1] = 1;
  try {
    const maps = parseMaps(readFileSync("/proc/self/maps", "utf8"));
    const va = locate(maps, bytes, marker);
    if (va < 0) return { ok: false, reason: "live: could not find the lab's buffer in /proc/self/maps" };
    const firstPage = Math.floor(va / PAGE_SIZE);
    const pages = Math.floor((va + bytes - 1) / PAGE_SIZE) - firstPage + 1;
    const raw = withFile("/proc/self/pagemap", (fd) => readAt(fd, pages * 8, firstPage * 8));
    const decoded = decodePagemap(raw);
    if (decoded.present > 0 && decoded.zeroPfn === decoded.present) {
      return {
        ok: false,
        reason:
          "live: /proc/self/pagemap shows every PFN as 0; reading page frames needs root (CAP_SYS_ADMIN). Run as root to include the live workload.",
      };
    }
    const thp = countThp(decoded.pfns);
    const ranges = liveRanges(va, bytes, decoded.pfns).finish();
    buf[0] = buf[0]!; // keep the buffer alive until the frames are read
    return {
      ok: true,
      workload: {
        id: "live",
        title: "live: this process's own buffer",
        summary: `A ${bytes >>> 20} MiB Buffer allocated and touched by the lab; its real page frames read from /proc/self/pagemap.`,
        data: "own buffer",
        groupNoun: "buffer",
        ranges,
        bytes: totalBytes(ranges),
        facts: [
          { label: "virtual address", value: `0x${va.toString(16)}` },
          { label: "pages", value: pages },
          { label: "present", value: decoded.present },
          ...(thp === null ? [] : [{ label: "THP pages", value: thp }]),
        ],
      },
    };
  } catch (err) {
    return { ok: false, reason: `live: ${(err as Error).message}` };
  }
}

/** Pages of the buffer that belong to a transparent huge page, or null if /proc/kpageflags is unreadable. */
function countThp(pfns: Float64Array): number | null {
  try {
    return withFile("/proc/kpageflags", (fd) => {
      let thp = 0;
      const word = new Uint8Array(8);
      for (const pfn of pfns) {
        if (pfn < 0 || readSync(fd, word, 0, 8, pfn * 8) !== 8) continue;
        if ((word[KPF_THP >>> 3]! >>> (KPF_THP & 7)) & 1) thp++;
      }
      return thp;
    });
  } catch {
    return null;
  }
}
