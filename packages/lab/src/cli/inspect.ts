import { readFileSync } from "node:fs";
import { fixed16Codec, hexdump, variableCodec } from "@rlist/encoding";
import { HEADER_UNITS, MAGIC, RangeList } from "@rlist/list";
import { int, percent, sig3 } from "../render/format.js";
import { studyText } from "../render/table.js";
import type { StudyResults } from "../study/results.js";
import { validateResults } from "../study/schema.js";
import { UsageError } from "./usage-error.js";

/** Words before the first chunk in a RangeList.toBytes() image. */
const IMAGE_HEADER_WORDS = 10;

/** A file `inspect` could not make sense of (exit code 1: the argument was fine, the content is not). */
export class InspectError extends Error {
  override readonly name = "InspectError";
}

export interface InspectOptions {
  /** Entries to list for a saved range list (default 20). */
  readonly limit: number;
  /** Dump every chunk's words with decoded fields. */
  readonly hex: boolean;
}

function readBytes(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    throw new UsageError(`inspect: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

/** A saved range list: stats, the first entries, and optionally a hexdump per chunk. */
function inspectList(path: string, bytes: Uint8Array, o: InspectOptions): string {
  let list: RangeList;
  try {
    list = RangeList.fromBytes(bytes);
  } catch (err) {
    throw new InspectError(`${path}: not a valid saved range list: ${(err as Error).message}`);
  }
  try {
    const st = list.stats();
    const out = [
      `${path}: saved RangeList, ${list.codec.name} codec, ${st.chunkBytes}-byte chunks`,
      `entries ${int(st.entries)} (8 B: ${int(st.byForm[8])}, 16 B: ${int(st.byForm[16])}, 24 B: ${int(st.byForm[24])}), chunks ${int(st.chunks)}, ${int(st.bytesInUse)} bytes, ${sig3(st.bytesPerEntry)} B/entry, ${percent(st.efficiency)} efficient, total length ${int(list.totalLength)}`,
      "",
      "index  position          type  base                offset      length        extra",
    ];
    const c = list.cursor();
    let shown = 0;
    for (let ok = c.reset(); ok && shown < o.limit; ok = c.next(), shown++) {
      out.push(
        `${String(c.index).padStart(5)}  ${`0x${c.position.toString(16)}`.padEnd(16)}  ${String(c.type).padStart(4)}  ${`0x${c.base.toString(16)}`.padEnd(18)}  ${`0x${c.offset.toString(16)}`.padEnd(10)}  ${`0x${c.length.toString(16)}`.padEnd(12)}  ${c.extra}`,
      );
    }
    if (st.entries > shown) out.push(`... ${int(st.entries - shown)} more (use --limit)`);
    if (o.hex) {
      const words = new Uint32Array(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.byteLength & ~3)),
      );
      const chunkWords = st.chunkBytes / 4;
      const codec = list.codec.name === "fixed16" ? fixed16Codec : variableCodec;
      for (let k = 0; k < st.chunks; k++) {
        const at = IMAGE_HEADER_WORDS + k * chunkWords;
        out.push(
          "",
          `chunk ${k} (next ${words[at] === 0xffff_ffff ? "none" : words[at]}, ${words[at + 1]} units used)`,
        );
        out.push(hexdump(words.subarray(at + HEADER_UNITS, at + chunkWords), codec));
      }
    }
    return out.join("\n");
  } finally {
    list.clear();
  }
}

/** A results.json: validated against the schema, then shown as the study's tables. */
function inspectResults(path: string, text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InspectError(`${path}: neither a saved range list nor JSON`);
  }
  const problems = validateResults(value);
  if (problems.length > 0) {
    throw new InspectError(
      `${path}: not a valid rlist-lab results.json (results.schema.json):\n${problems
        .slice(0, 20)
        .map((p) => `  ${p}`)
        .join("\n")}`,
    );
  }
  const r = value as StudyResults;
  return [
    `${path}: rlist-lab results (${r.schema}), ${r.generatedAt}, machine ${r.params.machine}`,
    "",
    studyText(r),
  ].join("\n");
}

/** `rlist-lab inspect <file>`: a saved range list (.rlist) or a results.json. */
export function inspectFile(path: string, o: InspectOptions): string {
  const bytes = readBytes(path);
  const isList =
    bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) === MAGIC;
  return isList ? inspectList(path, bytes, o) : inspectResults(path, new TextDecoder().decode(bytes));
}
