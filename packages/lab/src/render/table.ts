import type { RepresentationResult } from "../study/measure.js";
import type { MappingResult, StudyResults, WorkloadResult } from "../study/results.js";
import type { Timing } from "../study/timing.js";
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
  { title: "walk Me/s", align: "right" },
  { title: "walk min-max", align: "right" },
];

/** A rate's min-max over the rounds, from per-call times (the slowest round is the lowest rate). */
export function rateRange(count: number, t: Timing): string {
  return `${millions((count / t.maxNs) * 1e9)}-${millions((count / t.minNs) * 1e9)}`;
}

/** A time's median and min-max: "7.73 ms (7.6-8.1)". */
export function msRange(t: Timing): string {
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
    millions(r.walkEntriesPerSec),
    r.walk === null ? "-" : rateRange(r.entries, r.walk),
  ];
}

export function workloadHeading(w: WorkloadResult): string {
  const lists = w.groups === 1 ? `1 ${w.groupNoun}` : `${int(w.groups)} ${w.groupNoun}s`;
  return `${w.title} [${w.id}]: ${int(w.ranges)} ranges in ${lists}, ${bytes(w.bytes)}, ${int(w.pages)} pages`;
}

export function workloadTable(w: WorkloadResult): string {
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
  const errors = maps.filter((m) => m.error !== null).map((m) => `${m.workload} / ${m.device}: ${m.error}`);
  return [textTable(MAP_COLUMNS, maps.map(mapRow)), ...errors].join("\n");
}

/** The verdicts as text: question, answer, margin, data, the timed observation. */
export function verdictText(verdicts: readonly Verdict[]): string {
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
  const parts: string[] = [];
  for (const w of r.workloads) parts.push(workloadHeading(w), workloadTable(w), "");
  for (const s of r.skipped) {
    parts.push(`skipped ${s.reason.startsWith(`${s.id}: `) ? s.reason : `${s.id}: ${s.reason}`}`, "");
  }
  if (r.mappings.length > 0) parts.push("Mappings", mappingTable(r.mappings), "");
  if (r.findings.length > 0) parts.push("What this says", ...r.findings.map((f) => `- ${f}`), "");
  if (r.verdicts.length > 0) parts.push("Verdicts", verdictText(r.verdicts), "");
  return parts.join("\n");
}
