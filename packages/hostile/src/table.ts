/** The per-API table: counts per outcome, and the first few defects of each API. */
import type { Verdict } from "./runner.js";

export const COLUMNS = [
  "calls",
  "ok",
  "typed",
  "passed",
  "other",
  "silent",
  "hang",
  "crash",
  "state",
] as const;

export interface Row {
  api: string;
  calls: number;
  ok: number;
  typed: number;
  passed: number;
  other: number;
  silent: number;
  hang: number;
  crash: number;
  state: number;
  skip: number;
  /** The first few defects of each class (other, silent, hang, crash, state), each "class: detail". */
  defects: string[];
  /** Why the first skipped case could not be built. */
  skipped?: string;
  /** Valid calls run, and how the first that did not return ended. */
  valid: number;
  validOk: number;
  validFailed?: string;
  /** Time its cases took in the child processes, ms. */
  ms: number;
}

export const DEFECTS = ["other", "silent", "hang", "crash", "state"] as const;

export function emptyRow(api: string): Row {
  return {
    api,
    calls: 0,
    ok: 0,
    typed: 0,
    passed: 0,
    other: 0,
    silent: 0,
    hang: 0,
    crash: 0,
    state: 0,
    skip: 0,
    defects: [],
    valid: 0,
    validOk: 0,
    ms: 0,
  };
}

/**
 * Counts one verdict in its row; `valid` says the case was the API's valid call. Keeps the first
 * `keep` defects of each class.
 */
export function addVerdict(row: Row, v: Verdict, where: string, valid = false, keep = 3): void {
  if (v.r === "skip") {
    row.skip++;
    row.skipped ??= `${v.detail ?? ""} [${where}]`;
    return;
  }
  row.calls++;
  row[v.r]++;
  row.ms += "ms" in v ? (v.ms ?? 0) : 0;
  if (valid) {
    row.valid++;
    if (v.r === "ok") row.validOk++;
    else row.validFailed ??= `${v.r}${v.detail === undefined ? "" : `: ${v.detail}`}`;
  }
  if ((DEFECTS as readonly string[]).includes(v.r) && row[v.r] <= keep) {
    row.defects.push(`${v.r}: ${v.detail ?? ""} [${where}]`);
  }
}

/** Adds `from`'s counts to `into` (the same API in another run); keeps the first `keep` defects of each class. */
export function mergeRow(into: Row, from: Row, keep = 3): void {
  for (const k of [...COLUMNS, "skip", "valid", "validOk", "ms"] as const) into[k] += from[k];
  for (const d of from.defects) {
    const cls = d.slice(0, d.indexOf(":"));
    if (into.defects.filter((x) => x.startsWith(`${cls}:`)).length < keep) into.defects.push(d);
  }
  if (into.skipped === undefined && from.skipped !== undefined) into.skipped = from.skipped;
  if (into.validFailed === undefined && from.validFailed !== undefined) into.validFailed = from.validFailed;
}

export function defectCount(row: Row): number {
  return row.other + row.silent + row.hang + row.crash + row.state;
}

/** The table as fixed-width text, one row per API, then a total. */
export function formatTable(rows: readonly Row[]): string {
  const total = emptyRow("total");
  for (const r of rows) for (const k of [...COLUMNS, "skip"] as const) total[k] += r[k];
  total.api = `total (${rows.length} APIs)`;
  const width = Math.max(20, ...rows.map((r) => r.api.length));
  const head = ["api".padEnd(width), ...COLUMNS.map((c) => c.padStart(8))].join(" ");
  const line = (r: Row) => [r.api.padEnd(width), ...COLUMNS.map((c) => String(r[c]).padStart(8))].join(" ");
  return [head, "-".repeat(head.length), ...rows.map(line), "-".repeat(head.length), line(total)].join("\n");
}
