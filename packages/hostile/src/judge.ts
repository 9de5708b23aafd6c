/** What counts as a defect in a row, given its descriptor. */
import type { Api, DefectClass } from "./api.js";
import type { Row } from "./table.js";

const CLASSES: readonly DefectClass[] = ["other", "silent", "hang", "crash", "state"];

/**
 * The defect classes a row shows that nothing excuses: any hang, crash or state change; any other
 * error or silent accept unless the API documents that it does not check its input; minus the
 * classes of the API's open mark.
 */
export function defectClasses(row: Row, api: Api | undefined): DefectClass[] {
  return CLASSES.filter((c) => {
    if (row[c] === 0) return false;
    if (api?.unchecked !== undefined && (c === "other" || c === "silent")) return false;
    return !(api?.open?.classes.includes(c) ?? false);
  });
}

/** True when the row shows a defect that is neither documented nor marked open. */
export function isDefect(row: Row, api: Api | undefined): boolean {
  return defectClasses(row, api).length > 0;
}

/** The row's defect lines that nothing excuses (each starts with its class). */
export function freshDefects(row: Row, api: Api | undefined): string[] {
  const classes = defectClasses(row, api);
  return row.defects.filter((d) => classes.some((c) => d.startsWith(`${c}:`)));
}

/** An open mark none of whose classes occurred in the run: the defect is fixed, or moved. */
export function isStaleOpen(row: Row, api: Api | undefined): boolean {
  const open = api?.open;
  return open !== undefined && row.calls > 0 && !open.classes.some((c) => row[c] > 0);
}
