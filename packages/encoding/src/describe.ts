/**
 * Debug views of a chunk's words: `describe` decodes them into records, `hexdump` renders
 * them one entry per line. Both are for reading memory dumps, so corrupt words are reported
 * as `bad` records instead of thrown. Their arguments are checked (`EINVAL`), and a window
 * above {@link DESCRIBE_MAX_UNITS} is refused up front (`ERANGE`): the records of a large array
 * would otherwise exhaust the heap, an abort no caller can catch.
 */
import { isRlistError, RlistError, type RlistErrorCode } from "./errors.js";
import { fixed16Codec } from "./fixed16.js";
import { formatValue } from "./format.js";
import type { Codec, RangeEntryBig } from "./types.js";
import { variableCodec } from "./variable.js";

/**
 * Most units `describe` / `hexdump` read in one call: 2^20 (4 MiB of words, 1024 chunks of 4 KiB).
 * The output of a full window is at most 2^19 records or about 40 MB of text. Describe a larger
 * array a window at a time with `{ start, end }`.
 */
export const DESCRIBE_MAX_UNITS = 1 << 20;

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

function checkArgs(words: unknown, codec: unknown, options: unknown): { start: number; end: number } {
  if (!(words instanceof Uint32Array)) {
    throw new RlistError("EINVAL", `words must be a Uint32Array, got ${formatValue(words)}`);
  }
  if (codec !== variableCodec && codec !== fixed16Codec) {
    throw new RlistError("EINVAL", `codec must be variableCodec or fixed16Codec, got ${formatValue(codec)}`);
  }
  if (typeof options !== "object" || options === null) {
    throw new RlistError("EINVAL", `options must be an object, got ${formatValue(options)}`);
  }
  const o = options as DescribeOptions;
  const startOption = o.start;
  const endOption = o.end;
  const start = startOption === undefined ? 0 : startOption;
  const end = endOption === undefined ? words.length : endOption;
  if (
    !(typeof start === "number" && typeof end === "number") ||
    !Number.isInteger(start) ||
    !Number.isInteger(end) ||
    start < 0 ||
    start > end ||
    end > words.length
  ) {
    throw new RlistError(
      "EINVAL",
      `window ${formatValue(start)}..${formatValue(end)} is not inside 0..${words.length}`,
    );
  }
  if (end - start > DESCRIBE_MAX_UNITS) {
    throw new RlistError(
      "ERANGE",
      `window of ${end - start} units is above DESCRIBE_MAX_UNITS (${DESCRIBE_MAX_UNITS}): pass { start, end }`,
    );
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
  const { start, end } = checkArgs(words, codec, options);
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

/**
 * One line per record: `0004: 00000011 00000000 00000000 00000001  E16 type=0 len=0x1 base=0x100000000 off=0 extra=0`.
 * `d` must be a record as {@link describe} makes them (EINVAL otherwise); each field is read once.
 */
export function formatDescribed(d: Described): string {
  if (typeof d !== "object" || d === null) throw notARecord(`got ${formatValue(d)}`);
  const kind = d.kind;
  const unit = d.unit;
  if (!(Number.isSafeInteger(unit) && unit >= 0)) throw notARecord(`unit ${formatValue(unit)}`);
  const prefix = `${unit.toString(16).padStart(4, "0")}: ${hexWords(recordWords(d.words))}  `;
  if (kind === "end") return `${prefix}END`;
  if (kind === "bad") {
    const message = (d as DescribedBad).message;
    if (typeof message !== "string") throw notARecord(`message ${formatValue(message)}`);
    return `${prefix}BAD ${message}`;
  }
  if (kind !== "entry") throw notARecord(`kind ${formatValue(kind)}`);
  const label = (d as DescribedEntry).label;
  if (label !== "E8" && label !== "E16" && label !== "E24" && label !== "F16") {
    throw notARecord(`label ${formatValue(label)}`);
  }
  const e = (d as DescribedEntry).entry;
  if (typeof e !== "object" || e === null) throw notARecord(`entry ${formatValue(e)}`);
  const { type, length, base, offset, extra } = e;
  if (
    !(
      typeof type === "number" &&
      (type & 3) === type &&
      typeof length === "bigint" &&
      typeof base === "bigint" &&
      typeof offset === "number" &&
      offset >>> 0 === offset &&
      typeof extra === "number" &&
      extra >>> 0 === extra
    )
  ) {
    throw notARecord("entry fields");
  }
  return `${prefix}${label} type=${type} len=${hex(length)} base=${hex(base)} off=${hex(offset)} extra=${hex(extra)}`;
}

function notARecord(what: string): RlistError {
  return new RlistError("EINVAL", `formatDescribed: not a record describe() makes (${what})`);
}

/** The record's raw words, checked to be u32s (read once each). */
function recordWords(words: unknown): number[] {
  if (!Array.isArray(words) || words.length > DESCRIBE_MAX_UNITS)
    throw notARecord(`words ${formatValue(words)}`);
  const out: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const w: unknown = words[i];
    if (!(typeof w === "number" && w >>> 0 === w)) throw notARecord(`word ${formatValue(w)}`);
    out.push(w);
  }
  return out;
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
