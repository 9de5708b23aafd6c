/**
 * Runs a README's ```ts examples as tests, as written. Used by every package's
 * `test/readme.test.ts`:
 *
 * - each block is compiled with TypeScript and run with the modules it imports (pass them in, by
 *   package name); imports are hoisted, so a block may import a name another block also imports;
 * - `expr; // any words → value` checks `expr` against `value` (objects and arrays as partial
 *   matches, so a comment can name just the fields that matter); `expr; // throws CODE` checks that
 *   `expr` throws an error with that `code`;
 * - a block whose first line is a comment mentioning "the example above" (or "examples above") runs
 *   after the block before it, in one scope, as a reader would type them;
 * - `console.log` output is captured, not printed.
 */
import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import type { RlistErrorCode } from "../packages/encoding/src/index.js";
import { expectCode } from "./expect-code.js";

export interface ReadmeExample {
  /** The heading of the section the block is in. */
  heading: string;
  /** 1-based line of the block's first code line in the README. */
  line: number;
  code: string;
  /** True when the block continues the one before it. */
  continues: boolean;
}

const CHECK = /^(\s*)(.*?);\s*\/\/[^→]*→\s*(.+)$/;
const THROWS = /^(\s*)(.*?);\s*\/\/\s*throws (E[A-Z]+)\s*$/;
const IMPORT = /^import\s+(type\s+)?\{([^}]*)\}\s+from\s+"([^"]+)";?[ \t]*$/gm;
const CONTINUES = /^\s*\/\/.*\bexamples? above\b/i;

/** The ```ts blocks of a README, in order. */
export function readmeExamples(readme: string): ReadmeExample[] {
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => {
    const before = readme.slice(0, m.index);
    const heading = [...before.matchAll(/^#+ (.*)$/gm)].pop()?.[1] ?? "intro";
    const code = m[1]!;
    const firstLine = code.split("\n").find((l) => l.trim() !== "" && !l.startsWith("import ")) ?? "";
    return { heading, line: before.split("\n").length + 1, code, continues: CONTINUES.test(firstLine) };
  });
}

interface Compiled {
  js: string;
  checks: number;
  /** module -> local name -> exported name */
  imports: Map<string, Map<string, string>>;
}

/** One block as a function body: imports taken out, checked lines turned into calls. */
export function compileExample(code: string, firstLine = 1): Compiled {
  const imports = new Map<string, Map<string, string>>();
  // Imports become blank lines (keeping line numbers), their names bound once by the runner.
  const body = code.replace(
    IMPORT,
    (all: string, typeOnly: string | undefined, names: string, from: string) => {
      const blank = "\n".repeat(all.split("\n").length - 1);
      if (typeOnly) return blank;
      const bound = imports.get(from) ?? new Map<string, string>();
      for (const raw of names.split(",")) {
        const spec = raw.trim();
        if (spec === "" || spec.startsWith("type ")) continue;
        const [exported, local = exported] = spec.split(/\s+as\s+/) as [string, string?];
        bound.set(local, exported);
      }
      imports.set(from, bound);
      return blank;
    },
  );
  let checks = 0;
  const lines = body.split("\n").map((line, i) => {
    const where = JSON.stringify(`README line ${firstLine + i}: ${line.trim()}`);
    const t = THROWS.exec(line);
    if (t) {
      checks++;
      return `${t[1]}__throws(() => ${t[2]}, ${JSON.stringify(t[3])}, ${where});`;
    }
    const m = CHECK.exec(line);
    if (!m) return line;
    checks++;
    return `${m[1]}__check(${m[2]}, () => (${m[3]}), ${where});`;
  });
  const out = ts.transpileModule(lines.join("\n"), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  });
  return { js: out.outputText, checks, imports };
}

function check(actual: unknown, expected: () => unknown, where: string): void {
  const want = expected();
  if (typeof want === "object" && want !== null) expect(actual, where).toMatchObject(want);
  else expect(actual, where).toEqual(want);
}

function throws(fn: () => unknown, code: string, where: string): void {
  expectCode(fn, code as RlistErrorCode, where);
}

/** Runs blocks in one scope (a block and the ones it continues); returns what they logged. */
export function runExamples(
  blocks: ReadmeExample[],
  modules: Record<string, Record<string, unknown>>,
): { log: unknown[][]; checks: number } {
  const compiled = blocks.map((b) => compileExample(b.code, b.line));
  const bindings: string[] = [];
  const seen = new Set<string>();
  for (const c of compiled) {
    for (const [from, names] of c.imports) {
      if (!(from in modules)) throw new Error(`README example imports ${from}: pass it to the runner`);
      for (const [local, exported] of names) {
        if (seen.has(local)) continue;
        seen.add(local);
        bindings.push(`const ${local} = __modules[${JSON.stringify(from)}][${JSON.stringify(exported)}];`);
      }
    }
  }
  const js = [...bindings, ...compiled.map((c) => c.js)].join("\n");
  const log: unknown[][] = [];
  const run = new Function("__modules", "__check", "__throws", "console", js);
  run(modules, check, throws, { log: (...args: unknown[]) => log.push(args) });
  return { log, checks: compiled.reduce((n, c) => n + c.checks, 0) };
}

export interface ReadmeTestOptions {
  /** The modules the examples import, by package name. */
  modules: Record<string, Record<string, unknown>>;
  /** At least this many ```ts blocks and `→` / `throws` checks must be found. */
  minExamples: number;
  minChecks: number;
  /** Per-example timeout in ms (examples that run a study take seconds). */
  timeout?: number;
}

/** Registers one vitest test per README example, plus one that the README still has them. */
export function describeReadmeExamples(readmeUrl: URL, options: ReadmeTestOptions): void {
  const readme = readFileSync(readmeUrl, "utf8");
  const examples = readmeExamples(readme);
  describe("README examples", () => {
    it("finds the examples and their checks", () => {
      expect(examples.length).toBeGreaterThanOrEqual(options.minExamples);
      const total = examples.reduce((n, e) => n + compileExample(e.code).checks, 0);
      expect(total).toBeGreaterThanOrEqual(options.minChecks);
      expect(examples[0]?.continues).toBe(false);
    });

    examples.forEach((example, i) => {
      const testOptions = options.timeout === undefined ? {} : { timeout: options.timeout };
      it(`"${example.heading}" example (line ${example.line}) runs as written`, testOptions, () => {
        let first = i;
        while (examples[first]!.continues) first--;
        runExamples(examples.slice(first, i + 1), options.modules);
      });
    });
  });
}
