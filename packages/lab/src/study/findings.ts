import { checkArray, checkObject, checkString } from "../args.js";
import { bytes } from "../render/format.js";
import type { RepresentationResult } from "./measure.js";
import type { MappingResult, WorkloadResult } from "./results.js";
import { checkResultsRecord } from "./schema.js";

/** Short names for sentences and chart legends. */
export const SHORT_NAMES: Record<string, string> = {
  "rlist-128": "rlist-128",
  "rlist-512": "rlist-512",
  "rlist-4096": "rlist-4096",
  fixed16: "fixed16",
  bio_vec: "bio_vec",
  "bio_vec-page": "bio_vec per page",
  scatterlist: "scatterlist",
  "page-array": "page array",
  "js-objects": "JS objects",
};

/** Short name of a representation variant ("rlist-512", "rlist-512 no-merge"). */
export function shortName(r: { id: string; key: string; label: string }): string {
  checkObject("representation", r);
  for (const k of ["id", "key", "label"] as const) checkString(`representation.${k}`, r[k]);
  const base = SHORT_NAMES[r.id] ?? r.label;
  if (r.key.endsWith("/p2p-merge")) return `${base} P2P-merged`;
  return r.key.endsWith("/no-merge") ? `${base} no-merge` : base;
}
const name = shortName;
const f3 = (v: number) =>
  v >= 100 ? Math.round(v).toLocaleString("en-US") : Number(v.toPrecision(3)).toString();
/** A ratio: two decimals below 10 (so 1.02x is not shown as 1x). */
const x = (a: number, b: number) => {
  const r = a / b;
  return `${r < 10 ? r.toFixed(2) : f3(r)}x`;
};
const n = (v: number) => v.toLocaleString("en-US");

/** Supported representations in their merging form (the no-merge variants are the merging verdict's). */
function supported(w: WorkloadResult): RepresentationResult[] {
  return w.representations.filter((r) => r.supported && r.merge !== false);
}

/** Supported representations, smallest first (JS objects last: they are the baseline, not a contender). */
function bySize(w: WorkloadResult): RepresentationResult[] {
  return supported(w).sort((a, b) => a.bytes - b.bytes);
}

function rlistOf(w: WorkloadResult): RepresentationResult | undefined {
  const rl = supported(w).filter((r) => r.id.startsWith("rlist-"));
  return rl.find((r) => r.id === "rlist-512") ?? rl[0];
}

/** Range entries per page: how much physical contiguity there is to exploit. */
function pagesPerEntry(w: WorkloadResult): number {
  const rl = rlistOf(w);
  return rl && rl.entries > 0 ? w.pages / rl.entries : 1;
}

/** One sentence: the winner on memory for this workload and why. */
export function headline(w: WorkloadResult): string {
  checkResultsRecord("workload", "workload", w);
  const sorted = bySize(w);
  const best = sorted[0];
  if (!best) return `${w.id}: no representation can hold it.`;
  const ppe = pagesPerEntry(w);
  const rl = [...sorted].filter((r) => r.id.startsWith("rlist-"))[0];
  const pa = sorted.find((r) => r.id === "page-array");
  const sg = sorted.find((r) => r.id === "scatterlist");
  const parts = [`${w.id}: ${name(best)} is smallest (${f3(best.bytesPerMiB)} B per MiB described)`];
  const cmp = [rl, pa, sg].filter((r): r is RepresentationResult => r !== undefined && r !== best);
  if (cmp.length > 0)
    parts.push(`${cmp.map((r) => `${name(r)} needs ${x(r.bytes, best.bytes)}`).join(", ")}`);
  const why =
    ppe < 1.5
      ? `almost nothing is physically contiguous (${ppe.toFixed(2)} pages per range)`
      : `physically contiguous runs average ${f3(ppe)} pages`;
  let s = `${parts.join("; ")}: ${why}`;
  if (rl && rl !== best && rl.entries > best.entries) {
    s += `; the rlist keeps ${n(rl.entries)} entries where ${name(best)} merges them into ${n(best.entries)}`;
  }
  if (w.groups > 1)
    s += `, in ${n(w.groups)} small lists of ${f3((rlistOf(w)?.entries ?? 0) / w.groups)} entries`;
  const cannot = w.representations.filter((r) => !r.supported && r.merge !== false);
  if (cannot.length > 0) s += `. ${cannot.map(name).join(", ")} cannot hold it (${cannot[0]!.reason})`;
  return `${s}.`;
}

/** Detailed sentences for one workload's section. */
export function workloadFindings(w: WorkloadResult): string[] {
  checkResultsRecord("workload", "workload", w);
  const out: string[] = [];
  const sorted = bySize(w);
  const rl = rlistOf(w);
  const pa = sorted.find((r) => r.id === "page-array");
  if (rl && pa && pa.bytes > rl.bytes) {
    out.push(
      `${name(rl)} stores ${n(rl.entries)} entries where a page array stores ${n(pa.entries)}: ${x(pa.bytes, rl.bytes)} less memory.`,
    );
  } else if (rl && pa) {
    const why =
      rl.efficiency < 0.6
        ? `its lists are too small to fill a chunk (${Math.round(rl.efficiency * 100)} % of the chunk bytes hold entries)`
        : `with ${f3(pagesPerEntry(w))} pages per range, ${f3(rl.bytesPerEntry)} B per entry cannot beat 8 B per page`;
    out.push(`${name(rl)} costs ${x(rl.bytes, pa.bytes)} the memory of a page array: ${why}.`);
  }
  const chunks = sorted.filter((r) => r.id.startsWith("rlist-"));
  if (chunks.length > 1) {
    const lo = chunks[0]!;
    const hi = chunks[chunks.length - 1]!;
    const perList = w.groups > 0 ? lo.entries / w.groups : 0;
    if (hi.bytes > lo.bytes) {
      out.push(
        `With ${f3(perList)} entries per ${w.groupNoun}, ${name(lo)} fits best (${Math.round(lo.efficiency * 100)} % of its chunk bytes hold entries); ${name(hi)} costs ${x(hi.bytes, lo.bytes)} as much.`,
      );
    }
  }
  const js = supported(w).find((r) => r.id === "js-objects");
  if (js && rl)
    out.push(
      `Plain JS objects cost ${f3(js.bytesPerEntry)} B per entry${js.measured ? " (measured heap)" : " (estimate)"}, ${x(js.bytes, rl.bytes)} the rlist.`,
    );
  return out;
}

function mappingSentence(maps: readonly MappingResult[]): string | null {
  const p2p = maps.filter((m) => m.p2pMapType !== null);
  if (p2p.length === 0) return null;
  const parts = p2p.map((m) =>
    m.error !== null
      ? `${m.device}: ${m.p2pMapType}, mapping fails (${m.error.split(":")[0]}) with nothing left mapped`
      : `${m.device}: ${m.p2pMapType}, ${m.iovaBytes === 0 ? "bus addresses, no IOVA" : `${bytes(m.iovaBytes)} of IOVA`}`,
  );
  return `GPU P2P: ${parts.join("; ")}.`;
}

function iommuSentence(maps: readonly MappingResult[]): string | null {
  // The strict domain only: the lazy one maps the same way (its figures are the iotlb verdict's).
  const iommu = maps.filter(
    (m) => m.error === null && m.p2pMapType === null && m.iovaBytes > 0 && m.iotlb?.strict !== false,
  );
  if (iommu.length === 0) return null;
  const parts = iommu.map((m) => {
    const shape =
      m.dmaEntries !== m.lists
        ? `needs ${n(m.dmaEntries)} DMA entries`
        : m.lists > 1
          ? `maps each of its ${n(m.lists)} lists as one IOVA range`
          : "maps as one IOVA range";
    const block = m.bestBlockSize > 0 ? ` (best block ${bytes(m.bestBlockSize)})` : "";
    const exposed = m.exposedBytes > 0 ? `, exposing ${bytes(m.exposedBytes)} beyond the buffers` : "";
    return `${m.workload} ${shape}${block}${exposed}`;
  });
  return `Behind an IOMMU: ${parts.join("; ")}.`;
}

/** "What this says": a short paragraph computed from the figures (nothing hard-coded). */
export function computeFindings(
  workloads: readonly WorkloadResult[],
  mappings: readonly MappingResult[],
): string[] {
  checkArray("workloads", workloads, (at, w) => checkResultsRecord(at, "workload", w));
  checkArray("mappings", mappings, (at, m) => checkResultsRecord(at, "mapping", m));
  const out = workloads.map((w) => headline(w));
  for (const s of [iommuSentence(mappings), mappingSentence(mappings)]) if (s !== null) out.push(s);
  return out;
}
