/**
 * Runs cases in child processes with a time budget per case. A case that reports nothing within
 * the budget is a hang (the child is killed); a child that dies mid-case (an abort, running out
 * of heap) is a crash. Either way a fresh child takes the remaining cases, so one bad call costs
 * one case.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { CaseRef } from "./child.js";
import type { Outcome } from "./execute.js";
import type { EntryPoint } from "./surface.js";

export type Verdict = Outcome | { r: "hang" | "crash"; detail: string };

export interface RunOptions {
  /** Budget per case in ms (a case that reports nothing for this long is a hang). */
  timeoutMs: number;
  /** Child processes working in parallel. */
  workers: number;
  /** V8 heap of each child, MiB (running out of it is a crash, not the parent's death). */
  heapMiB?: number;
  /** Called per finished case, in no particular order across workers. */
  onResult?(c: CaseRef, v: Verdict): void;
  /** After this many hangs of one API, its remaining cases are skipped (default 2). */
  hangsPerApi?: number;
}

const BOOT = fileURLToPath(new URL("./child-boot.mjs", import.meta.url));
const BATCH = 200;

interface Worker {
  child: ChildProcess;
  queue: CaseRef[];
  pending: CaseRef[];
  timer: NodeJS.Timeout | null;
}

/** Runs every case; resolves with the verdicts in case order. */
export function runCases(
  surface: readonly EntryPoint[],
  cases: readonly CaseRef[],
  o: RunOptions,
): Promise<Verdict[]> {
  const verdicts = new Array<Verdict | undefined>(cases.length);
  const index = new Map<CaseRef, number>();
  cases.forEach((c, i) => {
    index.set(c, i);
  });
  const share = Math.ceil(cases.length / Math.max(1, o.workers));
  const chunks: CaseRef[][] = [];
  for (let i = 0; i < cases.length; i += share) chunks.push(cases.slice(i, i + share));

  return new Promise((resolve, reject) => {
    let live = chunks.length;
    if (live === 0) resolve([]);
    const hangs = new Map<string, number>();
    const record = (c: CaseRef, v: Verdict) => {
      verdicts[index.get(c) as number] = v;
      if (v.r === "hang") hangs.set(c.api, (hangs.get(c.api) ?? 0) + 1);
      o.onResult?.(c, v);
    };
    /** Cases of an API that hung too often are not run (each hang costs the whole budget). */
    const hungOut = (c: CaseRef) => (hangs.get(c.api) ?? 0) >= (o.hangsPerApi ?? 2);
    const finish = () => {
      live--;
      if (live === 0) resolve(verdicts.map((v) => v ?? { r: "skip", detail: "not run" }));
    };

    const start = (queue: CaseRef[]): void => {
      const child = fork(BOOT, [], {
        execArgv: ["--conditions=@rlist/source", `--max-old-space-size=${o.heapMiB ?? 768}`],
        stdio: ["ignore", "ignore", "pipe", "ipc"],
        serialization: "advanced",
      });
      let stderr = "";
      child.stderr?.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-2000);
      });
      const w: Worker = { child, queue, pending: [], timer: null };
      let done = false;
      const arm = (ms = o.timeoutMs) => {
        if (w.timer) clearTimeout(w.timer);
        w.timer = setTimeout(() => {
          const c = w.pending[0];
          done = true;
          child.kill("SIGKILL");
          if (c === undefined) return reject(new Error(`hostile: a child stopped answering\n${stderr}`));
          record(c, { r: "hang", detail: `no answer within ${ms} ms` });
          const rest = [...w.pending.slice(1), ...w.queue];
          if (rest.length > 0) start(rest);
          else finish();
        }, ms);
      };
      const sendBatch = () => {
        if (w.queue.length === 0) {
          done = true;
          if (w.timer) clearTimeout(w.timer);
          child.kill();
          finish();
          return;
        }
        w.pending = w.queue.splice(0, BATCH).filter((c) => {
          if (!hungOut(c)) return true;
          record(c, { r: "skip", detail: "not run: this API hung repeatedly" });
          return false;
        });
        if (w.pending.length === 0) return sendBatch();
        child.send({ type: "run", cases: w.pending });
        arm();
      };
      child.on("message", (m: { type: string; outcome?: Outcome }) => {
        if (m.type === "loaded") {
          child.send({ type: "init", surface });
          arm(Math.max(120_000, o.timeoutMs)); // loading every package and the lab's study data
        } else if (m.type === "warming") {
          arm(Math.max(120_000, o.timeoutMs));
        } else if (m.type === "warm") {
          arm();
        } else if (m.type === "ready") {
          sendBatch();
        } else if (m.type === "result") {
          record(w.pending.shift() as CaseRef, m.outcome as Outcome);
          arm();
        } else if (m.type === "done") {
          sendBatch();
        }
      });
      child.on("exit", (code, signal) => {
        if (done) return;
        done = true;
        if (w.timer) clearTimeout(w.timer);
        const c = w.pending[0];
        if (c === undefined) {
          reject(new Error(`hostile: a child exited before any case (${code ?? signal})\n${stderr}`));
          return;
        }
        const why = stderr.match(/FATAL ERROR[^\n]*|heap out of memory|Error[^\n]*/)?.[0] ?? "";
        record(c, { r: "crash", detail: `child died (${signal ?? `exit ${code}`}) ${why}`.trim() });
        const rest = [...w.pending.slice(1), ...w.queue];
        if (rest.length > 0) start(rest);
        else finish();
      });
    };
    for (const chunk of chunks) start([...chunk]);
  });
}
