/**
 * The public surface of the rlist packages, read from their TypeScript sources: every exported
 * function, every exported class's constructor, static methods and public instance methods and
 * accessors, and the methods of exported objects (`variableCodec.encode`). Private and protected
 * members, `@internal` ones and `_`-prefixed names are not API. The coverage check compares this
 * list with the descriptor table, so a new entry point without a descriptor is noticed.
 *
 * Names: `list:RangeList#append` (method or accessor; `#limit=` for a setter),
 * `list:RangeList.from` (static), `list:new RangeList`, `encoding:hexdump`,
 * `encoding:variableCodec.encode`.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import type { Kind } from "./kinds.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The packages whose public surface the suite covers, lowest layer first. */
export const PACKAGES = ["encoding", "list", "dma", "bvec", "lab"] as const;

/**
 * The modules a user imports: each package's `.` export and every other subpath export with a
 * TypeScript source (`@rlist/dma/node` is `dma/node`). Read from the packages' `exports` maps, so
 * a new subpath is covered the moment it is published.
 */
export const MODULE_IDS: readonly string[] = PACKAGES.flatMap((pkg) =>
  Object.keys(sourceExports(pkg)).map((sub) => (sub === "." ? pkg : `${pkg}/${sub.slice(2)}`)),
);
/** A module id: `encoding`, `dma/node`, ... */
export type PackageName = string;

/** Subpath -> source file of a package's exports that point to TypeScript (`@rlist/source`). */
function sourceExports(pkg: string): Record<string, string> {
  const json = JSON.parse(readFileSync(`${ROOT}packages/${pkg}/package.json`, "utf8")) as {
    exports?: Record<string, unknown>;
  };
  const out: Record<string, string> = {};
  for (const [sub, target] of Object.entries(json.exports ?? {})) {
    const source = (target as { "@rlist/source"?: unknown } | null)?.["@rlist/source"];
    if (typeof source === "string" && source.endsWith(".ts")) out[sub] = source;
  }
  return out;
}

/** The source file of module `id` (`dma/node` -> packages/dma/src/node.ts). */
function moduleFile(id: string): string {
  const [pkg, sub] = id.split("/", 2) as [string, string | undefined];
  const source = sourceExports(pkg)[sub === undefined ? "." : `./${sub}`] as string;
  return `${ROOT}packages/${pkg}/${source.replace(/^\.\//, "")}`;
}

export type EntryKind =
  | "function"
  | "constructor"
  | "static"
  | "method"
  | "getter"
  | "setter"
  | "object-method";

export interface EntryPoint {
  /** `pkg:Name`, as the descriptor table names it. */
  name: string;
  pkg: PackageName;
  kind: EntryKind;
  /** The declaration's signature text, for reading (e.g. `(count: number) => void`). */
  signature: string;
  /** Parameter kinds from the TypeScript types (optional parameters admit `undefined`). */
  params: Kind[];
  /** The source file that declares it, relative to the repository (`packages/encoding/src/layout.ts`). */
  file: string;
}

function isInternal(decl: ts.Declaration): boolean {
  return ts.getJSDocTags(decl).some((t) => t.tagName.text === "internal");
}

/** Declared in the rlist sources (not inherited from a lib type such as Number or Array). */
function isOurs(decl: ts.Declaration): boolean {
  return decl.getSourceFile().fileName.startsWith(`${ROOT}packages/`);
}

function isPublicMember(decl: ts.Declaration): boolean {
  if (!isOurs(decl)) return false;
  const flags = ts.getCombinedModifierFlags(decl);
  if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
  const name = ts.getNameOfDeclaration(decl);
  if (name && ts.isPrivateIdentifier(name)) return false;
  return !isInternal(decl);
}

/** Every public entry point of the packages, sorted by name. */
export function publicSurface(): EntryPoint[] {
  const roots = MODULE_IDS.map(moduleFile);
  const program = ts.createProgram(roots, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    customConditions: ["@rlist/source"],
    types: [],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    resolveJsonModule: true,
  });
  const checker = program.getTypeChecker();
  const out: EntryPoint[] = [];
  MODULE_IDS.forEach((pkg, i) => {
    const file = program.getSourceFile(roots[i] as string);
    if (!file) throw new Error(`cannot read ${roots[i]}`);
    const moduleSymbol = checker.getSymbolAtLocation(file);
    if (!moduleSymbol) return;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const name = exported.getName();
      const decl = symbol.valueDeclaration;
      if (!decl || isInternal(decl)) continue; // types only, or not API
      const declFile = decl.getSourceFile().fileName.replace(ROOT, "");
      const add = (n: string, kind: EntryKind, sig: string, params: Kind[] = []) =>
        out.push({ name: `${pkg}:${n}`, pkg, kind, signature: sig, params, file: declFile });
      const paramsOf = (sig: ts.Signature | undefined): Kind[] =>
        sig === undefined ? [] : sig.getParameters().map((p) => paramKind(checker, p));
      if (symbol.flags & ts.SymbolFlags.Class) {
        const ctorType = checker.getTypeOfSymbolAtLocation(symbol, decl);
        const ctors = ctorType.getConstructSignatures();
        const ctorDecl = ctors[0]?.getDeclaration();
        if (ctors.length > 0 && (!ctorDecl || isPublicMember(ctorDecl))) {
          add(
            `new ${name}`,
            "constructor",
            checker.signatureToString(ctors[0] as ts.Signature),
            paramsOf(ctors[0]),
          );
        }
        for (const p of ctorType.getProperties()) {
          const d = p.valueDeclaration;
          if (!d || !isPublicMember(d) || p.getName() === "prototype" || p.getName().startsWith("_"))
            continue;
          if (p.flags & ts.SymbolFlags.Method) {
            const t = checker.getTypeOfSymbolAtLocation(p, d);
            add(
              `${name}.${p.getName()}`,
              "static",
              checker.typeToString(t),
              paramsOf(t.getCallSignatures()[0]),
            );
          }
        }
        const instance = checker.getDeclaredTypeOfSymbol(symbol);
        for (const p of instance.getProperties()) {
          const d = p.valueDeclaration ?? p.declarations?.[0];
          const n = p.getName();
          if (!d || !isPublicMember(d) || n.startsWith("_") || n.startsWith("__@")) continue;
          const type = checker.getTypeOfSymbolAtLocation(p, d);
          if (p.flags & ts.SymbolFlags.Method) {
            add(`${name}#${n}`, "method", checker.typeToString(type), paramsOf(type.getCallSignatures()[0]));
          }
          if (p.flags & ts.SymbolFlags.GetAccessor)
            add(`${name}#${n}`, "getter", `get: ${checker.typeToString(type)}`);
          if (p.flags & ts.SymbolFlags.SetAccessor) {
            // the setter's own parameter type, which may differ from the getter's (`T | undefined`)
            const set = p.declarations?.find(ts.isSetAccessorDeclaration)?.parameters[0];
            const writeType = set ? checker.getTypeAtLocation(set) : type;
            add(`${name}#${n}=`, "setter", `set: ${checker.typeToString(writeType)}`, [
              kindOf(checker, writeType, 0),
            ]);
          }
        }
        continue;
      }
      if (symbol.flags & ts.SymbolFlags.Function) {
        const t = checker.getTypeOfSymbolAtLocation(symbol, decl);
        add(name, "function", checker.typeToString(t), paramsOf(t.getCallSignatures()[0]));
        continue;
      }
      if (symbol.flags & ts.SymbolFlags.Variable) {
        const type = checker.getTypeOfSymbolAtLocation(symbol, decl);
        if (type.getCallSignatures().length > 0) {
          add(name, "function", checker.typeToString(type), paramsOf(type.getCallSignatures()[0]));
          continue;
        }
        // An exported object with methods (a codec): each method is an entry point.
        for (const p of type.getProperties()) {
          const d = p.valueDeclaration ?? p.declarations?.[0];
          if (!d || !isOurs(d)) continue;
          const t = checker.getTypeOfSymbolAtLocation(p, d);
          if (t.getCallSignatures().length > 0 && !p.getName().startsWith("_")) {
            add(
              `${name}.${p.getName()}`,
              "object-method",
              checker.typeToString(t),
              paramsOf(t.getCallSignatures()[0]),
            );
          }
        }
      }
    }
  });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function paramKind(checker: ts.TypeChecker, p: ts.Symbol): Kind {
  const d = p.valueDeclaration;
  if (!d) return { t: "any" };
  const k = kindOf(checker, checker.getTypeOfSymbolAtLocation(p, d), 0);
  const optional = ts.isParameter(d) && (d.questionToken !== undefined || d.initializer !== undefined);
  if (ts.isParameter(d) && d.dotDotDotToken !== undefined) return { t: "any" };
  return optional && !admitsUndefined(k) ? { t: "union", of: [k, { t: "undefined" }] } : k;
}

function admitsUndefined(k: Kind): boolean {
  return k.t === "undefined" || k.t === "any" || (k.t === "union" && k.of.some(admitsUndefined));
}

const TYPED = new Set([
  "Uint8Array",
  "Uint16Array",
  "Uint32Array",
  "Int32Array",
  "Float64Array",
  "BigUint64Array",
  "ArrayBuffer",
]);

/** The kind of a TypeScript type (depth-limited; what the harness cannot model is `any`). */
function kindOf(checker: ts.TypeChecker, type: ts.Type, depth: number): Kind {
  const f = type.flags;
  if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter)) return { t: "any" };
  if (f & ts.TypeFlags.Undefined || f & ts.TypeFlags.Void) return { t: "undefined" };
  if (f & ts.TypeFlags.Null) return { t: "null" };
  if (type.isUnion()) {
    const parts = type.types.map((t) => kindOf(checker, t, depth));
    // true | false from `boolean`, and literal unions (enums, string unions), fold together
    const literals = parts
      .filter((k) => k.t === "literal")
      .flatMap((k) => (k.t === "literal" ? k.values : []));
    const rest = parts.filter((k) => k.t !== "literal");
    const bools = literals.filter((v) => typeof v === "boolean");
    const others: (string | number | boolean)[] = literals.filter((v) => typeof v !== "boolean");
    const folded: Kind[] = [...rest];
    if (bools.length === 2) folded.push({ t: "boolean" });
    else if (bools.length === 1) others.push(bools[0] as boolean);
    if (others.length > 0) folded.push({ t: "literal", values: others });
    if (folded.some((k) => k.t === "any")) return { t: "any" };
    return folded.length === 1 ? (folded[0] as Kind) : { t: "union", of: folded };
  }
  if (f & ts.TypeFlags.NumberLiteral) return { t: "literal", values: [(type as ts.NumberLiteralType).value] };
  if (f & ts.TypeFlags.StringLiteral) return { t: "literal", values: [(type as ts.StringLiteralType).value] };
  if (f & ts.TypeFlags.BooleanLiteral)
    return { t: "literal", values: [checker.typeToString(type) === "true"] };
  if (f & ts.TypeFlags.EnumLiteral && type.isUnion()) return { t: "any" };
  if (f & (ts.TypeFlags.Number | ts.TypeFlags.Enum)) return { t: "number" };
  if (f & ts.TypeFlags.BigInt) return { t: "bigint" };
  if (f & ts.TypeFlags.Boolean) return { t: "boolean" };
  if (f & (ts.TypeFlags.String | ts.TypeFlags.TemplateLiteral)) return { t: "string" };
  if (f & ts.TypeFlags.ESSymbolLike) return { t: "any" };
  if (type.isIntersection()) return { t: "object", fields: {} };
  if (!(f & ts.TypeFlags.Object)) return { t: "any" };
  if (type.getCallSignatures().length > 0) return { t: "function" };
  if (checker.isArrayType(type) || checker.isTupleType(type)) {
    const elem = checker.getTypeArguments(type as ts.TypeReference)[0];
    return { t: "array", of: elem && depth < 3 ? kindOf(checker, elem, depth + 1) : { t: "any" } };
  }
  const symbol = type.getSymbol() ?? type.aliasSymbol;
  const decl = symbol?.declarations?.[0];
  if (symbol && TYPED.has(symbol.getName())) return { t: "typed", cls: symbol.getName() };
  if (decl && !isOurs(decl))
    return symbol?.getName() === "Iterable" ? { t: "any" } : { t: "object", fields: {} };
  if (symbol && decl && ts.isClassDeclaration(decl)) {
    const pkg = /packages\/([a-z]+)\//.exec(decl.getSourceFile().fileName)?.[1] ?? "?";
    return { t: "instance", cls: `${pkg}:${symbol.getName()}` };
  }
  if (depth >= 3 || checker.getIndexInfosOfType(type).length > 0) return { t: "object", fields: {} };
  const pkg = decl ? /packages\/([a-z]+)\//.exec(decl.getSourceFile().fileName)?.[1] : undefined;
  const name =
    symbol && pkg && symbol.getName() !== "__type" && symbol.getName() !== "__object"
      ? `${pkg}:${symbol.getName()}`
      : undefined;
  const fields: Record<string, Kind> = {};
  for (const p of type.getProperties()) {
    const pd = p.valueDeclaration ?? p.declarations?.[0];
    if (!pd) continue;
    const k = kindOf(checker, checker.getTypeOfSymbolAtLocation(p, pd), depth + 1);
    const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
    fields[p.getName()] = optional && !admitsUndefined(k) ? { t: "union", of: [k, { t: "undefined" }] } : k;
  }
  return name === undefined ? { t: "object", fields } : { t: "object", fields, name };
}
