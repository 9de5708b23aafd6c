/**
 * The cases of one API, enumerated the same way in the parent (to schedule them) and in the
 * child (to run them): the valid call, each parameter replaced by each hostile value, each field
 * of an object parameter replaced by each hostile value, a read-once check per entry parameter,
 * and the API's extra cases.
 */
import type { Api } from "./api.js";
import { objectKind } from "./kinds.js";
import { HOSTILE } from "./values.js";

export type Variant =
  | { t: "valid" }
  | { t: "arg"; i: number; h: number }
  | { t: "field"; i: number; field: string; h: number }
  | { t: "fickle"; i: number }
  | { t: "extra"; k: number };

export function variantsOf(api: Api): Variant[] {
  const out: Variant[] = api.kind === "scenario" ? [] : [{ t: "valid" }];
  if (api.kind === "getter" || api.kind === "scenario") {
    for (let k = 0; k < (api.extras ?? 0); k++) out.push({ t: "extra", k });
    return out;
  }
  api.params.forEach((kind, i) => {
    for (let h = 0; h < HOSTILE.length; h++) out.push({ t: "arg", i, h });
    const o = objectKind(kind);
    if (o !== undefined) {
      for (const field of Object.keys(o.fields)) {
        for (let h = 0; h < HOSTILE.length; h++) out.push({ t: "field", i, field, h });
      }
    }
  });
  for (const i of api.readOnce ?? []) out.push({ t: "fickle", i });
  for (let k = 0; k < (api.extras ?? 0); k++) out.push({ t: "extra", k });
  return out;
}

/** Hostile values the small run tries in each slot (one of each sort of trouble). */
const SMALL_VALUES = ["Symbol", "NaN", '"0x10"', "throwing getters", "1n"].map((id) =>
  HOSTILE.findIndex((h) => h.id === id),
);

/**
 * The indexes (into {@link variantsOf}) the small run uses: the valid call, the small set of
 * values in the first three parameters and the first four fields of each object parameter, every
 * read-once check and every extra case.
 */
export function smallVariants(api: Api): number[] {
  const all = variantsOf(api);
  const keep: number[] = [];
  const fieldsSeen = new Map<number, Set<string>>();
  all.forEach((v, index) => {
    if (v.t === "valid" || v.t === "fickle" || v.t === "extra") keep.push(index);
    else if (v.t === "arg" && v.i < 3 && SMALL_VALUES.includes(v.h)) keep.push(index);
    else if (v.t === "field" && SMALL_VALUES.slice(0, 2).includes(v.h)) {
      const seen = fieldsSeen.get(v.i) ?? new Set<string>();
      fieldsSeen.set(v.i, seen);
      if (seen.size < 4 || seen.has(v.field)) {
        seen.add(v.field);
        keep.push(index);
      }
    }
  });
  return keep;
}

/** A readable label for a variant, for the defect list (`arg 0 = NaN`, `field 1.length = Symbol`). */
export function variantLabel(api: Api, v: Variant, extraLabel?: string): string {
  switch (v.t) {
    case "valid":
      return "valid arguments";
    case "arg":
      return `arg ${v.i} = ${HOSTILE[v.h]?.id}`;
    case "field":
      return `arg ${v.i}.${v.field} = ${HOSTILE[v.h]?.id}`;
    case "fickle":
      return `arg ${v.i}: fields answer differently on a second read`;
    case "extra":
      return extraLabel ?? `extra case ${v.k} of ${api.name}`;
  }
}
