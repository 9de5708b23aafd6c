import { bigToSafe, RlistError } from "@rlist/encoding";
import { checkString } from "../args.js";

/** One line of `/proc/iomem` with its nested lines, addresses exact (inclusive `end`, as printed). */
export interface IomemResourceBig {
  readonly start: bigint;
  readonly end: bigint;
  readonly name: string;
  /** Nesting level: 0 for top-level lines, +1 per two spaces of indentation. */
  readonly depth: number;
  readonly children: readonly IomemResourceBig[];
}

/** {@link IomemResourceBig} with `number` addresses (every address must be <= 2^53-1). */
export interface IomemResource {
  readonly start: number;
  readonly end: number;
  readonly name: string;
  readonly depth: number;
  readonly children: readonly IomemResource[];
}

const LINE = /^( *)([0-9a-fA-F]+)-([0-9a-fA-F]+) : (.*)$/;

/**
 * Parses `/proc/iomem` text into its resource tree, exactly (64-bit addresses as bigint).
 * Pure: give it the text. Throws `EINVAL` on a malformed line, on a child outside its parent,
 * on overlapping siblings, and on the all-zero listing the kernel shows to non-root readers.
 */
export function parseIomemBig(text: string): IomemResourceBig[] {
  checkString("/proc/iomem text", text);
  const roots: MutableResource[] = [];
  const stack: MutableResource[] = [];
  const lines = text.split("\n");
  if (lines.some((l) => l.trim() !== "") && lines.every((l) => l.trim() === "" || /^ *0+-0+ : /.test(l))) {
    throw new RlistError(
      "EINVAL",
      "iomem addresses are all zero: the kernel hides them from non-root readers (read /proc/iomem as root)",
    );
  }
  let lineNo = 0;
  for (const raw of lines) {
    lineNo++;
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") continue;
    const m = LINE.exec(line);
    if (!m) throw new RlistError("EINVAL", `iomem line ${lineNo} is malformed: ${JSON.stringify(line)}`);
    const indent = m[1]!.length;
    if (indent % 2 !== 0) throw new RlistError("EINVAL", `iomem line ${lineNo}: odd indentation`);
    const depth = indent / 2;
    const start = BigInt(`0x${m[2]}`);
    const end = BigInt(`0x${m[3]}`);
    if (end > 0xffff_ffff_ffff_ffffn)
      throw new RlistError("EINVAL", `iomem line ${lineNo}: address over 64 bits`);
    if (start > end) throw new RlistError("EINVAL", `iomem line ${lineNo}: start above end`);
    if (depth > stack.length) throw new RlistError("EINVAL", `iomem line ${lineNo}: nested without a parent`);
    stack.length = depth;
    const node: MutableResource = { start, end, name: m[4]!.trim(), depth, children: [] };
    const siblings = depth === 0 ? roots : stack[depth - 1]!.children;
    const parent = stack[depth - 1];
    if (parent && (start < parent.start || end > parent.end)) {
      throw new RlistError(
        "EINVAL",
        `iomem line ${lineNo}: ${node.name} lies outside its parent ${parent.name}`,
      );
    }
    const prev = siblings[siblings.length - 1];
    if (prev && start <= prev.end) {
      throw new RlistError("EINVAL", `iomem line ${lineNo}: ${node.name} overlaps or precedes ${prev.name}`);
    }
    siblings.push(node);
    stack.push(node);
  }
  return roots;
}

/** Like {@link parseIomemBig} with `number` addresses; `ERANGE` if any address is above 2^53-1. */
export function parseIomem(text: string): IomemResource[] {
  return parseIomemBig(text).map(toSafe);
}

interface MutableResource {
  start: bigint;
  end: bigint;
  name: string;
  depth: number;
  children: MutableResource[];
}

function toSafe(r: IomemResourceBig): IomemResource {
  return {
    start: bigToSafe(`iomem ${r.name} start`, r.start),
    end: bigToSafe(`iomem ${r.name} end`, r.end),
    name: r.name,
    depth: r.depth,
    children: r.children.map(toSafe),
  };
}
