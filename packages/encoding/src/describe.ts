/**
 * Debug views of a chunk's words: `describe` decodes them into records, `hexdump` renders
 * them one entry per line. Both are for reading memory dumps, so corrupt words are reported
 * as `bad` records instead of thrown.
 */
import { isRlistError, RlistError, type RlistErrorCode } from "./errors.js";
import type { Codec, RangeEntryBig } from "./types.js";
import { variableCodec } from "./variable.js";

/** A decoded entry. `form` is its stored size in bytes, `label` e.g. `E16` (variable) or `F16` (fixed16). */
export interface DescribedEntry {
  kind: "entry";
  /** Unit (u32 word) index of the entry's first word in the words passed in. */
  unit: number;
  form: 8 | 16 | 24;
  label: "E8" | "E16" | "E24" | "F16";
  /** The raw words of the entry. */
  words: number[];
  entry: RangeEntryBig;
}

/** The end-of-chunk marker; nothing after it is read. */
export interface DescribedEnd {
  kind: "end";
  unit: number;
  words: number[];
}

/** Words that are not an entry (bad fixed16 tag, truncated entry). */
export interface DescribedBad {
  kind: "bad";
  unit: number;
  words: number[];
  code: RlistErrorCode;
  message: string;
}

export type Described = DescribedEntry | DescribedEnd | DescribedBad;

export interface DescribeOptions {
  /** First unit to read (default 0). Must be an entry boundary to make sense. */
  start?: number;
  /** Read units before this index only (default `words.length`): a chunk's capacity. */
  end?: number;
}

function window(words: Uint32Array, options: DescribeOptions): { start: number; end: number } {
  const start = options.start ?? 0;
  const end = options.end ?? words.length;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > words.length) {
    throw new RlistError("EINVAL", `window ${start}..${end} is not inside 0..${words.length}`);
  }
  return { start, end };
}

function labelOf(codec: Codec, units: number): DescribedEntry["label"] {
  if (codec.name === "fixed16") return "F16";
  return units === 2 ? "E8" : units === 4 ? "E16" : "E24";
}

/**
 * Decodes `words` (a chunk's entry area) from `start` until the end marker or `end`.
 * A bad entry of the fixed16 codec is skipped by its fixed size; a bad variable entry can
 * only be a truncated one, so it takes the rest of the window.
 */
export function describe(
  words: Uint32Array,
  codec: Codec = variableCodec,
  options: DescribeOptions = {},
): Described[] {
  const { start, end } = window(words, options);
  const view = words.subarray(0, end);
  const result: Described[] = [];
  let at = start;
  while (at < end) {
    const entry: RangeEntryBig = { type: 0, length: 0n, base: 0n, offset: 0, extra: 0 };
    let units: number;
    try {
      units = codec.decodeBig(view, at, entry);
    } catch (err) {
      if (!isRlistError(err)) throw err;
      const size = codec.name === "fixed16" ? Math.min(codec.maxUnits, end - at) : end - at;
      result.push({
        kind: "bad",
        unit: at,
        words: Array.from(view.subarray(at, at + size)),
        code: err.code,
        message: err.message,
      });
      at += size;
      continue;
    }
    if (units === 0) {
      result.push({ kind: "end", unit: at, words: Array.from(view.subarray(at, at + codec.endMarkerUnits)) });
      break;
    }
    result.push({
      kind: "entry",
      unit: at,
      form: (units * 4) as 8 | 16 | 24,
      label: labelOf(codec, units),
      words: Array.from(view.subarray(at, at + units)),
      entry,
    });
    at += units;
  }
  return result;
}

function hex(v: number | bigint): string {
  return v === 0 || v === 0n ? "0" : `0x${v.toString(16)}`;
}

function hexWords(words: readonly number[]): string {
  return words.map((w) => w.toString(16).padStart(8, "0")).join(" ");
}

/** One line per record: `0004: 00000011 00000000 00000000 00000001  E16 type=0 len=0x1 base=0x100000000 off=0 extra=0`. */
export function formatDescribed(d: Described): string {
  const prefix = `${d.unit.toString(16).padStart(4, "0")}: ${hexWords(d.words)}  `;
  if (d.kind === "end") return `${prefix}END`;
  if (d.kind === "bad") return `${prefix}BAD ${d.message}`;
  const e = d.entry;
  return `${prefix}${d.label} type=${e.type} len=${hex(e.length)} base=${hex(e.base)} off=${hex(e.offset)} extra=${hex(e.extra)}`;
}

/**
 * Renders a chunk's words as text, one entry per line (unit index in hex, raw words, decoded
 * fields), `END` at the marker and `BAD` for undecodable words. Never throws on word content.
 */
export function hexdump(
  words: Uint32Array,
  codec: Codec = variableCodec,
  options: DescribeOptions = {},
): string {
  return describe(words, codec, options).map(formatDescribed).join("\n");
}
