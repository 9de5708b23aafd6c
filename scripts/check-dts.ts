/**
 * The published type declarations show the public API and nothing else, and they compile for a
 * consumer on their own.
 *
 * - No declaration in a `.d.ts` a package publishes may have a member (or be itself) named with a
 *   leading underscore: internals are marked `@internal` (and `stripInternal` in
 *   tsconfig.base.json drops them from the build) or live in module-level functions / `#private`.
 * - The declarations of every package, resolved against each other's declarations (never the
 *   sources: a consumer has no `@rlist/source` condition), type-check with `skipLibCheck: false`,
 *   so no public signature names a type that was stripped.
 *
 * `tsx scripts/check-dts.ts` checks `packages/<pkg>/dist` after `pnpm build` (`pnpm check:pkgs`
 * runs it); the `repo` test project builds the declarations with each package's own tsup config
 * into a scratch folder and runs the same checks (scripts/check-dts.test.ts).
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** A published package: its folder name, npm name and the `types` file of each export subpath. */
export interface PublishedPackage {
  dir: string;
  name: string;
  /** subpath ("." or "./node") -> `types` path relative to the package folder */
  types: Map<string, string>;
}

/** The packages that publish declarations: not private, with a `types` entry in their exports. */
export function publishedPackages(): PublishedPackage[] {
  const out: PublishedPackage[] = [];
  for (const dir of readdirSync(join(root, "packages")).sort()) {
    const file = join(root, "packages", dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8"));
    if (pkg.private === true) continue;
    const exports: Record<string, unknown> = pkg.publishConfig?.exports ?? pkg.exports ?? {};
    const types = new Map<string, string>();
    for (const [subpath, target] of Object.entries(exports)) {
      const t = (target as { types?: unknown } | null)?.types;
      if (typeof t === "string") types.set(subpath, t.replace(/^\.\//, ""));
    }
    if (types.size > 0) out.push({ dir, name: pkg.name, types });
  }
  return out;
}

/** One underscore name found in a declaration file. */
export interface UnderscoreMember {
  file: string;
  line: number;
  /** `Owner._member`, or the bare name of a top-level declaration */
  name: string;
}

function nameText(name: ts.PropertyName | ts.BindingName | ts.DeclarationName | undefined): string | null {
  if (name === undefined) return null;
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return null; // #private, computed names: not an underscore member
}

/** Every declaration or member in `text` (a `.d.ts`) whose name starts with `_`. */
export function underscoreMembers(file: string, text: string): UnderscoreMember[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: UnderscoreMember[] = [];
  const report = (node: ts.Node, name: string) =>
    found.push({ file, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, name });
  const owner = (node: ts.Node): string => {
    for (let p = node.parent; p !== undefined; p = p.parent) {
      if (
        (ts.isClassDeclaration(p) || ts.isInterfaceDeclaration(p) || ts.isTypeAliasDeclaration(p)) &&
        p.name
      ) {
        return `${p.name.text}.`;
      }
    }
    return "";
  };
  const visit = (node: ts.Node): void => {
    if (
      ts.isPropertyDeclaration(node) ||
      ts.isPropertySignature(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isMethodSignature(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node) ||
      ts.isEnumMember(node) ||
      ts.isParameter(node) ||
      ts.isFunctionDeclaration(node) ||
      ts.isClassDeclaration(node) ||
      ts.isInterfaceDeclaration(node) ||
      ts.isTypeAliasDeclaration(node) ||
      ts.isVariableDeclaration(node)
    ) {
      const name = nameText(node.name);
      // A parameter property (`constructor(private _x)`) is a member; other parameters are not.
      const isMember = !ts.isParameter(node) || ts.getModifiers(node)?.length;
      if (name?.startsWith("_") && isMember) report(node, `${owner(node)}${name}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every `.d.ts` file under `dir`, recursively. */
export function declarationFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...declarationFiles(path));
    else if (/\.d\.[cm]?ts$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

/**
 * Type-checks the declarations as a consumer would: each `@rlist/<pkg>[/<subpath>]` resolves to
 * `outDir(pkg)/<types file>`, nothing resolves to a source file, and library checking is on.
 */
export function consumerDiagnostics(
  packages: PublishedPackage[],
  outDir: (pkg: PublishedPackage) => string,
): string[] {
  const paths: Record<string, string[]> = {};
  const rootNames: string[] = [];
  for (const pkg of packages) {
    for (const [subpath, types] of pkg.types) {
      // `types` is relative to the package (dist/x.d.ts); the build writes x.d.ts into outDir.
      const file = join(outDir(pkg), types.replace(/^dist\//, ""));
      paths[subpath === "." ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, "")}`] = [file];
      rootNames.push(file);
    }
  }
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: ["node"],
    typeRoots: [join(root, "node_modules", "@types")],
    strict: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    skipLibCheck: false,
    paths,
  };
  const program = ts.createProgram(rootNames, options);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (d.file === undefined || d.start === undefined) return text;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${relative(root, d.file.fileName)}:${line + 1}: ${text}`;
  });
}

const run = promisify(execFile);

/**
 * Where {@link buildDeclarations} writes a package's declarations: inside the package (under its
 * `node_modules`, so git and the build ignore it), where its own dependencies resolve as they do
 * from `dist/`.
 */
export function scratchDir(pkg: PublishedPackage): string {
  return join(root, "packages", pkg.dir, "node_modules", ".cache", "check-dts");
}

/**
 * Builds every published package's declarations with its own tsup config (the build's
 * tsconfig, so `stripInternal` as published) into {@link scratchDir}, one package at a time.
 */
export async function buildDeclarations(packages: PublishedPackage[]): Promise<void> {
  const tsup = join(root, "node_modules", ".bin", "tsup");
  for (const pkg of packages) {
    const cwd = join(root, "packages", pkg.dir);
    await run(tsup, ["--dts-only", "--silent", "--out-dir", scratchDir(pkg)], {
      cwd,
      env: { ...process.env, NO_COLOR: "1" },
    });
  }
}

/** Both checks over declarations already built; returns the problems, one line each. */
export function checkDeclarations(
  packages: PublishedPackage[],
  outDir: (pkg: PublishedPackage) => string,
): string[] {
  const problems: string[] = [];
  for (const pkg of packages) {
    for (const file of declarationFiles(outDir(pkg))) {
      for (const m of underscoreMembers(file, readFileSync(file, "utf8"))) {
        problems.push(`${relative(root, m.file)}:${m.line}: underscore member ${m.name} is published`);
      }
    }
  }
  problems.push(...consumerDiagnostics(packages, outDir));
  return problems;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const packages = publishedPackages();
  const missing = packages.filter((p) => !existsSync(join(root, "packages", p.dir, "dist")));
  if (missing.length > 0) {
    console.error(`check-dts: no dist/ in ${missing.map((p) => p.dir).join(", ")}: run pnpm build first`);
    process.exit(1);
  }
  const problems = checkDeclarations(packages, (p) => join(root, "packages", p.dir, "dist"));
  for (const p of problems) console.error(p);
  if (problems.length > 0) {
    console.error(`check-dts: ${problems.length} problem(s) in the published declarations`);
    process.exit(1);
  }
  console.log(`check-dts: ${packages.length} packages, no underscore member, declarations type-check alone`);
}
