/**
 * What a run found, as lines to print or assert on: defects nothing excuses, stale open marks,
 * APIs that were never called, APIs whose valid call never succeeded (a descriptor that cannot
 * reach the success path proves little), and the open marks with what still shows.
 */
import type { Api } from "./api.js";
import { freshDefects, isDefect, isStaleOpen } from "./judge.js";
import type { Row } from "./table.js";

export interface Findings {
  /** `api: class: detail` for every defect that is neither documented nor marked open. */
  fresh: string[];
  /** Open marks whose classes no longer occur (take them out of apis/open.ts). */
  stale: string[];
  /** APIs none of whose cases could be built. */
  uncalled: string[];
  /** APIs whose valid call never returned, without a `noSuccess` reason. */
  neverValid: string[];
  /** `api (open: why)` and what it still shows. */
  open: string[];
}

export function findingsOf(rows: readonly Row[], byName: ReadonlyMap<string, Api>): Findings {
  const f: Findings = { fresh: [], stale: [], uncalled: [], neverValid: [], open: [] };
  for (const row of rows) {
    const api = byName.get(row.api);
    if (isDefect(row, api)) for (const d of freshDefects(row, api)) f.fresh.push(`${row.api}: ${d}`);
    if (isStaleOpen(row, api)) f.stale.push(`${row.api} (open: ${api?.open?.why})`);
    if (row.calls === 0) {
      const away = api?.unavailable?.() ?? null;
      if (away === null) f.uncalled.push(`${row.api}: ${row.skipped ?? "no case"}`);
    } else if (row.valid > 0 && row.validOk === 0 && api?.noSuccess === undefined) {
      f.neverValid.push(`${row.api}: ${row.validFailed ?? "?"}`);
    }
    if (api?.open !== undefined && !isStaleOpen(row, api)) {
      f.open.push(`${row.api} (open ${api.open.classes.join("/")}: ${api.open.why})`);
    }
  }
  return f;
}

/** True when the run is clean: nothing fresh, nothing stale, every API called and reached. */
export function isClean(f: Findings): boolean {
  return f.fresh.length + f.stale.length + f.uncalled.length + f.neverValid.length === 0;
}

/** The findings as text sections (empty sections left out). */
export function formatFindings(f: Findings): string {
  const section = (title: string, lines: readonly string[]) =>
    lines.length === 0 ? [] : ["", `${title} (${lines.length}):`, ...lines.map((l) => `  ${l}`)];
  return [
    ...section("Defects not documented or marked open", f.fresh),
    ...section("Open marks that ran clean: take them out of src/apis/open.ts", f.stale),
    ...section("APIs never called (no case could be built)", f.uncalled),
    ...section("APIs whose valid call never succeeded", f.neverValid),
    ...section("Known open defects (src/apis/open.ts)", f.open),
  ].join("\n");
}
