/** Builds bench/c/rlist_ref.c with gcc -O2 into a temp dir and runs it. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface Figures {
  appendEps: number;
  /** Best walk of the run. */
  iterEps: number;
  /** Median walk of the run (what the TS/C ratios use). */
  iterMedEps: number;
  /** Slowest walk of the run. */
  iterMinEps: number;
  seekOps: number;
  bpe: number;
  chunks: number;
  chk: string;
}

/** Path of the built binary, or null (with a note on stderr) when gcc is missing or fails. */
export function buildC(): string | null {
  const src = join(dirname(fileURLToPath(import.meta.url)), "c", "rlist_ref.c");
  const dir = mkdtempSync(join(tmpdir(), "rlist-bench-"));
  const bin = join(dir, "rlist_ref");
  try {
    execFileSync("gcc", ["-O2", "-o", bin, src], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    console.error(`# gcc build of ${src} failed or gcc is missing: TS only (${String(err).split("\n")[0]})`);
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return bin;
}

/** Runs one workload; returns the RESULT line and its figures. */
export function runC(bin: string, wl: string, n: number, reps: number, queries: number): [string, Figures] {
  const out = execFileSync(bin, ["-n", String(n), "-r", String(reps), "-q", String(queries), "-w", wl], {
    encoding: "utf8",
  });
  const line = out.split("\n").find((l) => l.startsWith("RESULT"));
  if (!line) throw new Error(`C printed no RESULT line: ${out}`);
  const get = (k: string): string => {
    const m = new RegExp(`\\b${k}=(\\S+)`).exec(line);
    if (!m?.[1]) throw new Error(`no ${k} in C output: ${line}`);
    return m[1];
  };
  return [
    line,
    {
      appendEps: Number(get("append_eps")),
      iterEps: Number(get("iter_eps")),
      iterMedEps: Number(get("iter_med_eps")),
      iterMinEps: Number(get("iter_min_eps")),
      seekOps: Number(get("seek_ops")),
      bpe: Number(get("bpe")),
      chunks: Number(get("chunks")),
      chk: get("chk"),
    },
  ];
}
