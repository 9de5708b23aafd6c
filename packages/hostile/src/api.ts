/**
 * The descriptor table: one {@link Api} per public entry point. Most are derived from the public
 * surface (surface.ts: parameter kinds from the TypeScript types, receivers from the world); the
 * per-package files (apis/*.ts) refine them where the types say less than the API (`nat` for a
 * count, an `out` record that is only written), give valid arguments that reach the success
 * path, add cases (corrupt images, out-of-order calls) and mark what is still open.
 */
import type { Kind } from "./kinds.js";
import type { EntryKind, EntryPoint } from "./surface.js";
import { MODULES, type World } from "./world.js";

/** The outcomes that are defects (table.ts counts them per API). */
export type DefectClass = "other" | "silent" | "hang" | "crash" | "state";

/**
 * A known defect whose fix is not on main yet: which outcome classes it shows and why (the API,
 * the input and what happens, or the issue item). The API still runs in every run; only these
 * classes are excused, and a mark whose classes no longer occur is itself a failure (stale).
 */
export interface OpenDefect {
  readonly classes: readonly DefectClass[];
  readonly why: string;
}

/** A case an API adds beyond argument mutation: an argument vector and what must happen. */
export interface ExtraCase {
  label: string;
  args: unknown[];
  /** true: must be refused (typed, state unchanged); false: must succeed; null: either. */
  invalid: boolean | null;
  /** For a call that returned: a problem with the result (e.g. a corrupt image that loaded). */
  check?(result: unknown): string | null;
}

export interface Api {
  /** `pkg:Name` as in surface.ts, or `pkg:misuse ...` for an out-of-order scenario. */
  name: string;
  kind: EntryKind | "scenario";
  params: readonly Kind[];
  /** Valid arguments (default: sampled from the kinds); undefined when none can be built. */
  valid?(w: World): unknown[] | undefined;
  /** The receiver of a method, getter or setter (default: the world's first instance). */
  receiver?(w: World): unknown;
  /** Runs the call (default: from `kind` and `name`). */
  call?(w: World, receiver: unknown, args: unknown[]): unknown;
  /** Extra cases, built from the world (the count is fixed so cases can be enumerated). */
  extras?: number;
  extra?(w: World, k: number): ExtraCase;
  /** Indexes of entry-like parameters whose fields must be read exactly once. */
  readOnce?: readonly number[];
  /** A known defect not fixed yet (apis/open.ts): its classes are excused, nothing else. */
  open?: OpenDefect;
  /**
   * Heavy (tens of ms per call): the long run samples its variants instead of running them all;
   * the small run runs its small set as for any API.
   */
  slow?: boolean;
  /** Why a valid call cannot succeed here (otherwise the small run requires one to). */
  noSuccess?: string;
  /**
   * Why this machine cannot run the API at all (no C compiler for the C yardstick), or null: an
   * API that is unavailable is not required to be called.
   */
  unavailable?(): string | null;
  /**
   * The API documents that it does not check its input (a hot-loop decoder or locator): its
   * `other` and `silent` outcomes are reported but are not defects; hangs, crashes and state
   * changes still are.
   */
  unchecked?: string;
}

/** Refinements of a derived {@link Api}, keyed by name in the per-package tables. */
export type Override = Partial<Omit<Api, "name" | "kind">> & {
  /** Replaces some parameter kinds by index (the rest stay derived). */
  paramsAt?: Readonly<Record<number, Kind>>;
};

/** The parts of an entry point's name: `pkg:Owner#member=`, `pkg:new Owner`, `pkg:fn`. */
export function parseName(name: string): { pkg: string; owner: string; member: string | null } {
  const [pkg, rest] = name.split(":", 2) as [string, string];
  if (rest.startsWith("new ")) return { pkg, owner: rest.slice(4), member: null };
  const m = /^([^#.]+)[#.](.+?)=?$/.exec(rest);
  return m ? { pkg, owner: m[1] as string, member: m[2] as string } : { pkg, owner: rest, member: null };
}

/** The exported value `owner` of `pkg`. */
export function exported(pkg: string, owner: string): unknown {
  return (MODULES as Record<string, Record<string, unknown>>)[pkg]?.[owner];
}

/** `pkg:Class` as the world names it (the declared class name; exports may alias it). */
export function classKey(pkg: string, owner: string): string {
  const value = exported(pkg, owner) as { name?: string } | undefined;
  return `${pkg}:${typeof value === "function" ? (value.name ?? owner) : owner}`;
}

/** The call an entry point makes when its descriptor gives none. */
export function defaultCall(api: Api, receiver: unknown, args: unknown[]): unknown {
  const { pkg, owner, member } = parseName(api.name);
  const target = exported(pkg, owner) as Record<string, (...a: unknown[]) => unknown> &
    (new (
      ...a: unknown[]
    ) => unknown);
  switch (api.kind) {
    case "function":
      return (target as unknown as (...a: unknown[]) => unknown)(...args);
    case "constructor":
      return new target(...args);
    case "static":
    case "object-method":
      return (target[member as string] as (...a: unknown[]) => unknown).apply(target, args);
    case "method":
      return (receiver as Record<string, (...a: unknown[]) => unknown>)[member as string]?.apply(
        receiver,
        args,
      );
    case "getter":
      return (receiver as Record<string, unknown>)[member as string];
    case "setter":
      (receiver as Record<string, unknown>)[member as string] = args[0];
      return undefined;
    case "scenario":
      throw new Error(`${api.name}: a scenario needs its own call`);
  }
}

/** Builds the table: the surface's entry points with their overrides, plus added APIs. */
export function buildTable(
  surface: readonly EntryPoint[],
  overrides: Readonly<Record<string, Override>>,
  added: readonly Api[],
  uncheckedFiles: Readonly<Record<string, string>> = {},
): Api[] {
  const out: Api[] = [];
  for (const e of surface) {
    const whole = uncheckedFiles[e.file];
    const o = { ...(whole === undefined ? {} : { unchecked: whole }), ...overrides[e.name] };
    const params = o.params ?? e.params.map((k, i) => o.paramsAt?.[i] ?? k);
    const { paramsAt: _ignored, ...rest } = o;
    out.push({ ...rest, name: e.name, kind: e.kind, params });
  }
  out.push(...added);
  return out;
}
