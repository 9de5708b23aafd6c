/**
 * The README's examples, run as written: every ```ts block is compiled with TypeScript and run with
 * the package's exports in scope; `expr; // ... → value` checks `expr` against `value` (objects and
 * arrays as partial matches, so a comment can name the fields that matter) and
 * `expr; // throws CODE` checks the error code.
 */
import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import * as dma from "../src/index.js";

const README = readFileSync(new URL("../README.md", import.meta.url), "utf8");
/** Each ```ts block with the heading of the section it is in. */
const blocks = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => {
  const before = README.slice(0, m.index);
  const heading = [...before.matchAll(/^#+ (.*)$/gm)].pop()?.[1] ?? "intro";
  return { code: m[1]!, heading };
});

const CHECK = /^(\s*)(.*?);\s*\/\/[^→]*→\s*(.+)$/;
const THROWS = /^(\s*)(.*?);\s*\/\/\s*throws (E[A-Z]+)\s*$/;

/** The block as the body of a function: imports dropped, checked lines turned into calls. */
function toFunctionBody(block: string): { js: string; checks: number } {
  let checks = 0;
  const lines = block
    .replace(/^import[\s\S]*?from "@rlist\/dma";\n/gm, "")
    .split("\n")
    .map((line, i) => {
      const t = THROWS.exec(line);
      if (t) {
        checks++;
        return `${t[1]}__throws(() => ${t[2]}, ${JSON.stringify(t[3])}, ${JSON.stringify(line.trim())});`;
      }
      const m = CHECK.exec(line);
      if (!m) return line;
      checks++;
      return `${m[1]}__check(${m[2]}, () => (${m[3]}), ${JSON.stringify(`line ${i + 1}: ${line.trim()}`)});`;
    });
  const out = ts.transpileModule(lines.join("\n"), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  });
  return { js: out.outputText, checks };
}

function check(actual: unknown, expected: () => unknown, where: string): void {
  const want = expected();
  if (typeof want === "object" && want !== null) expect(actual, where).toMatchObject(want);
  else expect(actual, where).toEqual(want);
}

function throws(fn: () => unknown, code: string, where: string): void {
  expect(fn, where).toThrow(expect.objectContaining({ code }));
}

describe("README examples", () => {
  it("finds the examples and their checks", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(7);
    const total = blocks.reduce((n, b) => n + toFunctionBody(b.code).checks, 0);
    expect(total).toBeGreaterThanOrEqual(30);
  });

  for (const { code, heading } of blocks) {
    it(`"${heading}" example runs as written`, () => {
      const { js } = toFunctionBody(code);
      const names = Object.keys(dma);
      const log: unknown[][] = [];
      const run = new Function(...names, "__check", "__throws", "console", js);
      run(...names.map((n) => (dma as Record<string, unknown>)[n]), check, throws, {
        log: (...args: unknown[]) => log.push(args),
      });
    });
  }
});
