import type { RepresentationResult } from "./measure.js";
import type { MappingResult, WorkloadResult } from "./results.js";

const f3 = (v: number) =>
  v >= 100 ? Math.round(v).toLocaleString("en-US") : Number(v.toPrecision(3)).toString();
const ratio = (a: number, b: number) => `${f3(a / b)}x`;

function supported(w: WorkloadResult): RepresentationResult[] {
  return w.representations.filter((r) => r.supported);
}

function smallest(reps: readonly RepresentationResult[]): RepresentationResult | undefined {
  return [...reps].sort((a, b) => a.bytes - b.bytes)[0];
}

function byId(w: WorkloadResult, id: string): RepresentationResult | undefined {
  return w.representations.find((r) => r.id === id && r.supported);
}

/** Which representation is smallest for this workload, and by how much. */
function memoryFinding(w: WorkloadResult): string | null {
  const reps = supported(w);
  const best = smallest(reps);
  if (!best || reps.length < 2) return null;
  const others = reps.filter((r) => r !== best && r.id !== "js-objects").sort((a, b) => a.bytes - b.bytes);
  const runnerUp = others[0];
  const worst = others[others.length - 1];
  let s = `${w.title}: ${best.label} is the smallest at ${f3(best.bytesPerMiB)} bytes per MiB described (${f3(best.bytesPerEntry)} B/entry over ${best.entries.toLocaleString("en-US")} entries)`;
  if (runnerUp) s += `; next is ${runnerUp.label} at ${ratio(runnerUp.bytes, best.bytes)}`;
  if (worst && worst !== runnerUp) s += `, and ${worst.label} costs ${ratio(worst.bytes, best.bytes)}`;
  const unsupported = w.representations.filter((r) => !r.supported);
  if (unsupported.length > 0)
    s += `. Cannot hold it: ${unsupported.map((r) => r.label).join(", ")} (${unsupported[0]!.reason})`;
  return `${s}.`;
}

/** The chunk-size trade-off: small lists waste big chunks. */
function chunkFinding(w: WorkloadResult): string | null {
  const rl = w.representations.filter((r) => r.supported && r.id.startsWith("rlist-"));
  if (rl.length < 2) return null;
  const sorted = [...rl].sort((a, b) => a.bytes - b.bytes);
  const best = sorted[0]!;
  const worst = sorted[sorted.length - 1]!;
  if (worst.bytes === best.bytes) return null;
  const perList = w.groups > 0 ? best.entries / w.groups : 0;
  return `${w.title}: with ${f3(perList)} entries per ${w.groupNoun}, ${best.label} chunks fit best (${f3(best.bytesPerEntry)} B/entry, ${Math.round(best.efficiency * 100)} % efficient) while ${worst.label} chunks cost ${ratio(worst.bytes, best.bytes)} as much.`;
}

/** How much merging contiguous memory saves against per-page structures. */
function mergeFinding(w: WorkloadResult): string | null {
  const rl = byId(w, "rlist-512") ?? w.representations.find((r) => r.supported && r.id.startsWith("rlist-"));
  if (!rl || w.pages === 0) return null;
  const pagesPerEntry = w.pages / Math.max(1, rl.entries);
  if (pagesPerEntry < 1.5)
    return `${w.title}: almost nothing is physically contiguous (${f3(pagesPerEntry)} pages per range), so range lists cannot beat a page array here.`;
  const pa = byId(w, "page-array");
  return `${w.title}: physically contiguous runs average ${f3(pagesPerEntry)} pages, so ${rl.label} needs ${rl.entries.toLocaleString("en-US")} entries where a page array needs ${w.pages.toLocaleString("en-US")}${pa ? ` (${ratio(pa.bytes, rl.bytes)} the memory)` : ""}.`;
}

/** Fastest iteration per workload, against the rlist. */
function speedFinding(w: WorkloadResult): string | null {
  const reps = supported(w).filter((r) => r.iterateBytesPerSec > 0);
  if (reps.length < 2) return null;
  const fastest = [...reps].sort((a, b) => b.iterateBytesPerSec - a.iterateBytesPerSec)[0]!;
  const rl = byId(w, "rlist-512");
  const gib = (r: RepresentationResult) => `${f3(r.iterateBytesPerSec / 2 ** 30)} GiB/s`;
  let s = `${w.title}: walking the list is fastest with ${fastest.label} (${gib(fastest)} of memory described, ${f3(fastest.iterateEntriesPerSec / 1e6)} M entries/s)`;
  if (rl && rl !== fastest)
    s += `; rlist-512 walks ${gib(rl)} (${f3(rl.iterateEntriesPerSec / 1e6)} M entries/s)`;
  return `${s}.`;
}

function mappingFindings(maps: readonly MappingResult[]): string[] {
  const out: string[] = [];
  for (const m of maps) {
    if (m.error !== null) {
      out.push(
        `Mapping ${m.workload} for the ${m.device} fails with ${m.error.split(":")[0]}: nothing is left mapped.`,
      );
    } else if (m.p2pMapType === "BUS_ADDR") {
      out.push(
        `Mapping ${m.workload} for the ${m.device} uses PCI bus addresses (BUS_ADDR): ${m.dmaEntries.toLocaleString("en-US")} DMA entries and no IOVA at all.`,
      );
    } else if (m.iovaBytes > 0) {
      out.push(
        `Mapping ${m.workload} for the ${m.device} (${m.path}) takes ${f3(m.iovaBytes / 2 ** 20)} MiB of IOVA in ${m.dmaEntries.toLocaleString("en-US")} DMA entries / ${m.segments.toLocaleString("en-US")} segments; best block size ${m.bestBlockSize > 0 ? `${m.bestBlockSize / 1024} KiB` : "none"}, ${m.exposedBytes.toLocaleString("en-US")} bytes exposed beyond the buffer.`,
      );
    }
  }
  return out;
}

/** "What this says": sentences computed from the figures, nothing hard-coded. */
export function computeFindings(
  workloads: readonly WorkloadResult[],
  mappings: readonly MappingResult[],
): string[] {
  const out: string[] = [];
  for (const w of workloads) {
    for (const f of [memoryFinding(w), mergeFinding(w), chunkFinding(w), speedFinding(w)])
      if (f !== null) out.push(f);
  }
  out.push(...mappingFindings(mappings));
  return out;
}
