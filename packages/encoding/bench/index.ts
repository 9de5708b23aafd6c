/**
 * Encode/decode throughput of the codecs, in entries/s, best of RUNS passes over N
 * pre-generated entries per form. Run: pnpm --filter @rlist/encoding bench
 *
 * Each row fills one Uint32Array with N entries of a single form (so the form's cost is
 * isolated), then decodes it back into one reused entry object (allocation-free).
 */
import { benchMain, parseBenchOptions } from "../../../scripts/bench-options.js";
import {
  type Codec,
  fixed16Codec,
  type RangeEntry,
  type RangeEntryBig,
  variableCodec,
} from "../src/index.js";

// No command-line options: refuse any (a typo would otherwise start a long run) and answer --help.
benchMain(
  `
usage: pnpm --filter @rlist/encoding bench   (options come from the environment)

  BENCH_N=<entries>   entries per form (default 1000000)
  BENCH_RUNS=<n>      passes (default 7)
  -h, --help          this text
`,
  (argv) => parseBenchOptions({}, argv),
);

const N = Number(process.env.BENCH_N ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

/** Deterministic xorshift32 so every run sees the same entries. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

interface Scenario {
  label: string;
  codec: Codec;
  make(r: () => number): RangeEntry;
}

const PAGE = 4096;
const scenarios: Scenario[] = [
  {
    label: "variable E8 (pfn, pages)",
    codec: variableCodec,
    make: (r) => ({
      type: 3,
      length: 1 + Math.floor(r() * 512),
      base: Math.floor(r() * 2 ** 32),
      offset: 0,
      extra: 0,
    }),
  },
  {
    label: "variable E16 (phys, offset)",
    codec: variableCodec,
    make: (r) => ({
      type: 0,
      length: PAGE * (1 + Math.floor(r() * 16)),
      base: 2 ** 32 + Math.floor(r() * 2 ** 40),
      offset: Math.floor(r() * PAGE),
      extra: 0,
    }),
  },
  {
    label: "variable E24 (dma, priv)",
    codec: variableCodec,
    make: (r) => ({
      type: 1,
      length: PAGE * (1 + Math.floor(r() * 16)),
      base: Math.floor(r() * 2 ** 52),
      offset: 0,
      extra: 1 + Math.floor(r() * 1000),
    }),
  },
  {
    label: "fixed16",
    codec: fixed16Codec,
    make: (r) => ({
      type: 2,
      length: PAGE * (1 + Math.floor(r() * 16)),
      base: Math.floor(r() * 2 ** 52),
      offset: 0,
      extra: 0,
    }),
  },
];

/** Best wall time of `runs` calls of `fn`, in seconds. */
function best(runs: number, fn: () => number): { seconds: number; check: number } {
  let seconds = Number.POSITIVE_INFINITY;
  let check = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    check = fn();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (dt < seconds) seconds = dt;
  }
  return { seconds, check };
}

interface Row {
  label: string;
  api: "number" | "bigint";
  encode: number;
  decode: number;
  bytesPerEntry: number;
}

function runNumber(s: Scenario): Row {
  const r = rng(0x5eed);
  const entries: RangeEntry[] = Array.from({ length: N }, () => s.make(r));
  const words = new Uint32Array(N * s.codec.maxUnits + 1);
  const { codec } = s;
  let used = 0;
  const enc = best(RUNS, () => {
    let at = 0;
    for (let i = 0; i < N; i++) at += codec.encode(words, at, entries[i]!);
    codec.writeEndMarker(words, at);
    used = at;
    return at;
  });
  const out: RangeEntry = { type: 0, length: 0, base: 0, offset: 0, extra: 0 };
  const dec = best(RUNS, () => {
    let at = 0;
    let sum = 0;
    for (;;) {
      const n = codec.decode(words, at, out);
      if (n === 0) break;
      sum += out.length;
      at += n;
    }
    return sum;
  });
  const expected = entries.reduce((a, e) => a + e.length, 0);
  if (dec.check !== expected) throw new Error(`${s.label}: decode checksum mismatch`);
  return {
    label: s.label,
    api: "number",
    encode: N / enc.seconds,
    decode: N / dec.seconds,
    bytesPerEntry: (used * 4) / N,
  };
}

function runBig(s: Scenario): Row {
  const r = rng(0x5eed);
  const entries: RangeEntryBig[] = Array.from({ length: N }, () => {
    const e = s.make(r);
    return { ...e, length: BigInt(e.length), base: BigInt(e.base) };
  });
  const words = new Uint32Array(N * s.codec.maxUnits + 1);
  const { codec } = s;
  let used = 0;
  const enc = best(RUNS, () => {
    let at = 0;
    for (let i = 0; i < N; i++) at += codec.encodeBig(words, at, entries[i]!);
    codec.writeEndMarker(words, at);
    used = at;
    return at;
  });
  const out: RangeEntryBig = { type: 0, length: 0n, base: 0n, offset: 0, extra: 0 };
  const dec = best(RUNS, () => {
    let at = 0;
    let count = 0;
    for (;;) {
      const n = codec.decodeBig(words, at, out);
      if (n === 0) break;
      count++;
      at += n;
    }
    return count;
  });
  if (dec.check !== N) throw new Error(`${s.label}: decodeBig count mismatch`);
  return {
    label: s.label,
    api: "bigint",
    encode: N / enc.seconds,
    decode: N / dec.seconds,
    bytesPerEntry: (used * 4) / N,
  };
}

function mps(v: number): string {
  return `${(v / 1e6).toFixed(1)} M/s`;
}

function table(rows: Row[]): string {
  const head = ["codec / form", "api", "B/entry", "encode", "decode", "enc vs E8", "dec vs E8"];
  const base = new Map(rows.filter((r) => r.label.includes("E8")).map((r) => [r.api, r]));
  const body = rows.map((r) => {
    const b = base.get(r.api)!;
    return [
      r.label,
      r.api,
      r.bytesPerEntry.toFixed(0),
      mps(r.encode),
      mps(r.decode),
      `${(r.encode / b.encode).toFixed(2)}x`,
      `${(r.decode / b.decode).toFixed(2)}x`,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

const rows: Row[] = [];
for (const s of scenarios) {
  process.stderr.write(`bench: ${s.label} (number)\n`);
  rows.push(runNumber(s));
}
for (const s of scenarios) {
  process.stderr.write(`bench: ${s.label} (bigint)\n`);
  rows.push(runBig(s));
}
console.log(
  `@rlist/encoding throughput: ${N.toLocaleString("en")} entries per pass, best of ${RUNS}, node ${process.version}`,
);
console.log(table(rows));
