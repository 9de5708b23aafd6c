/**
 * Every reference in the repository must resolve inside it.
 *
 * - Nothing may cite the design notes that live outside the repository (the reference documents
 *   the project started from, or a path into the shared folder next to it). Cite a `docs/` page
 *   or a kernel source path instead.
 * - Every `docs/<page>.md` or `docs/<page>.md#<anchor>` cited anywhere (code, tests, READMEs)
 *   must name an existing page and heading.
 * - Every relative link in a Markdown file must name an existing file, and its `#anchor` an
 *   existing heading when it points to Markdown; every `[text][label]` needs a `[label]:` line.
 * - Every row of a table whose last column is "kernel name → file" fills that column.
 *
 * Run by `pnpm lint` (`tsx scripts/check-citations.ts`) and by the `repo` test project.
 * Anchors follow GitHub's rule for headings (see {@link githubSlug}); `<a id="...">` works too.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface Problem {
  file: string;
  line: number;
  message: string;
}

/**
 * Citations of documents outside the repository. The patterns are assembled from pieces so that
 * this file does not match them itself.
 */
const FORBIDDEN: { pattern: RegExp; why: string }[] = [
  { pattern: new RegExp(["rlist", "anchor"].join("-"), "i"), why: "an external reference document" },
  { pattern: new RegExp(["kernel", "anchors"].join("-"), "i"), why: "an external reference document" },
  { pattern: new RegExp(["\\.\\.", "shared\\b"].join("/")), why: "a path outside the repository" },
  { pattern: new RegExp(["", "work", "shared\\b"].join("/")), why: "a path outside the repository" },
  { pattern: new RegExp(["\\bshared", "vectors\\b"].join("/")), why: "a path outside the repository" },
  {
    pattern: new RegExp(["\\bSPEC", "(?:\\.md)?\\s+\\d"].join("")),
    why: "the design contract outside the repository",
  },
];

/** `docs/<page>.md` with an optional `#anchor`, as cited in code, comments and test names. */
const DOC_CITATION = /(?<![\w./-])((?:\.\.\/)*docs\/[\w-]+\.md)(?:#([\w-]+))?/g;
/** Markdown inline links `[text](target)`, excluding images' data and bare URLs. */
const MD_LINK = /\]\(([^)\s]+)\)/g;
/** Markdown reference links `[text][label]` and their definitions `[label]: target`. */
const MD_REF = /\]\[([^\]]+)\]/g;
const MD_REF_DEF = /^\s{0,3}\[([^\]]+)\]:\s*\S/;

/**
 * The anchor GitHub gives a heading: its text without Markdown syntax, lower-cased, with
 * everything but letters, digits, `_`, `-` and spaces removed and spaces turned into `-`.
 */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1") // [text](url) -> text
    .replace(/`/g, "")
    .replace(/<[^>]+>/g, "")
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
}

/** Every anchor a Markdown document defines: one per heading (duplicates numbered), plus `id`s. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | null = null;
  for (const line of markdown.split("\n")) {
    const f = /^\s*(```|~~~)/.exec(line);
    if (f) {
      if (fence === null) fence = f[1]!;
      else if (f[1] === fence) fence = null;
      continue;
    }
    if (fence !== null) continue;
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
    const h = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const base = githubSlug(h[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Reads files relative to the repository root, caching Markdown anchors. */
export interface RepoView {
  exists(path: string): boolean;
  isFile(path: string): boolean;
  read(path: string): string;
}

export function diskView(root: string): RepoView {
  return {
    exists: (p) => existsSync(join(root, p)),
    isFile: (p) => existsSync(join(root, p)) && statSync(join(root, p)).isFile(),
    read: (p) => readFileSync(join(root, p), "utf8"),
  };
}

/** Problems in one file's text. `file` is its path relative to the repository root. */
export function checkText(file: string, text: string, repo: RepoView): Problem[] {
  const problems: Problem[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchors = (path: string) => {
    let a = anchorCache.get(path);
    if (!a) {
      a = anchorsOf(repo.read(path));
      anchorCache.set(path, a);
    }
    return a;
  };
  const lines = text.split("\n");
  const isMarkdown = file.endsWith(".md");
  const dir = dirname(file);

  const checkTarget = (line: number, target: string, anchor: string | undefined, shown: string) => {
    if (!repo.exists(target)) {
      problems.push({ file, line, message: `${shown}: ${target} does not exist` });
      return;
    }
    if (
      anchor !== undefined &&
      target.endsWith(".md") &&
      repo.isFile(target) &&
      !anchors(target).has(anchor)
    ) {
      problems.push({ file, line, message: `${shown}: no heading or id "${anchor}" in ${target}` });
    }
  };

  const refDefs = new Set<string>();
  if (isMarkdown) {
    for (const l of lines) {
      const d = MD_REF_DEF.exec(l);
      if (d) refDefs.add(d[1]!.toLowerCase());
    }
  }
  let fence: string | null = null;
  lines.forEach((content, i) => {
    const line = i + 1;
    if (isMarkdown) {
      const f = /^\s*(```|~~~)/.exec(content);
      if (f) fence = fence === null ? f[1]! : f[1] === fence ? null : fence;
    }
    for (const { pattern, why } of FORBIDDEN) {
      if (pattern.test(content)) {
        problems.push({
          file,
          line,
          message: `cites ${why} (${content.match(pattern)![0]}): cite docs/<page>.md#<anchor> or a kernel source path`,
        });
      }
    }
    // In Markdown, a cited page inside a link target is checked once, as a link (below).
    const linkTargets = isMarkdown && fence === null ? [...content.matchAll(MD_LINK)] : [];
    const inLink = (at: number) => linkTargets.some((l) => at >= l.index + 2 && at < l.index + l[0].length);
    for (const m of content.matchAll(DOC_CITATION)) {
      if (inLink(m.index)) continue;
      const cited = m[1]!;
      // In code and text a bare docs/ path is from the repository root; ../docs/ is relative.
      const target = cited.startsWith("..") ? normalize(join(dir, cited)) : cited;
      checkTarget(line, target, m[2], m[0]);
    }
    if (!isMarkdown || fence !== null) return;
    for (const m of content.matchAll(MD_REF)) {
      if (!refDefs.has(m[1]!.toLowerCase())) {
        problems.push({ file, line, message: `reference link [${m[1]}] has no definition in this file` });
      }
    }
    for (const m of content.matchAll(MD_LINK)) {
      const raw = m[1]!.replace(/^<|>$/g, "");
      if (/^[a-z][a-z0-9+.-]*:/i.test(raw)) continue; // http:, https:, mailto:
      const [path, anchor] = raw.split("#", 2) as [string, string | undefined];
      if (path === "") {
        if (anchor !== undefined && !anchorsOf(text).has(anchor)) {
          problems.push({ file, line, message: `link #${anchor}: no such heading in this file` });
        }
        continue;
      }
      checkTarget(line, normalize(join(dir, decodeURI(path))), anchor, `link ${raw}`);
    }
  });
  return problems;
}

/** Cells of a Markdown table row (pipes inside backticks or escaped do not split). */
export function tableCells(row: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let code = false;
  const body = row.trim().replace(/^\|/, "").replace(/\|$/, "");
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === "`") code = !code;
    if (ch === "\\" && body[i + 1] === "|") {
      cell += "\\|";
      i++;
      continue;
    }
    if (ch === "|" && !code) {
      cells.push(cell.trim());
      cell = "";
      continue;
    }
    cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

/** The column every API table of a package README carries (CONTRIBUTING.md, "Adding a package"). */
export const KERNEL_COLUMN = "kernel name → file";

/** API tables with a kernel column: every row fills it (`none` or `–` when there is no counterpart). */
export function checkKernelColumns(file: string, text: string): Problem[] {
  const problems: Problem[] = [];
  const lines = text.split("\n");
  let width = -1;
  lines.forEach((line, i) => {
    if (!line.trimStart().startsWith("|")) {
      width = -1;
      return;
    }
    const cells = tableCells(line);
    if (width === -1) {
      width = cells.includes(KERNEL_COLUMN) && cells.at(-1) === KERNEL_COLUMN ? cells.length : 0;
      return;
    }
    if (width === 0 || cells.every((c) => /^:?-+:?$/.test(c))) return;
    if (cells.length !== width || cells.at(-1) === "") {
      problems.push({ file, line: i + 1, message: `table row without its "${KERNEL_COLUMN}" cell` });
    }
  });
  return problems;
}

const TEXT_FILE = /\.(ts|tsx|js|mjs|cjs|json|jsonc|md|ya?ml|c|h|sh|txt)$|(^|\/)(run|Makefile)$/;

/** Files git tracks or would track (untracked but not ignored), relative to `root`. */
export function repoFiles(root: string): string[] {
  const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  });
  return [...new Set(out.split("\0").filter((f) => f !== ""))]
    .filter((f) => TEXT_FILE.test(f) && existsSync(join(root, f)))
    .sort();
}

export function checkRepo(root: string): Problem[] {
  const repo = diskView(root);
  return repoFiles(root).flatMap((f) => {
    const text = repo.read(f);
    const own = checkText(f, text, repo);
    return f.endsWith(".md") ? [...own, ...checkKernelColumns(f, text)] : own;
  });
}

function main(): void {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const problems = checkRepo(root);
  for (const p of problems) console.error(`${p.file}:${p.line}: ${p.message}`);
  if (problems.length > 0) {
    console.error(`check-citations: ${problems.length} problem(s)`);
    process.exit(1);
  }
  console.log(`check-citations: every citation resolves (${relative(process.cwd(), root) || "."})`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
