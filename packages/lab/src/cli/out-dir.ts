import { mkdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { UsageError } from "./usage-error.js";

/**
 * Creates `dir` and any missing parents one level at a time. Node's `mkdirSync(dir,
 * { recursive: true })` never returns on procfs (`/proc/x`): mkdir(2) there fails with ENOENT
 * although the parent exists, and the recursive walk retries forever. Here an ENOENT from a
 * directory whose parent exists is an error like any other.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      statSync(d);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || dirname(d) === d) throw err;
      missing.push(d);
    }
  }
  for (const d of missing.reverse()) mkdirSync(d);
}

/**
 * Makes sure `dir` exists and takes a new file, before any work starts (a probe file is
 * created and removed: access(2) says yes to root for a read-only directory).
 */
export function prepareOutDir(dir: string): void {
  const probe = join(dir, `.rlist-lab-probe-${process.pid}`);
  try {
    makeDirs(dir);
    writeFileSync(probe, "", { flag: "wx" });
    unlinkSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new UsageError(`--out ${dir}: cannot write there (${code})`);
  }
}
export interface OutFile {
  readonly name: string;
  readonly content: string | Uint8Array;
}

/**
 * Writes every file to a temporary name first and renames them into place only when all
 * are written, so a failure leaves no half-written report (temporaries are removed).
 */
export function writeFilesAtomically(dir: string, files: readonly OutFile[]): string[] {
  const temps: string[] = [];
  try {
    for (const f of files) {
      const tmp = join(dir, `.${f.name}.tmp-${process.pid}`);
      temps.push(tmp);
      writeFileSync(tmp, f.content);
    }
  } catch (err) {
    for (const t of temps) rmSync(t, { force: true });
    throw err;
  }
  return files.map((f, i) => {
    const final = join(dir, f.name);
    renameSync(temps[i]!, final);
    return final;
  });
}
