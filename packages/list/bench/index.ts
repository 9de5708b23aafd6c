/**
 * RangeList benchmark against the C reference (bench/c/rlist_ref.c, built with gcc -O2 into a
 * temp dir and run in this same invocation, workload by workload, so ratios are side by side).
 *
 *   pnpm --filter @rlist/list bench [-n N] [-r REPS] [-q QUERIES] [-w wl,wl] [--no-c] [--no-baseline]
 *
 * Both sides build the same lists (same generator, seeds and workloads) and print the same
 * `chk=` checksum: sum of lengths / sum of bases mod 2^64 (hex) / sum of seek entry indices /
 * sum of in-entry seek offsets.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { RangeEntry } from "@rlist/encoding";
import { ChunkPool, RangeList } from "@rlist/list";
import { type Columns, gen, genQueries, WORKLOADS } from "./workloads.js";

const TWO32 = 0x1_0000_0000;

interface Args {
  n: number;
  reps: number;
  queries: number;
  workloads: string[];
  c: boolean;
  baseline: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    n: 1_000_000,
    reps: 3,
    queries: 1_000_000,
    workloads: [...WORKLOADS],
    c: true,
    baseline: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    if (f === "--") continue;
    if (f === "--no-c") a.c = false;
    else if (f === "--no-baseline") a.baseline = false;
    else {
      const v = argv[++i];
      if (v === undefined) throw new Error(`missing value after ${f}`);
      if (f === "-n") a.n = Number(v);
      else if (f === "-r") a.reps = Number(v);
      else if (f === "-q") a.queries = Number(v);
      else if (f === "-w") a.workloads = v.split(",");
      else throw new Error(`unknown argument ${f}`);
    }
  }
  for (const w of a.workloads) {
    if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`unknown workload ${w}`);
  }
  if (!(Number.isSafeInteger(a.n) && a.n > 0 && a.reps > 0 && a.queries > 0)) throw new Error("bad -n/-r/-q");
  return a;
}

/** A callable gc(), without needing node --expose-gc on the command line. */
function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}
const gc = getGc();

function heapBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

interface Result {
  appendEps: number;
  iterEps: number;
  seekOps: number;
  bpe: number;
  chunks: number;
  chk: string;
  heapBpe?: number;
}

function parseC(line: string): Result {
  const get = (k: string): string => {
    const m = new RegExp(`\\b${k}=(\\S+)`).exec(line);
    if (!m?.[1]) throw new Error(`no ${k} in C output: ${line}`);
    return m[1];
  };
  return {
    appendEps: Number(get("append_eps")),
    iterEps: Number(get("iter_eps")),
    seekOps: Number(get("seek_ops")),
    bpe: Number(get("bpe")),
    chunks: Number(get("chunks")),
    chk: get("chk"),
  };
}

function buildList(c: Columns, pool: ChunkPool): RangeList {
  const list = new RangeList({ pool });
  const e: RangeEntry = { type: 0, length: 0, base: 0, offset: 0, extra: 0 };
  const { base, length, offset, extra, type } = c;
  for (let i = 0; i < c.n; i++) {
    e.type = type[i] as number;
    e.length = length[i] as number;
    e.base = base[i] as number;
    e.offset = offset[i] as number;
    e.extra = extra[i] as number;
    list.append(e);
  }
  return list;
}

/** The iterate kernel: public cursor API, sum of lengths and exact sum of bases (hi/lo). */
function sumList(list: RangeList): { len: number; baseHex: string } {
  const cur = list.cursor();
  let len = 0;
  let lo = 0;
  let hi = 0;
  for (let ok = cur.reset(); ok; ok = cur.next()) {
    len += cur.length;
    const b = cur.base;
    const l = b >>> 0;
    lo += l;
    hi += (b - l) / TWO32;
    if (lo >= 0x10_0000_0000_0000) {
      const carry = Math.floor(lo / TWO32);
      hi += carry;
      lo -= carry * TWO32;
    }
  }
  const sum = (BigInt(hi) * 2n ** 32n + BigInt(lo)) & (2n ** 64n - 1n);
  return { len, baseHex: sum.toString(16).padStart(16, "0") };
}

function seekAll(list: RangeList, q: Float64Array): { idx: number; off: number } {
  const cur = list.cursor();
  let idx = 0;
  let off = 0;
  for (let i = 0; i < q.length; i++) {
    const p = q[i] as number;
    if (!cur.seek(p)) throw new Error(`seek(${p}) failed`);
    idx += cur.index;
    off += p - cur.position;
  }
  return { idx, off };
}

/**
 * Runs every timed kernel on a small list of the same workload first, so the timed runs use
 * fully optimised code (a kernel first met on a huge list runs as on-stack-replaced code that
 * deoptimises at its exit on every call).
 */
function warmUp(w: number): void {
  const small = gen(w, 20_000);
  for (let r = 0; r < 30; r++) {
    const pool = new ChunkPool({ chunkBytes: 512 });
    const list = buildList(small, pool);
    for (let i = 0; i < 3; i++) sumList(list);
    seekAll(list, genQueries(w, 2_000, list.totalLength));
    list.clear();
  }
}

function fullGc(): void {
  // Backing stores of dead ArrayBuffers are released by the sweeper: collect a few times.
  for (let i = 0; i < 3; i++) gc();
}

function runTs(w: number, args: Args): Result {
  warmUp(w);
  const cols = gen(w, args.n);
  let tApp = Infinity;
  let list: RangeList | null = null;
  let heapBpe = 0;
  for (let r = 0; r < args.reps; r++) {
    if (list) list.clear();
    list = null;
    fullGc();
    const h0 = heapBytes();
    const t0 = process.hrtime.bigint();
    list = buildList(cols, new ChunkPool({ chunkBytes: 512 }));
    const dt = seconds(t0);
    if (dt < tApp) tApp = dt;
    if (r === 0) {
      // Whole-heap growth of one list (slabs, side index, objects), measured on the first
      // build when nothing of an earlier list is waiting to be freed.
      fullGc();
      heapBpe = (heapBytes() - h0) / args.n;
    }
  }
  if (!list) throw new Error("no list");
  let tIt = Infinity;
  let sums = { len: 0, baseHex: "" };
  for (let r = 0; r < Math.max(args.reps, 10); r++) {
    const t0 = process.hrtime.bigint();
    sums = sumList(list);
    const dt = seconds(t0);
    if (dt < tIt) tIt = dt;
  }
  const q = genQueries(w, args.queries, list.totalLength);
  let tSk = Infinity;
  let sk = { idx: 0, off: 0 };
  for (let r = 0; r < args.reps; r++) {
    const t0 = process.hrtime.bigint();
    sk = seekAll(list, q);
    const dt = seconds(t0);
    if (dt < tSk) tSk = dt;
  }
  const st = list.stats();
  return {
    appendEps: args.n / tApp,
    iterEps: args.n / tIt,
    seekOps: args.queries / tSk,
    bpe: st.bytesPerEntry,
    chunks: st.chunks,
    chk: `${sums.len}/${sums.baseHex}/${sk.idx}/${sk.off}`,
    heapBpe,
  };
}

interface Baseline {
  bpe: number;
  iterEps: number;
}

/** What users would otherwise write: an array of plain entry objects. */
function runBaseline(w: number, n: number): Baseline {
  const cols = gen(w, n);
  gc();
  const h0 = heapBytes();
  const arr: RangeEntry[] = [];
  for (let i = 0; i < n; i++) {
    arr.push({
      base: cols.base[i] as number,
      length: cols.length[i] as number,
      offset: cols.offset[i] as number,
      extra: cols.extra[i] as number,
      type: cols.type[i] as number,
    });
  }
  gc();
  const bpe = (heapBytes() - h0) / n;
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    let len = 0;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < arr.length; i++) {
      const e = arr[i] as RangeEntry;
      len += e.length;
      const b = e.base;
      const l = b >>> 0;
      lo += l;
      hi += (b - l) / TWO32;
      if (lo >= 0x10_0000_0000_0000) {
        const carry = Math.floor(lo / TWO32);
        hi += carry;
        lo -= carry * TWO32;
      }
    }
    sink += len + hi + lo;
    const dt = seconds(t0);
    if (dt < best) best = dt;
  }
  if (sink === -1) console.log(sink);
  return { bpe, iterEps: n / best };
}

function buildC(): string | null {
  const src = join(dirname(fileURLToPath(import.meta.url)), "c", "rlist_ref.c");
  const dir = mkdtempSync(join(tmpdir(), "rlist-bench-"));
  const bin = join(dir, "rlist_ref");
  try {
    execFileSync("gcc", ["-O2", "-o", bin, src], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    console.error(`gcc build of ${src} failed or gcc is missing; TS only (${String(err).split("\n")[0]})`);
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return bin;
}

function fmt(v: number, digits = 1): string {
  return v.toFixed(digits);
}

function ratio(a: number, b: number | undefined): string {
  return b === undefined ? "  -  " : `${((100 * a) / b).toFixed(0)}%`.padStart(5);
}

interface ChildOut {
  ts: Result;
  baseline?: Baseline;
}

/** Child mode: measure one workload in a fresh V8 (JIT feedback of one workload only). */
function child(wl: string, args: Args): void {
  const w = (WORKLOADS as readonly string[]).indexOf(wl);
  const out: ChildOut = { ts: runTs(w, args) };
  if (args.baseline) out.baseline = runBaseline(w, args.n);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runChild(wl: string, args: Args): ChildOut {
  const argv = [...process.execArgv, fileURLToPath(import.meta.url), "--child", wl];
  argv.push("-n", String(args.n), "-r", String(args.reps), "-q", String(args.queries));
  if (!args.baseline) argv.push("--no-baseline");
  const out = execFileSync(process.execPath, argv, { encoding: "utf8", maxBuffer: 1 << 20 });
  const line = out.trim().split("\n").pop() ?? "";
  return JSON.parse(line) as ChildOut;
}

function main(): void {
  const argv = process.argv.slice(2);
  const ci = argv.indexOf("--child");
  if (ci >= 0) {
    const wl = argv[ci + 1] ?? "";
    argv.splice(ci, 2);
    child(wl, parseArgs(argv));
    return;
  }
  const args = parseArgs(argv);
  const bin = args.c ? buildC() : null;
  console.log(
    `# rlist bench: n=${args.n} reps=${args.reps} queries=${args.queries} node ${process.version}` +
      `${bin ? ", C reference built with gcc -O2" : ""}; each workload: C run, then TS in a fresh node`,
  );
  const rows: string[] = [];
  let ok = true;
  for (const wl of args.workloads) {
    let c: Result | undefined;
    if (bin) {
      const out = execFileSync(
        bin,
        ["-n", String(args.n), "-r", String(args.reps), "-q", String(args.queries), "-w", wl],
        {
          encoding: "utf8",
        },
      );
      const line = out.split("\n").find((l) => l.startsWith("RESULT"));
      if (!line) throw new Error(`C printed no RESULT: ${out}`);
      console.log(line);
      c = parseC(line);
    }
    const { ts: t, baseline: b } = runChild(wl, args);
    console.log(
      `RESULT impl=ts wl=${wl} n=${args.n} append_eps=${fmt(t.appendEps, 0)} iter_eps=${fmt(t.iterEps, 0)} ` +
        `seek_ops=${fmt(t.seekOps, 0)} bpe=${t.bpe.toFixed(3)} chunks=${t.chunks} chk=${t.chk} ` +
        `heap_bpe=${(t.heapBpe ?? 0).toFixed(3)}` +
        (b ? ` objs_bpe=${b.bpe.toFixed(1)} objs_iter_eps=${fmt(b.iterEps, 0)}` : ""),
    );
    if (c && c.chk !== t.chk) {
      ok = false;
      console.log(`CHECKSUM MISMATCH ${wl}: C ${c.chk} TS ${t.chk}`);
    }
    const m = (v: number, d = 1): string => fmt(v / 1e6, d).padStart(6);
    rows.push(
      `| ${wl.padEnd(9)} ` +
        `| ${m(t.appendEps)} ${c ? m(c.appendEps) : "     -"} ${ratio(t.appendEps, c?.appendEps)} ` +
        `| ${m(t.iterEps)} ${c ? m(c.iterEps) : "     -"} ${ratio(t.iterEps, c?.iterEps)} ` +
        `| ${m(t.seekOps, 2)} ${c ? m(c.seekOps, 2) : "     -"} ${ratio(t.seekOps, c?.seekOps)} ` +
        `| ${t.bpe.toFixed(2).padStart(5)} | ${(t.heapBpe ?? 0).toFixed(2).padStart(6)} ` +
        `| ${b ? b.bpe.toFixed(1).padStart(6) : "     -"} | ${b ? `${m(b.iterEps)} ${ratio(b.iterEps, c?.iterEps)}` : "     -      "} |`,
    );
  }
  console.log("");
  console.log(
    `N=${args.n}: M entries/s (append, iterate) and M seeks/s, TS then C, and TS/C from the same run.`,
  );
  console.log("B/ent = chunk bytes per entry; heap = whole-heap growth per entry (slabs + index + objects).");
  console.log(
    "| workload  | append  TS     C  TS/C | iterate TS     C  TS/C | seek    TS     C  TS/C | B/ent |   heap | JS objs B/ent | JS objs iter  /C |",
  );
  console.log(
    "|-----------|------------------------|------------------------|------------------------|-------|--------|---------------|------------------|",
  );
  for (const r of rows) console.log(r);
  if (!ok) process.exitCode = 1;
}

main();
