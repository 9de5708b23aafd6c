import { RlistError } from "@rlist/encoding";
import { checkArray, checkFinite, checkObject, checkOneOf, checkString } from "../args.js";
import type { RepresentationResult } from "../study/measure.js";
import type { MappingResult, StudyResults, WorkloadResult } from "../study/results.js";
import { checkResultsRecord } from "../study/schema.js";
import { speedRatio, type Timing } from "../study/timing.js";
import type { Verdict } from "../study/verdicts.js";
import { bytes, int, millions, percent, sig3 } from "./format.js";

export interface Column {
  readonly title: string;
  /** Numbers are right-aligned, text left-aligned. */
  readonly align: "left" | "right";
}

/**
 * Renders rows under a header, padding every column to its widest cell. A row with fewer cells
 * than columns lets its last cell run on over the remaining columns (for "n/a: why" rows); such
 * spanning cells do not widen the column.
 */
export function textTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  checkArray("columns", columns, (at, c) => {
    checkObject(at, c);
    checkString(`${at}.title`, (c as Column).title);
    checkOneOf(`${at}.align`, (c as Column).align, ["left", "right"]);
  });
  checkArray("rows", rows, (at, r) => {
    checkArray(at, r, checkString);
    if (r.length > columns.length)
      throw new RlistError("EINVAL", `${at} has ${r.length} cells for ${columns.length} columns`);
  });
  const widths = columns.map((c, i) =>
    Math.max(
      c.title.length,
      ...rows.map((r) => (i < r.length - 1 || r.length === columns.length ? (r[i] ?? "").length : 0)),
    ),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        if (i === cells.length - 1 && cells.length < columns.length) return cell;
        return columns[i]!.align === "right" ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.title)), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join(
    "\n",
  );
}

const REP_COLUMNS: readonly Column[] = [
  { title: "representation", align: "left" },
  { title: "entries", align: "right" },
  { title: "bytes", align: "right" },
  { title: "B/entry", align: "right" },
  { title: "eff", align: "right" },
  { title: "B/MiB", align: "right" },
  { title: "build Me/s", align: "right" },
  { title: "kernel walk Me/s", align: "right" },
  { title: "min-max", align: "right" },
  { title: "JS cursor Me/s", align: "right" },
];

/** A rate's min-max over the rounds, from per-call times (the slowest round is the lowest rate). */
export function rateRange(count: number, t: Timing): string {
  checkFinite("count", count, 0);
  checkResultsRecord("timing", "timing", t);
  return `${millions((count / t.maxNs) * 1e9)}-${millions((count / t.minNs) * 1e9)}`;
}

/** A time's median and min-max: "7.73 ms (7.6-8.1)". */
export function msRange(t: Timing): string {
  checkResultsRecord("timing", "timing", t);
  return `${sig3(t.medianNs / 1e6)} ms (${sig3(t.minNs / 1e6)}-${sig3(t.maxNs / 1e6)})`;
}

function repRow(r: RepresentationResult): string[] {
  if (!r.supported) return [r.label, `n/a: ${r.reason ?? ""}`];
  return [
    r.measured ? `${r.label} (heap)` : r.label,
    int(r.entries),
    int(r.bytes),
    sig3(r.bytesPerEntry),
    percent(r.efficiency),
    sig3(r.bytesPerMiB),
    millions(r.buildEntriesPerSec),
    r.kernelWalk === null ? "-" : millions(r.kernelWalkEntriesPerSec),
    r.kernelWalk === null ? "-" : rateRange(r.entries, r.kernelWalk),
    millions(r.jsWalkEntriesPerSec),
  ];
}

/** A rate's median and min-max over the rounds: "2,279 (1,960-2,623)"; the median alone for one round. */
export function rateWithRange(count: number, t: Timing): string {
  checkFinite("count", count, 0);
  checkResultsRecord("timing", "timing", t);
  const median = millions((count / t.medianNs) * 1e9);
  return t.samplesNs.length < 2 ? median : `${median} (${rateRange(count, t)})`;
}

/** How fast `a` walks relative to `b`, per round: "0.85x (0.80-0.91)" (median, min-max). */
export function speedVs(a: Timing, b: Timing): string {
  checkResultsRecord("a", "timing", a);
  checkResultsRecord("b", "timing", b);
  const r = speedRatio(a, b);
  const f = (v: number) => `${v < 10 ? v.toFixed(2) : sig3(v)}x`;
  return r.rounds < 2 ? f(r.median) : `${f(r.median)} (${f(r.min)}-${f(r.max)})`;
}

/** One rlist variant's three walks of the same lists: JS cursor, WebAssembly kernel, C. */
export interface SideBySide {
  readonly label: string;
  readonly js: string;
  readonly kernel: string;
  readonly c: string;
  readonly kernelVsC: string;
  readonly jsVsC: string;
}

/**
 * The side-by-side rows of a workload (rlist variants the C yardstick walked), or an empty list
 * when it did not run. A refused C figure (checksum differs) shows why instead of a number.
 */
export function sideBySide(w: WorkloadResult): SideBySide[] {
  checkResultsRecord("workload", "workload", w);
  return w.representations.flatMap((r) => {
    if (r.c === null || r.jsWalk === null || r.kernelWalk === null) return [];
    const c = r.c;
    return [
      {
        label: r.label,
        js: rateWithRange(r.entries, r.jsWalk),
        kernel: rateWithRange(r.entries, r.kernelWalk),
        c: c.walk === null ? `no figure: ${c.error ?? ""}` : rateWithRange(r.entries, c.walk),
        kernelVsC: c.walk === null ? "-" : speedVs(r.kernelWalk, c.walk),
        jsVsC: c.walk === null ? "-" : speedVs(r.jsWalk, c.walk),
      },
    ];
  });
}

const SIDE_COLUMNS: readonly Column[] = [
  { title: "rlist walks side by side (Me/s)", align: "left" },
  { title: "JS cursor", align: "right" },
  { title: "kernel", align: "right" },
  { title: "C", align: "right" },
  { title: "kernel/C", align: "right" },
  { title: "JS cursor/C", align: "right" },
];

/**
 * JS cursor, WebAssembly kernel and C walking the same lists: median (slowest-fastest round), and
 * the per-round speed ratios against C. Empty when the C yardstick did not run.
 */
export function sideBySideTable(w: WorkloadResult): string {
  checkResultsRecord("workload", "workload", w);
  const rows = sideBySide(w);
  if (rows.length === 0) return "";
  return textTable(
    SIDE_COLUMNS,
    rows.map((r) =>
      r.c.startsWith("no figure")
        ? [r.label, r.js, r.kernel, r.c]
        : [r.label, r.js, r.kernel, r.c, r.kernelVsC, r.jsVsC],
    ),
  );
}

export function workloadHeading(w: WorkloadResult): string {
  checkResultsRecord("workload", "workload", w);
  const lists = w.groups === 1 ? `1 ${w.groupNoun}` : `${int(w.groups)} ${w.groupNoun}s`;
  return `${w.title} [${w.id}]: ${int(w.ranges)} ranges in ${lists}, ${bytes(w.bytes)}, ${int(w.pages)} pages`;
}

export function workloadTable(w: WorkloadResult): string {
  checkResultsRecord("workload", "workload", w);
  return textTable(REP_COLUMNS, w.representations.map(repRow));
}

const MAP_COLUMNS: readonly Column[] = [
  { title: "workload", align: "left" },
  { title: "device", align: "left" },
  { title: "path", align: "left" },
  { title: "IOVA", align: "right" },
  { title: "DMA entries", align: "right" },
  { title: "segments", align: "right" },
  { title: "best block", align: "right" },
  { title: "blocks", align: "right" },
  { title: "exposed B", align: "right" },
  { title: "map+unmap", align: "right" },
];

/** The error code of a failed mapping ("EREMOTEIO"). */
function errorCode(m: MappingResult): string {
  return m.error?.split(":")[0] ?? "";
}

function mapRow(m: MappingResult): string[] {
  const path = [m.p2pMapType, m.error !== null ? `fails: ${errorCode(m)}` : m.path]
    .filter((x) => x !== null)
    .join(" / ");
  return [
    m.workload,
    m.device,
    path,
    m.error !== null ? "-" : bytes(m.iovaBytes),
    m.error !== null ? "-" : int(m.dmaEntries),
    m.error !== null ? "-" : int(m.segments),
    m.error !== null || m.bestBlockSize === 0 ? "-" : bytes(m.bestBlockSize),
    m.error !== null ? "-" : int(m.blocks),
    m.error !== null ? "-" : int(m.exposedBytes),
    m.map === null ? "-" : msRange(m.map),
  ];
}

/** The mapping table, with the full message of each failed mapping below it. */
export function mappingTable(maps: readonly MappingResult[]): string {
  checkArray("mappings", maps, (at, m) => checkResultsRecord(at, "mapping", m));
  const errors = maps.filter((m) => m.error !== null).map((m) => `${m.workload} / ${m.device}: ${m.error}`);
  return [textTable(MAP_COLUMNS, maps.map(mapRow)), ...errors].join("\n");
}

/** The verdicts as text: question, answer, margin, data, the timed observation. */
export function verdictText(verdicts: readonly Verdict[]): string {
  checkArray("verdicts", verdicts, (at, v) => checkResultsRecord(at, "verdict", v));
  return verdicts
    .map((v) =>
      [
        `[${v.id}] ${v.question}`,
        `  ${v.answer}`,
        `  margin: ${v.margin}`,
        ...(v.data.length > 0 ? [`  decided on: ${v.data.join(", ")} data`] : []),
        ...(v.timed !== null ? [`  timed: ${v.timed.answer}`] : []),
      ].join("\n"),
    )
    .join("\n\n");
}

/** The whole stdout report: one table per workload, the mapping table, what it says, the verdicts last. */
export function studyText(r: StudyResults): string {
  checkResultsRecord("results", null, r);
  const parts: string[] = [];
  for (const w of r.workloads) {
    parts.push(workloadHeading(w), workloadTable(w), "");
    const side = sideBySideTable(w);
    if (side !== "") parts.push(side, "");
  }
  if (r.cYardstick.status === "ran" && r.workloads.some((w) => sideBySide(w).length > 0))
    parts.push(
      `Side by side: the same lists walked by the JS cursor, the WebAssembly kernel (checksum()) and the C yardstick (bench/c/rlist_ref.c, rl_sum(), ${r.cYardstick.compiler}, ${r.cYardstick.flags}), each once per round; a C figure is shown only where C's chk= equals the kernel's sums; ratios are speeds per round against C, median (min-max).`,
      "",
    );
  if (r.cYardstick.status === "skipped") parts.push(r.cYardstick.note ?? "", "");
  for (const s of r.skipped) {
    parts.push(`skipped ${s.reason.startsWith(`${s.id}: `) ? s.reason : `${s.id}: ${s.reason}`}`, "");
  }
  if (r.mappings.length > 0) parts.push("Mappings", mappingTable(r.mappings), "");
  if (r.findings.length > 0) parts.push("What this says", ...r.findings.map((f) => `- ${f}`), "");
  if (r.verdicts.length > 0) parts.push("Verdicts", verdictText(r.verdicts), "");
  return parts.join("\n");
}
