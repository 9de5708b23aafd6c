import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  anchorsOf,
  checkKernelColumns,
  checkRepo,
  checkText,
  githubSlug,
  KERNEL_COLUMN,
  type RepoView,
  tableCells,
} from "./check-citations.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** An in-memory repository. */
function view(files: Record<string, string>): RepoView {
  const dirs = new Set<string>();
  for (const f of Object.keys(files)) {
    for (let d = dirname(f); d !== "."; d = dirname(d)) dirs.add(d);
  }
  return {
    exists: (p) => p in files || dirs.has(p),
    isFile: (p) => p in files,
    read: (p) => {
      const text = files[p];
      if (text === undefined) throw new Error(`no ${p}`);
      return text;
    },
  };
}

// Built from pieces so that this file does not cite anything itself.
const DOCS = "docs";
const cite = (page: string, anchor?: string) => `${DOCS}/${page}.md${anchor ? `#${anchor}` : ""}`;
const outside = [["rlist", "anchor"].join("-"), ["kernel", "anchors"].join("-")];

const page = [
  "# Title",
  "## Chunk packing",
  "### `rlist_cpu` vectors",
  "## IOVA layout (rsiova)",
  "## Chunk packing",
  "```",
  "## not a heading",
  "```",
  '<a id="custom"></a>',
].join("\n");

describe("githubSlug / anchorsOf", () => {
  it("follow GitHub's heading anchors", () => {
    expect(githubSlug("Chunk packing")).toBe("chunk-packing");
    expect(githubSlug("`rlist_cpu` vectors")).toBe("rlist_cpu-vectors");
    expect(githubSlug("IOVA layout (rsiova)")).toBe("iova-layout-rsiova");
    expect(githubSlug("The 2025 two-step DMA API (`dma_iova_*`)")).toBe(
      "the-2025-two-step-dma-api-dma_iova_",
    );
    expect(githubSlug("[block.md](block.md) and more")).toBe("blockmd-and-more");
    expect([...anchorsOf(page)].sort()).toEqual(
      [
        "chunk-packing",
        "chunk-packing-1",
        "custom",
        "iova-layout-rsiova",
        "rlist_cpu-vectors",
        "title",
      ].sort(),
    );
  });
});

describe("checkText", () => {
  const repo = view({ "docs/vectors.md": page, "docs/README.md": "# Docs\n", "packages/a/README.md": "" });

  it("accepts citations and links that resolve", () => {
    const code = `/** ${cite("vectors", "chunk-packing")}, ${cite("vectors")}; see ${cite("vectors", "custom")}. */`;
    expect(checkText("packages/a/src/x.ts", code, repo)).toEqual([]);
    const md = [
      `[C1](../../${cite("vectors", "rlist_cpu-vectors")}) and [top](#a) and [web](https://example.com/x#y)`,
      "",
      "## A",
      "```ts",
      "const broken = x[0](y);",
      "```",
    ].join("\n");
    expect(checkText("packages/a/README.md", md, repo)).toEqual([]);
  });

  it("reports a missing page, a missing anchor and a broken relative link", () => {
    const code = [`// ${cite("nope", "x")}`, `it("${cite("vectors", "seek")}")`].join("\n");
    expect(checkText("packages/a/test/t.ts", code, repo).map((p) => [p.line, p.message])).toEqual([
      [1, expect.stringContaining("does not exist")],
      [2, expect.stringContaining('no heading or id "seek"')],
    ]);
    const md = [
      `[x](../b/README.md) [y](#missing) [z](../../${cite("vectors", "chunk-packing-2")})`,
      "[`lib/rlist.c`][p-rlist.c] and [`iova.c`][k-iova.c]",
      "",
      "[P-RLIST.C]: https://example.com/rlist.c",
    ].join("\n");
    expect(checkText("packages/a/README.md", md, repo).map((p) => p.message)).toEqual([
      expect.stringContaining("packages/b/README.md does not exist"),
      expect.stringContaining("#missing"),
      expect.stringContaining('"chunk-packing-2"'),
      "reference link [k-iova.c] has no definition in this file",
    ]);
  });

  it("reports every citation of a document outside the repository", () => {
    const lines = [
      `/** Layout (${outside[0]} 1.2). */`,
      `describe("${outside[1]} 4.2 vectors", () => {});`,
      `// see ${["..", "shared", "SPEC.md"].join("/")}`,
      `// ${["SPEC", "5"].join(" ")}: the invariant`,
      "// fine: docs/design.md is in the repo",
    ];
    const problems = checkText("packages/a/src/y.ts", lines.join("\n"), repo);
    expect(problems.filter((p) => p.message.startsWith("cites")).map((p) => p.line)).toEqual([1, 2, 3, 4]);
  });
});

describe("kernel name → file columns", () => {
  it("split cells like GitHub (pipes in code spans and escaped pipes stay)", () => {
    expect(tableCells("| `a \\| b` | x \\| y | z |")).toEqual(["`a \\| b`", "x \\| y", "z"]);
  });

  it("every row of an API table fills the kernel column", () => {
    const table = [
      `| export | what it does | ${KERNEL_COLUMN} |`,
      "| --- | --- | --- |",
      "| `a()` | does a | `a_kernel()` → `lib/a.c` |",
      "| `b()` | does b |  |",
      "| `c()` | does c |",
      "",
      "| other | table |",
      "| --- | --- |",
      "| x |",
    ].join("\n");
    expect(checkKernelColumns("README.md", table).map((p) => p.line)).toEqual([4, 5]);
  });
});

describe("the repository", () => {
  it("has no citation that fails to resolve", () => {
    const problems = checkRepo(root).map((p) => `${p.file}:${p.line}: ${p.message}`);
    expect(problems).toEqual([]);
  });
});
