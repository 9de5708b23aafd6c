/**
 * The verdicts: each question the study exists for, answered from its figures. Answers are
 * decided from exact figures (bytes, entry counts, IOVA, exposure), which a seed reproduces;
 * timed figures (walk, map + unmap) are reported beside them as a separate observation, decided
 * only when every interleaved round agrees and the effect clears the noise ({@link speedRatio}),
 * and never change an answer. Every verdict names the data it was decided on.
 */
import { checkArray } from "../args.js";
import { bytes as fmtBytes } from "../render/format.js";
import type { DataSource } from "../workloads/workload.js";
import { LIST_SIZE_CLASSES, type RepresentationResult } from "./measure.js";
import type { MappingResult, WorkloadResult } from "./results.js";
import { checkResultsRecord } from "./schema.js";
import {
  MIN_ROUNDS_TO_DECIDE,
  MIN_TIMED_EFFECT,
  roundsThatMustAgree,
  type SpeedRatio,
  speedRatio,
} from "./timing.js";

export const VERDICT_IDS = [
  "entry-format",
  "chunk-size",
  "merging",
  "iommu-mapping",
  "iotlb-invalidation",
  "p2p",
] as const;
export type VerdictId = (typeof VERDICT_IDS)[number];

/** A timed observation beside an exact answer. */
export interface TimedObservation {
  readonly answer: string;
  readonly margin: string;
}

export interface Verdict {
  readonly id: VerdictId;
  readonly question: string;
  /** The answer, decided from exact figures; "no measurable difference" when they tie. */
  readonly answer: string;
  /** The figures behind the answer, one line per workload, list-size class or device. */
  readonly evidence: readonly string[];
  /** How far the winner is ahead, against the noise of the figures that decided it. */
  readonly margin: string;
  /** Which data decided it. */
  readonly data: readonly DataSource[];
  /** What time adds (walk or map speed), with its own noise margin; null when nothing was timed. */
  readonly timed: TimedObservation | null;
}

/** Exact figures closer than this (2 %) are called a tie: no difference that matters. */
export const EXACT_TIE = 0.02;

const n = (v: number) => Math.round(v).toLocaleString("en-US");
const f3 = (v: number) => (v >= 100 ? n(v) : Number(v.toPrecision(3)).toString());
const x = (r: number) => `${r < 10 ? r.toFixed(2) : f3(r)}x`;
const range = (vs: readonly number[]) => {
  const lo = Math.min(...vs);
  const hi = Math.max(...vs);
  return x(lo) === x(hi) ? x(lo) : `${x(lo)}-${x(hi)}`;
};
function rep(w: WorkloadResult, key: string): RepresentationResult | undefined {
  return w.representations.find((r) => r.key === key && r.supported);
}

/** The rlist to compare others with: 512-byte chunks (the prototype's), else the first size studied. */
function rlistKey(workloads: readonly WorkloadResult[], merge = true): string | null {
  const keys = new Set(workloads.flatMap((w) => w.representations.map((r) => r.key)));
  const wanted = merge ? "rlist-512" : "rlist-512/no-merge";
  if (keys.has(wanted)) return wanted;
  for (const k of keys) if (k.startsWith("rlist-") && k.endsWith("/no-merge") !== merge) return k;
  return null;
}

/** True for a workload of pageless (PHYSICAL, P2P) ranges: no struct page, so no bio_vec. */
function pageless(w: WorkloadResult): boolean {
  return w.representations.some(
    (r) => r.id === "bio_vec" && !r.supported && (r.reason ?? "").startsWith("pageless"),
  );
}

function sources(ws: readonly WorkloadResult[]): DataSource[] {
  return [...new Set(ws.map((w) => w.data))];
}

/** "rdma, thp and nvme (synthetic); live (own buffer)". */
function named(ws: readonly WorkloadResult[]): string {
  return sources(ws)
    .map(
      (d) =>
        `${ws
          .filter((w) => w.data === d)
          .map((w) => w.id)
          .join(", ")} (${d})`,
    )
    .join(", ");
}

function timedLine(label: string, r: SpeedRatio, faster: string, slower: string): string {
  const floor = r.noise > 1 + MIN_TIMED_EFFECT ? `; noise floor ${x(r.noise)}` : "";
  if (r.rounds < MIN_ROUNDS_TO_DECIDE)
    return `${label}: not decided (${r.rounds} round${r.rounds === 1 ? "" : "s"}; ${MIN_ROUNDS_TO_DECIDE} needed for a noise estimate)`;
  if (!r.decided)
    return `${label}: no measurable difference between ${faster} and ${slower} (per-round ${range([r.min, r.max])}${floor})`;
  const [a, b, q] = r.median >= 1 ? [faster, slower, r] : [slower, faster, invert(r)];
  const agree = q.agree < q.rounds ? `, ${q.agree} of ${q.rounds} rounds agree` : "";
  return `${label}: ${a} ${x(q.median)} faster than ${b} (per-round ${range([q.min, q.max])}${agree}${floor})`;
}

function invert(r: SpeedRatio): SpeedRatio {
  return { ...r, median: 1 / r.median, min: 1 / r.max, max: 1 / r.min };
}

/**
 * The timed line of a walk comparison: the kernel walks decide (the same work per entry for every
 * representation, against the kernel walks' own noise floor); the JavaScript walks follow for
 * reference as median per-round speed ratios, not ranked.
 */
function walkTimed(
  rows: readonly { w: WorkloadResult; a: RepresentationResult; b: RepresentationResult }[],
  faster: string,
  slower: string,
): TimedObservation | null {
  const kernel = rows.filter((r) => r.a.kernelWalk && r.b.kernelWalk);
  const js = rows.filter((r) => r.a.jsWalk && r.b.jsWalk);
  if (kernel.length === 0 && js.length === 0) return null;
  const parts: string[] = [];
  const line = ({ w, a, b }: (typeof rows)[number]) =>
    sameLists(a, b)
      ? `${w.id}: the same lists either way (their walks are one more A/A pair of the noise floor)`
      : timedLine(w.id, speedRatio(a.kernelWalk!, b.kernelWalk!, w.kernelNoise), faster, slower);
  if (kernel.length > 0)
    parts.push(
      `Walking every entry (WebAssembly kernels, the same work per entry): ${kernel.map(line).join("; ")}.`,
    );
  const jsShown = js.filter(({ a, b }) => !sameLists(a, b));
  if (jsShown.length > 0)
    parts.push(
      `JS cursors, for reference and not ranked (median per-round speed ratio ${faster} / ${slower}): ${jsShown.map(({ w, a, b }) => `${w.id} ${x(speedRatio(a.jsWalk!, b.jsWalk!).median)}`).join(", ")}.`,
    );
  if (parts.length === 0) return null;
  const first = kernel[0] ?? js[0]!;
  return {
    answer: parts.join(" "),
    margin: timedMargin((first.a.kernelWalk ?? first.a.jsWalk)!.samplesNs.length),
  };
}

/** Two variants holding identical lists: the same entries (kernel checksums) and bytes. */
function sameLists(a: RepresentationResult, b: RepresentationResult): boolean {
  const p = a.checksum;
  const q = b.checksum;
  return (
    p !== null &&
    q !== null &&
    p.count === q.count &&
    p.lengthSum === q.lengthSum &&
    p.baseSum === q.baseSum &&
    a.bytes === b.bytes
  );
}

function timedMargin(rounds: number): string {
  return `median of per-round ratios over ${rounds} interleaved round${rounds === 1 ? "" : "s"}; claimed only when ${roundsThatMustAgree(rounds)} of ${rounds} rounds agree on the direction and the effect clears both ${MIN_TIMED_EFFECT * 100} % and the run's noise floor (the largest per-round ratio between two walks of identical lists: one representation built twice, and variants whose lists came out the same; kernel walks and JavaScript-timed figures each against their own)`;
}

function notStudied(id: VerdictId, question: string, why: string): Verdict {
  return { id, question, answer: `Not decided: ${why}.`, evidence: [], margin: "-", data: [], timed: null };
}

// ------------------------------------------------------------------------------ entry format

function entryFormat(workloads: readonly WorkloadResult[]): Verdict {
  const question = "Variable 8/16/24-byte entries or fixed 16-byte entries?";
  const rk = rlistKey(workloads);
  if (rk === null) return notStudied("entry-format", question, "no rlist was built");
  const both = workloads.filter((w) => rep(w, rk) && rep(w, "fixed16"));
  const cannot = workloads.filter((w) => rep(w, rk) && !rep(w, "fixed16"));
  if (both.length === 0 && cannot.length === 0)
    return notStudied("entry-format", question, "no workload was built in both formats");
  const rows = both.map((w) => {
    const v = rep(w, rk)!;
    const f = rep(w, "fixed16")!;
    return { w, v, f, ratio: f.bytes / v.bytes };
  });
  const evidence = rows.map(
    ({ w, v, f, ratio }) =>
      `${w.id} (${w.data}): variable ${f3(v.bytesPerMiB)} B per MiB described (${f3(v.bytesPerEntry)} B/entry), fixed 16 B ${f3(f.bytesPerMiB)} (${f3(f.bytesPerEntry)} B/entry): ${ratio >= 1 ? `variable ${x(ratio)} smaller` : `fixed ${x(1 / ratio)} smaller`}`,
  );
  for (const w of cannot)
    evidence.push(
      `${w.id} (${w.data}): fixed 16 B cannot hold it (${workloads.find((x) => x === w)!.representations.find((r) => r.key === "fixed16")?.reason ?? "unsupported"})`,
    );
  const varWins = rows.filter((r) => r.ratio >= 1 + EXACT_TIE);
  const fixWins = rows.filter((r) => 1 / r.ratio >= 1 + EXACT_TIE);
  const ties = rows.filter((r) => !varWins.includes(r) && !fixWins.includes(r));
  const parts: string[] = [];
  if (varWins.length > 0)
    parts.push(
      `variable entries take ${range(varWins.map((r) => r.ratio))} less memory than fixed 16-byte ones on ${named(varWins.map((r) => r.w))}`,
    );
  if (fixWins.length > 0)
    parts.push(
      `fixed 16-byte entries take ${range(fixWins.map((r) => 1 / r.ratio))} less on ${named(fixWins.map((r) => r.w))}`,
    );
  if (ties.length > 0) parts.push(`no measurable difference on ${named(ties.map((r) => r.w))}`);
  if (cannot.length > 0)
    parts.push(`fixed 16-byte entries cannot describe ${named(cannot)} at all (no field for a P2P provider)`);
  const winner =
    fixWins.length === 0 && varWins.length > 0
      ? "Variable 8/16/24-byte entries"
      : fixWins.length > 0 && varWins.length === 0
        ? "Fixed 16-byte entries"
        : "It depends on the workload";
  const answer = `${winner}: ${parts.join("; ")}.`;
  const margins = rows.map((r) => Math.max(r.ratio, 1 / r.ratio));
  const margin =
    rows.length > 0
      ? `exact byte counts (no noise), ${rk} against fixed16 in 512-byte chunks; smallest margin ${x(Math.min(...margins))} (${rows[margins.indexOf(Math.min(...margins))]!.w.id}), ties below ${EXACT_TIE * 100} %`
      : "exact (what each format can hold)";
  // Time: walking both, side by side in the same rounds.
  const timed = walkTimed(
    rows.map(({ w, v, f }) => ({ w, a: v, b: f })),
    "variable",
    "fixed 16 B",
  );
  return {
    id: "entry-format",
    question,
    answer,
    evidence,
    margin,
    data: sources([...rows.map((r) => r.w), ...cannot]),
    timed,
  };
}

// ------------------------------------------------------------------------------- chunk size

function chunkSize(workloads: readonly WorkloadResult[]): Verdict {
  const question = "Which chunk size (128, 512 or 4096 bytes) for which list length?";
  const keys = [
    ...new Set(
      workloads.flatMap((w) =>
        w.representations
          .filter((r) => r.family === "rlist" && r.key === r.id && r.supported)
          .map((r) => r.key),
      ),
    ),
  ];
  if (keys.length < 2)
    return notStudied("chunk-size", question, "only one chunk size was studied (--chunk-bytes)");
  const evidence: string[] = [];
  const answers: string[] = [];
  const margins: string[] = [];
  const used: WorkloadResult[] = [];
  for (const c of LIST_SIZE_CLASSES) {
    const totals = keys.map((k) => {
      let b = 0;
      let lists = 0;
      const from: WorkloadResult[] = [];
      for (const w of workloads) {
        const f = rep(w, k)?.listSizes?.find((s) => s.sizeClass === c.id);
        if (f === undefined || f.lists === 0) continue;
        b += f.bytes;
        lists += f.lists;
        from.push(w);
      }
      return { k, bytes: b, lists, from };
    });
    const first = totals[0]!;
    if (first.lists === 0) continue;
    used.push(...first.from);
    const sorted = [...totals].sort((a, b) => a.bytes - b.bytes);
    const best = sorted[0]!;
    const next = sorted[1]!;
    const lead = next.bytes / best.bytes;
    const size = (k: string) => `${k.slice("rlist-".length)} B`;
    evidence.push(
      `${c.label} (${n(first.lists)} lists from ${named(first.from)}): ${totals.map((t) => `${size(t.k)} chunks ${n(t.bytes)} B`).join(", ")}`,
    );
    answers.push(
      lead < 1 + EXACT_TIE
        ? `${c.label}: no measurable difference between ${size(best.k)} and ${size(next.k)} chunks (${x(lead)})`
        : `${c.label}: ${size(best.k)} chunks (${sorted
            .slice(1)
            .map((t) => `${x(t.bytes / best.bytes)} less than ${size(t.k)}`)
            .join(", ")})`,
    );
    margins.push(`${c.label} ${x(lead)}`);
  }
  return {
    id: "chunk-size",
    question,
    answer: `${answers.join("; ")}.`,
    evidence,
    margin: `exact chunk bytes (no noise), lead over the runner-up: ${margins.join(", ")}; ties below ${EXACT_TIE * 100} %`,
    data: sources(used),
    timed: null,
  };
}

// ---------------------------------------------------------------------------------- merging

function merging(workloads: readonly WorkloadResult[]): Verdict {
  const question = "Merge physically contiguous ranges into one entry, or keep one entry per range?";
  const on = rlistKey(workloads, true);
  const off = rlistKey(workloads, false);
  if (on === null || off === null)
    return notStudied("merging", question, "merging was not compared (run with --merge on,off)");
  const rows = workloads.flatMap((w) => {
    const a = rep(w, on);
    const b = rep(w, off);
    return a && b ? [{ w, a, b, ratio: b.entries / a.entries }] : [];
  });
  if (rows.length === 0)
    return notStudied("merging", question, "no workload was built with and without merging");
  const evidence = rows.map(
    ({ w, a, b, ratio }) =>
      `${w.id} (${w.data}): ${n(b.entries)} entries unmerged, ${n(a.entries)} merged (${x(ratio)}); ${n(b.bytes)} B against ${n(a.bytes)} B`,
  );
  const pays = rows.filter((r) => r.ratio >= 1 + EXACT_TIE);
  // Pageless P2P ranges are never merged by the rlist: said separately below, not "nothing to merge".
  const idle = rows.filter((r) => r.ratio < 1 + EXACT_TIE && !pageless(r.w));
  const parts: string[] = [];
  if (pays.length > 0)
    parts.push(
      `merging stores ${range(pays.map((r) => r.ratio))} fewer entries on ${named(pays.map((r) => r.w))}, where pages are physically contiguous`,
    );
  if (idle.length > 0)
    parts.push(`no measurable difference on ${named(idle.map((r) => r.w))} (nothing contiguous to merge)`);
  // P2P: the rlist never merges PHYSICAL ranges; the scatterlist merges same-provider neighbours.
  for (const w of workloads) {
    const sg = rep(w, "scatterlist");
    const sgOff = rep(w, "scatterlist/no-merge");
    const rl = rep(w, on);
    if (!pageless(w) || !rl) continue;
    const p2pMerged = w.representations.find((r) => r.key.endsWith("/p2p-merge") && r.supported);
    if (p2pMerged) {
      const ratio = rl.entries / p2pMerged.entries;
      parts.push(
        ratio >= 1 + EXACT_TIE
          ? `P2P: merging contiguous ranges of one provider (CpuRangeList mergePhysical) stores ${x(ratio)} fewer entries on ${named([w])} (${n(rl.entries)} -> ${n(p2pMerged.entries)}${sg ? `, as few as the scatterlist's ${n(sg.entries)}` : ""}); the prototype never merges PHYSICAL entries`
          : `P2P: no measurable difference from merging contiguous ranges of one provider on ${named([w])}`,
      );
      evidence.push(
        `${w.id} (${w.data}): rlist ${n(rl.entries)} entries with PHYSICAL ranges unmerged (as rlscpu_append_physical()), ${n(p2pMerged.entries)} merged (${x(ratio)}; ${n(rl.bytes)} B against ${n(p2pMerged.bytes)} B)${sg && sgOff ? `; scatterlist ${n(sgOff.entries)} unmerged, ${n(sg.entries)} merged` : ""}`,
      );
    } else if (sg && sgOff && sg.entries < rl.entries) {
      parts.push(
        `P2P ranges are not merged by the rlist (PHYSICAL entries never merge, as in rlscpu_append_physical()): ${n(rl.entries)} entries where the scatterlist merges contiguous same-provider ranges into ${n(sg.entries)}`,
      );
      evidence.push(
        `${w.id} (${w.data}): scatterlist ${n(sgOff.entries)} entries unmerged, ${n(sg.entries)} merged; rlist ${n(rl.entries)} either way`,
      );
    }
  }
  return {
    id: "merging",
    question,
    answer: `${pays.length > 0 ? "Merge" : "No measurable difference"}: ${parts.join("; ")}.`,
    evidence,
    margin: `exact entry counts (no noise), ${on} against ${off}; largest saving ${x(Math.max(...rows.map((r) => r.ratio)))}, ties below ${EXACT_TIE * 100} %`,
    data: sources(rows.map((r) => r.w)),
    timed: walkTimed(rows, "merged", "unmerged"),
  };
}

// ---------------------------------------------------------------------------- IOMMU mapping

function iommuMapping(workloads: readonly WorkloadResult[], maps: readonly MappingResult[]): Verdict {
  const question =
    "Behind an IOMMU: one linear IOVA range per list, or one DMA entry per CPU entry, and what does it expose?";
  const ram = workloads.filter((w) => w.id !== "gpu-p2p");
  const pairs = ram.flatMap((w) => {
    const iommu = maps.find(
      (m) => m.workload === w.id && m.p2pMapType === null && m.isolated && m.error === null,
    );
    const direct = maps.find(
      (m) => m.workload === w.id && m.p2pMapType === null && !m.isolated && m.error === null,
    );
    return iommu && direct ? [{ w, iommu, direct }] : [];
  });
  if (pairs.length === 0) return notStudied("iommu-mapping", question, "no RAM workload was mapped");
  const linear = pairs.filter((p) => p.iommu.path === "iommu-linear");
  const perEntry = pairs.filter((p) => p.iommu.path !== "iommu-linear");
  const evidence = pairs.map(
    ({ w, iommu, direct }) =>
      `${w.id} (${w.data}): ${iommu.path}, ${n(direct.dmaEntries)} CPU entries -> ${n(iommu.dmaEntries)} DMA entr${iommu.dmaEntries === 1 ? "y" : "ies"} (${n(iommu.segments)} segments), ${fmtBytes(iommu.iovaBytes)} IOVA, ${fmtBytes(iommu.exposedBytes)} exposed beyond the buffers; without IOMMU: ${n(direct.dmaEntries)} entries, no isolation`,
  );
  const hb = maps.find((m) => m.p2pMapType === "THRU_HOST_BRIDGE" && m.error === null);
  if (hb)
    evidence.push(
      `${hb.workload} / ${hb.device}: ${hb.path}, ${n(hb.dmaEntries)} DMA entries (not a page list: per entry)`,
    );
  const parts: string[] = [];
  if (linear.length > 0)
    parts.push(
      `every list of ${named(linear.map((p) => p.w))} is a page list and maps as one linear IOVA range (${linear.map((p) => `${p.w.id} ${n(p.direct.dmaEntries)} -> ${n(p.iommu.dmaEntries)} DMA entr${p.iommu.dmaEntries === 1 ? "y" : "ies"}`).join(", ")})`,
    );
  if (perEntry.length > 0)
    parts.push(`${named(perEntry.map((p) => p.w))} map${perEntry.length === 1 ? "s" : ""} per entry`);
  if (hb) parts.push(`per entry only for P2P through the host bridge (${n(hb.dmaEntries)} DMA entries)`);
  const exposed = pairs.filter((p) => p.iommu.exposedBytes > 0);
  parts.push(
    exposed.length === 0
      ? "nothing beyond the buffers is exposed"
      : `the price is whole IOMMU pages: ${exposed.map((p) => `${p.w.id} exposes ${fmtBytes(p.iommu.exposedBytes)}`).join(", ")} beyond the buffers (partial head and tail pages)`,
  );
  const timedPairs = pairs.filter((p) => p.iommu.map && p.direct.map);
  return {
    id: "iommu-mapping",
    question,
    answer: `${linear.length === pairs.length ? "One linear IOVA range per list" : "Mixed"}: ${parts.join("; ")}.`,
    evidence,
    margin: "exact DMA entry counts, IOVA and exposed bytes (no noise)",
    data: sources(pairs.map((p) => p.w)),
    timed:
      timedPairs.length === 0
        ? null
        : {
            answer: `Map + unmap: ${timedPairs.map(({ w, iommu, direct }) => timedLine(w.id, speedRatio(direct.map!, iommu.map!, w.noise), "without IOMMU", "behind the IOMMU")).join("; ")}.`,
            margin: timedMargin(Math.min(...timedPairs.map((p) => p.iommu.map!.samplesNs.length))),
          },
  };
}

// -------------------------------------------------------------------------------------- P2P

function p2p(workloads: readonly WorkloadResult[], maps: readonly MappingResult[]): Verdict {
  const question = "P2P DMA from a GPU BAR: bus address, through the host bridge, or refused?";
  const w = workloads.find((x) => x.id === "gpu-p2p");
  const ms = maps.filter((m) => m.p2pMapType !== null);
  if (w === undefined || ms.length === 0)
    return notStudied("p2p", question, "the gpu-p2p workload was not studied");
  const by = (t: string) => ms.find((m) => m.p2pMapType === t);
  const bus = by("BUS_ADDR");
  const hb = by("THRU_HOST_BRIDGE");
  const no = by("NOT_SUPPORTED");
  const evidence = ms.map((m) =>
    m.error !== null
      ? `${m.device}: ${m.p2pMapType}, fails with ${m.error.split(":")[0]}, nothing left mapped`
      : `${m.device}: ${m.p2pMapType}, ${n(m.dmaEntries)} DMA entries, ${fmtBytes(m.iovaBytes)} IOVA (${fmtBytes(w.bytes)} described)`,
  );
  const parts: string[] = [];
  if (bus && bus.error === null)
    parts.push(`under one switch the NIC gets bus addresses: no IOVA, ${n(bus.dmaEntries)} DMA entries`);
  if (hb && hb.error === null)
    parts.push(
      `across host bridges the BAR is mapped through the IOMMU like memory: ${fmtBytes(hb.iovaBytes)} of IOVA, ${n(hb.dmaEntries)} DMA entries`,
    );
  if (no)
    parts.push(
      `behind a root complex that does not allow P2P the map is refused (${no.error?.split(":")[0] ?? "error"}) with nothing left mapped`,
    );
  const timed =
    bus?.map && hb?.map
      ? {
          answer: `Map + unmap: ${timedLine("gpu-p2p", speedRatio(bus.map, hb.map, w.noise), "bus addresses", "the host-bridge path")}.`,
          margin: timedMargin(Math.min(bus.map.samplesNs.length, hb.map.samplesNs.length)),
        }
      : null;
  return {
    id: "p2p",
    question,
    answer: `Bus address where the topology allows it: ${parts.join("; ")}.`,
    evidence,
    margin: "exact (map types from the topology, IOVA bytes, error codes; no noise)",
    data: [w.data],
    timed,
  };
}

// ----------------------------------------------------------------------- IOTLB invalidation

/** "1.5 GiB x ms": an exposure in byte-milliseconds. */
function byteMs(v: number): string {
  return `${fmtBytes(v)} x ms`;
}

function iotlbInvalidation(workloads: readonly WorkloadResult[], maps: readonly MappingResult[]): Verdict {
  const question =
    "Strict or lazy IOTLB invalidation (iommu.strict=1 or 0): what does lazy save, and what does it expose?";
  const pairs = workloads.flatMap((w) => {
    const mine = maps.filter((m) => m.workload === w.id && m.p2pMapType === null && m.iotlb !== null);
    const strict = mine.find((m) => m.iotlb!.strict);
    const lazy = mine.find((m) => !m.iotlb!.strict);
    return strict && lazy ? [{ w, strict, lazy, s: strict.iotlb!, l: lazy.iotlb! }] : [];
  });
  if (pairs.length === 0)
    return notStudied(
      "iotlb-invalidation",
      question,
      "no workload was mapped behind a strict and a lazy IOMMU",
    );
  const evidence = pairs.map(
    ({ w, s: st, l }) =>
      `${w.id} (${w.data}), ${n(st.unmaps)} unmap${st.unmaps === 1 ? "" : "s"} 1 ms apart: strict ${n(st.invalidations)} IOTLB invalidations, nothing exposed; lazy ${n(l.invalidations)} invalidations, ${byteMs(l.exposedByteMs)} exposed (mean window ${f3(l.meanWindowMs)} ms, longest ${f3(l.maxWindowMs)} ms)`,
  );
  const saves = pairs.filter((p) => p.l.invalidations * (1 + EXACT_TIE) < p.s.invalidations);
  const parts = pairs.map(
    ({ w, s: st, l }) =>
      `${w.id}: ${n(st.invalidations)} -> ${n(l.invalidations)} invalidations for ${byteMs(l.exposedByteMs)} of exposure (unmapped bytes reachable for ${f3(l.meanWindowMs)} ms on average)`,
  );
  const timedPairs = pairs.filter((p) => p.strict.map && p.lazy.map);
  return {
    id: "iotlb-invalidation",
    question,
    answer: `${saves.length > 0 ? "A trade-off: lazy invalidation batches IOTLB flushes, strict closes every window at once" : "No measurable difference in invalidations"}: ${parts.join("; ")}.`,
    evidence,
    margin: "exact counts and byte x ms on a simulated clock (the flush-queue model of @rlist/dma; no noise)",
    data: sources(pairs.map((p) => p.w)),
    timed:
      timedPairs.length === 0
        ? null
        : {
            answer: `Map + unmap: ${timedPairs.map(({ w, strict, lazy }) => timedLine(w.id, speedRatio(lazy.map!, strict.map!, w.noise), "lazy", "strict")).join("; ")}.`,
            margin: timedMargin(Math.min(...timedPairs.map((p) => p.strict.map!.samplesNs.length))),
          },
  };
}

/** All verdicts, in {@link VERDICT_IDS} order. */
export function computeVerdicts(
  workloads: readonly WorkloadResult[],
  mappings: readonly MappingResult[],
): Verdict[] {
  checkArray("workloads", workloads, (at, w) => checkResultsRecord(at, "workload", w));
  checkArray("mappings", mappings, (at, m) => checkResultsRecord(at, "mapping", m));
  return [
    entryFormat(workloads),
    chunkSize(workloads),
    merging(workloads),
    iommuMapping(workloads, mappings),
    iotlbInvalidation(workloads, mappings),
    p2p(workloads, mappings),
  ];
}
