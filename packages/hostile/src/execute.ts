/**
 * Runs one case and classifies what happened:
 *
 * - `ok`: returned, and the input was valid (or plausibly valid);
 * - `typed`: threw `RlistError`;
 * - `passed`: threw the caller's own exception (a hostile getter's {@link Sentinel}) unchanged;
 * - `other`: threw anything else (a TypeError, a RangeError, a plain Error): a defect;
 * - `silent`: returned although the input was invalid (or a read-once check failed): a defect;
 * - `state`: threw, but the observable state changed: a defect;
 * - `skip`: the case could not be built here (no receiver, or a plain object to mutate).
 *
 * Hangs and crashes are decided by the parent (runner.ts), which owns the time budget and the
 * child process.
 */
import { isRlistError } from "@rlist/encoding";
import { type Api, classKey, defaultCall, type ExtraCase, parseName } from "./api.js";
import { type Variant, variantLabel } from "./cases.js";
import { isValid, type Kind, objectKind, sample } from "./kinds.js";
import { createRng } from "./rng.js";
import { canon } from "./snapshot.js";
import { fickle, HOSTILE, Sentinel } from "./values.js";
import { CLASSES, type GetterTable, World } from "./world.js";

export type Result = "ok" | "typed" | "passed" | "other" | "silent" | "state" | "skip";

export interface Outcome {
  r: Result;
  /** The RlistError code, or the error's name. */
  code?: string;
  /** For defects: what was called with what, and what happened. */
  detail?: string;
  /** Time the case took in the child (world, call, snapshots), ms. */
  ms?: number;
}

const classes = (cls: string) => CLASSES.get(cls);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

interface Built {
  receiver: unknown;
  args: unknown[];
  /** Argument positions that hold our own valid values (snapshotted with the world). */
  own: boolean[];
  /** true: must be refused; false/null: may succeed. */
  invalid: boolean | null;
  extra?: ExtraCase;
}

function receiverOf(api: Api, w: World): unknown {
  if (api.receiver) return api.receiver(w);
  if (api.kind !== "method" && api.kind !== "getter" && api.kind !== "setter") return undefined;
  const { pkg, owner } = parseName(api.name);
  return w.instancesOf(classKey(pkg, owner))[0];
}

function validArgs(api: Api, w: World): unknown[] | undefined {
  if (api.valid) return api.valid(w);
  return api.params.map((k) => sample(k, w.rng, w));
}

/** The first hostile value outside `kind` (what a fickle field answers on its second read). */
function invalidFor(kind: Kind): unknown {
  for (const h of HOSTILE) {
    const v = h.make();
    if (!isValid(kind, v, classes)) return v;
  }
  return Symbol("invalid");
}

function build(api: Api, v: Variant, w: World): Built | string {
  const receiver = receiverOf(api, w);
  const needsReceiver = api.kind === "method" || api.kind === "getter" || api.kind === "setter";
  if (needsReceiver && receiver === undefined) return "no receiver in the world";
  if (v.t === "extra") {
    const extra = (api.extra as (w: World, k: number) => ExtraCase)(w, v.k);
    return { receiver, args: extra.args, own: extra.args.map(() => true), invalid: extra.invalid, extra };
  }
  const args = validArgs(api, w);
  if (args === undefined) return "no valid arguments in the world";
  const own = args.map(() => true);
  if (v.t === "valid") return { receiver, args, own, invalid: null };
  if (v.t === "arg") {
    const value = (HOSTILE[v.h] as (typeof HOSTILE)[number]).make();
    args[v.i] = value;
    own[v.i] = false;
    const kind = api.params[v.i] as Kind;
    return { receiver, args, own, invalid: isValid(kind, value, classes) ? null : true };
  }
  if (v.t === "field") {
    const base = args[v.i];
    if (!isPlainObject(base)) return "the argument is not a plain object";
    const value = (HOSTILE[v.h] as (typeof HOSTILE)[number]).make();
    args[v.i] = { ...base, [v.field]: value };
    own[v.i] = false;
    const fieldKind = objectKind(api.params[v.i] as Kind)?.fields[v.field];
    return {
      receiver,
      args,
      own,
      invalid: fieldKind === undefined || isValid(fieldKind, value, classes) ? null : true,
    };
  }
  // fickle: the fields read once are the valid ones; any second read sees invalid values
  const base = args[v.i];
  const o = objectKind(api.params[v.i] as Kind);
  if (!isPlainObject(base) || o === undefined) return "the argument is not a plain object";
  const later: Record<string, unknown> = {};
  for (const [field, kind] of Object.entries(o.fields)) later[field] = invalidFor(kind);
  args[v.i] = fickle(base, later);
  own[v.i] = false;
  return { receiver, args, own, invalid: null };
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message.slice(0, 160)}`;
  return `threw ${canon(err)}`;
}

function usesRevoked(v: Variant): boolean {
  return (v.t === "arg" || v.t === "field") && HOSTILE[v.h]?.id === "revoked Proxy";
}

interface Attempt {
  threw: boolean;
  error?: unknown;
  result?: unknown;
}

function attempt(api: Api, w: World, b: Built): Attempt {
  try {
    const call = api.call ?? ((_w: World, r: unknown, a: unknown[]) => defaultCall(api, r, a));
    return { threw: false, result: call(w, b.receiver, b.args) };
  } catch (error) {
    return { threw: true, error };
  }
}

/** The world's objects built before the call, and our own arguments (objects a call builds lazily are new, not changed). */
function stateOf(w: World, b: Built, keys: readonly string[]): string {
  return `${w.snapshot(keys)}\nargs=${canon(b.args.map((a, i) => (b.own[i] ? a : "~")))}`;
}

/** Runs variant `v` of `api` on a world built from `seed`. */
export function runCase(api: Api, v: Variant, seed: number, getters: GetterTable): Outcome {
  const w = new World(createRng(seed), getters);
  let b: Built | string;
  try {
    b = build(api, v, w);
  } catch (err) {
    return { r: "skip", detail: `cannot build the case: ${describeError(err)}` };
  }
  if (typeof b === "string") return { r: "skip", detail: b };
  const label = variantLabel(api, v, b.extra?.label);
  const keys = w.built();
  const before = stateOf(w, b, keys);
  const a = attempt(api, w, b);
  if (!a.threw) {
    if (b.invalid === true) return { r: "silent", detail: `${label}: accepted` };
    const problem = b.extra?.check?.(a.result) ?? null;
    if (problem !== null) return { r: "silent", detail: `${label}: ${problem}` };
    if (v.t === "fickle") return compareTwin(api, seed, getters, w, label, a);
    return { r: "ok" };
  }
  const err = a.error;
  const typed = isRlistError(err);
  // A revoked Proxy makes the engine throw a TypeError on any use: that is the caller's object
  // failing, like a throwing getter, not an error the library made.
  const passed = err instanceof Sentinel || (usesRevoked(v) && /revoked/.test((err as Error)?.message ?? ""));
  if (!typed && !passed)
    return { r: "other", code: (err as Error)?.name, detail: `${label}: ${describeError(err)}` };
  const after = stateOf(w, b, keys);
  const code = typed ? err.code : err instanceof Sentinel ? "Sentinel" : "revoked";
  if (after !== before)
    return { r: "state", code, detail: `${label}: threw ${code} but changed ${diff(before, after)}` };
  if (b.invalid === false)
    return { r: "other", code, detail: `${label}: a valid call was refused: ${describeError(err)}` };
  if (v.t === "fickle") return compareTwin(api, seed, getters, w, label, a);
  // a refused valid call is no defect, but the suite reports why (its descriptor may be wrong)
  const detail = v.t === "valid" ? { detail: `${label}: ${describeError(err)}` } : {};
  return typed ? { r: "typed", code, ...detail } : { r: "passed", code, ...detail };
}

/**
 * The read-once check: the same call on a twin world with a plain object holding the first
 * reads must end the same way (same outcome, same state).
 */
function compareTwin(
  api: Api,
  seed: number,
  getters: GetterTable,
  w: World,
  label: string,
  a: Attempt,
): Outcome {
  const twin = new World(createRng(seed), getters);
  const b = build(api, { t: "valid" }, twin) as Built;
  const t = attempt(api, twin, b);
  const code = (x: Attempt) => (x.threw ? ((x.error as { code?: string })?.code ?? "threw") : "ok");
  if (code(a) !== code(t))
    return { r: "silent", detail: `${label}: ${code(a)} where the plain call gives ${code(t)}` };
  const mine = w.snapshot();
  const theirs = twin.snapshot();
  if (mine !== theirs) return { r: "silent", detail: `${label}: stored ${diff(theirs, mine)}` };
  return a.threw ? { r: "typed", code: code(a) } : { r: "ok" };
}

/** The first differing line of two snapshots, shortened. */
function diff(before: string, after: string): string {
  const x = before.split("\n");
  const y = after.split("\n");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) {
      const a = x[i] ?? "";
      const b = y[i] ?? "";
      let p = 0;
      while (p < a.length && a[p] === b[p]) p++;
      const from = Math.max(0, p - 40);
      return `${a.slice(from, p + 60)} -> ${b.slice(from, p + 60)}`;
    }
  }
  return "(nothing?)";
}
