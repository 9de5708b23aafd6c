/**
 * The C yardstick on the lab's own lists: `packages/list/bench/c/rlist_ref.c` (the same chunk
 * encoding in C, walked by `rl_sum()`) compiled with `gcc -O2`, fed the entries of the rlist the
 * study built, and timed walking them in every round beside the WebAssembly kernels and the
 * JavaScript cursors. Node-only (it spawns processes): the lab's CLI is.
 *
 * The binary is cached under the OS temp directory, keyed by the hash of the source, the flags
 * and the compiler's version line, so a study compiles it at most once. Without gcc, or outside a
 * checkout that has the source, the study goes on without the C column and says why.
 */

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { RlistError } from "@rlist/encoding";
import { RangeList } from "@rlist/list";
import { checkArray, checkFinite, checkInstance, checkInteger, checkObject, checkString } from "../args.js";

export interface CYardstickOptions {
  /** The C compiler to run (default `gcc`). */
  readonly compiler?: string;
  /** The yardstick's source (default: `bench/c/rlist_ref.c` of the @rlist/list checkout). */
  readonly source?: string;
  /** Where compiled binaries are kept (default: `<os temp dir>/rlist-lab-c-<uid>`, private). */
  readonly cacheDir?: string;
}

/** A compiled yardstick, or why there is none. */
export type CYardstick =
  | { readonly ok: true; readonly binary: string; readonly compiler: string }
  | { readonly ok: false; readonly note: string };

/** Compiler flags: what the list bench uses too. */
export const C_FLAGS = ["-O2"] as const;

/** The yardstick's source in this checkout, or null (a published install has no bench/). */
export function defaultCSource(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve("@rlist/list/package.json");
    const src = join(dirname(pkg), "bench", "c", "rlist_ref.c");
    return existsSync(src) ? src : null;
  } catch {
    return null;
  }
}

function firstLine(text: string): string {
  return text.split("\n").find((l) => l.trim() !== "") ?? "";
}

/**
 * The typed error for a file the caller named that the file system refuses: `EINVAL` when the
 * name itself is wrong (a directory for a file, a file for a directory, a name too long), `EIO`
 * otherwise (permissions, I/O). The file system's error is the `cause`.
 */
function fileError(what: string, path: string, err: unknown): RlistError {
  const code = (err as { code?: unknown } | null)?.code;
  const wrongName = code === "EISDIR" || code === "ENOTDIR" || code === "ENAMETOOLONG" || code === "EINVAL";
  const shown = path.length > 200 ? `${path.slice(0, 200)}... (${path.length} characters)` : path;
  return new RlistError(wrongName ? "EINVAL" : "EIO", `${what} ${shown}: ${String(code ?? err)}`, {
    cause: err,
  });
}

/**
 * Finds the compiler and the source and compiles the yardstick (or takes the cached binary).
 * A missing compiler, a missing source or a failed compile is a note, not an error; a `source`
 * that cannot be read or a `cacheDir` that cannot be made is an error: `EINVAL` for a wrong name (a
 * directory as the source, a name too long, a file in the path), `EIO` otherwise, with the file
 * system's error as `cause`.
 */
export function prepareCYardstick(o: CYardstickOptions = {}): CYardstick {
  checkObject("C yardstick options", o);
  for (const k of ["compiler", "source", "cacheDir"] as const) if (o[k] !== undefined) checkString(k, o[k]);
  const compiler = o.compiler ?? "gcc";
  const source = o.source ?? defaultCSource();
  if (source === null || !existsSync(source))
    return {
      ok: false,
      note: `C yardstick: its source (packages/list/bench/c/rlist_ref.c) is not in this install, so there is no C column`,
    };
  let text: Buffer;
  try {
    text = readFileSync(source);
  } catch (err) {
    throw fileError("C yardstick source", source, err);
  }
  let version: string;
  try {
    version = firstLine(
      execFileSync(compiler, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
    );
  } catch {
    return {
      ok: false,
      note: `C yardstick: ${compiler} was not found, so there is no C column (install gcc to see it)`,
    };
  }
  const key = createHash("sha256")
    .update(text)
    .update(`\0${C_FLAGS.join(" ")}\0${version}`)
    .digest("hex")
    .slice(0, 16);
  const dir = o.cacheDir ?? privateCacheDir();
  const binary = join(dir, `rlist_ref-${key}`);
  if (!existsSync(binary)) {
    // Compiled under a private name and renamed: concurrent studies never run a half-written file.
    const partial = `${binary}.${process.pid}.tmp`;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw fileError("C yardstick cache directory", dir, err);
    }
    try {
      execFileSync(compiler, [...C_FLAGS, "-o", partial, source], { stdio: ["ignore", "ignore", "pipe"] });
      chmodSync(partial, 0o755);
      renameSync(partial, binary);
    } catch (err) {
      try {
        rmSync(partial, { force: true });
      } catch {
        // a partial that cannot be named was never written: the compiler's message says why
      }
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
      return {
        ok: false,
        note: `C yardstick: ${compiler} could not compile ${source}: ${firstLine(stderr)}`,
      };
    }
  }
  return { ok: true, binary, compiler: version };
}

/**
 * `<os temp dir>/rlist-lab-c-<uid>`, created private (0700). A directory of that name that belongs
 * to someone else or that others may write to is not trusted (a binary planted there would run):
 * then a fresh private directory is used and nothing is cached.
 */
function privateCacheDir(): string {
  const uid = process.getuid?.();
  const dir = join(tmpdir(), `rlist-lab-c-${uid ?? "user"}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    if (st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0) return dir;
  } catch {
    // fall through to a private directory of our own
  }
  return mkdtempSync(join(tmpdir(), "rlist-lab-c-"));
}

/** One set of lists for the yardstick: the same lists, built at each of `chunkBytes`. */
export interface CListSet {
  readonly chunkBytes: readonly number[];
  readonly lists: readonly RangeList[];
}

/** `EINVAL` unless `sets` are list sets: chunk sizes and RangeLists. */
function checkListSets(sets: unknown): asserts sets is readonly CListSet[] {
  checkArray("list sets", sets, (at, s) => {
    checkObject(at, s);
    checkArray(`${at}.chunkBytes`, (s as CListSet).chunkBytes, (a, c) => checkInteger(a, c, 1, 0xffff_ffff));
    checkArray(`${at}.lists`, (s as CListSet).lists, (a, l) => checkInstance(a, l, RangeList));
  });
}

/** Size of one entry record in the file. */
const RECORD_BYTES = 32;

/**
 * The yardstick's input (`rlist_ref -i`, format "RLWALK01": see the comment of input_mode() in
 * rlist_ref.c): every set's chunk sizes and its lists, entry by entry as stored (type, base,
 * length, offset, extra), little endian.
 */
export function walkFileBytes(sets: readonly CListSet[]): Uint8Array {
  checkListSets(sets);
  const entries = sets.map((s) => s.lists.map((l) => l.toArrayBig()));
  let size = 12;
  sets.forEach((s, k) => {
    size += 8 + 4 * s.chunkBytes.length;
    for (const l of entries[k]!) size += 4 + RECORD_BYTES * l.length;
  });
  const bytes = new Uint8Array(size);
  const v = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode("RLWALK01"));
  let at = 8;
  const u32 = (x: number) => {
    v.setUint32(at, x, true);
    at += 4;
  };
  u32(sets.length);
  sets.forEach((s, k) => {
    u32(s.chunkBytes.length);
    for (const c of s.chunkBytes) u32(c);
    u32(s.lists.length);
    for (const list of entries[k]!) {
      u32(list.length);
      for (const e of list) {
        v.setBigUint64(at, e.base, true);
        v.setBigUint64(at + 8, e.length, true);
        v.setUint32(at + 16, e.offset, true);
        v.setUint32(at + 20, e.extra, true);
        v.setUint32(at + 24, e.type, true);
        v.setUint32(at + 28, 0, true);
        at += RECORD_BYTES;
      }
    }
  });
  return bytes;
}

/** One RESULT line of the input mode. */
export interface CWalkSample {
  readonly set: number;
  readonly chunkBytes: number;
  readonly lists: number;
  readonly entries: number;
  readonly chunks: number;
  /** One walk of every list of the set, ns (a sample at least `minNs` long, divided by its walks). */
  readonly walkNs: number;
  /** chk=: the sums of the lengths and of the bases, mod 2^64. */
  readonly lengthSum: bigint;
  readonly baseSum: bigint;
}

/** Parses the RESULT lines of `rlist_ref -i`; throws on a line it cannot read. */
export function parseCWalk(stdout: string): CWalkSample[] {
  checkString("the yardstick's output", stdout);
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("RESULT impl=c set="))
    .map((line) => {
      const get = (k: string): string => {
        const m = new RegExp(`\\b${k}=(\\S+)`).exec(line);
        if (!m?.[1]) throw new RlistError("EINVAL", `the C yardstick printed no ${k}: ${line}`);
        return m[1];
      };
      const [len, base] = get("chk").split("/");
      if (len === undefined || base === undefined || !/^\d+$/.test(len) || !/^[0-9a-f]{16}$/.test(base))
        throw new RlistError("EINVAL", `the C yardstick printed a chk= this lab cannot read: ${line}`);
      return {
        set: Number(get("set")),
        chunkBytes: Number(get("chunk")),
        lists: Number(get("lists")),
        entries: Number(get("n")),
        chunks: Number(get("chunks")),
        walkNs: Number(get("walk_ns")),
        lengthSum: BigInt(len),
        baseSum: BigInt(`0x${base}`),
      };
    });
}

/**
 * A workload's lists written once to a temp file, and walked by the yardstick on demand: one
 * process per call (build, check, one timed sample per set and chunk size). `close()` removes the
 * file.
 */
export class CWalkRunner {
  readonly #binary: string;
  readonly #dir: string;
  readonly #file: string;
  readonly #minNs: number;

  constructor(yardstick: { readonly binary: string }, sets: readonly CListSet[], minNs: number) {
    checkObject("yardstick", yardstick);
    checkString("yardstick.binary", yardstick.binary);
    checkListSets(sets);
    checkFinite("minNs", minNs, 0);
    if (minNs > 60e9) throw new RlistError("ERANGE", `minNs ${minNs} is above one minute`);
    this.#binary = yardstick.binary;
    this.#dir = mkdtempSync(join(tmpdir(), "rlist-lab-walk-"));
    this.#file = join(this.#dir, "lists.rlwalk");
    writeFileSync(this.#file, walkFileBytes(sets));
    this.#minNs = minNs;
  }

  /** One sample of every set and chunk size, in file order. Throws when the process fails. */
  run(): CWalkSample[] {
    let out: string;
    try {
      out = execFileSync(this.#binary, ["-i", this.#file, "-t", String(this.#minNs)], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        maxBuffer: 1 << 20,
      });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? "";
      throw new RlistError("EIO", `the C yardstick failed: ${firstLine(stderr) || String(err)}`, {
        cause: err,
      });
    }
    return parseCWalk(out);
  }

  close(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
