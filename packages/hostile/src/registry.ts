/**
 * The whole descriptor table: every public entry point of the surface, refined by the
 * per-package tables, plus what the surface cannot see (cursor methods reached through
 * `list.cursor()`, out-of-order scenarios).
 */
import { type Api, buildTable, classKey, type Override, parseName } from "./api.js";
import { bvecAdded, bvecOverrides } from "./apis/bvec.js";
import { dmaAdded, dmaOverrides } from "./apis/dma.js";
import { ENCODING_UNCHECKED_FILES, encodingAdded, encodingOverrides } from "./apis/encoding.js";
import { labAdded, labOverrides } from "./apis/lab.js";
import { listAdded, listOverrides } from "./apis/list.js";
import { OPEN } from "./apis/open.js";
import { CANARIES } from "./canaries.js";
import type { EntryPoint } from "./surface.js";
import type { GetterTable } from "./world.js";

export const OVERRIDES: Readonly<Record<string, Override>> = {
  ...encodingOverrides,
  ...listOverrides,
  ...dmaOverrides,
  ...bvecOverrides,
  ...labOverrides,
};

export const ADDED: readonly Api[] = [
  ...encodingAdded,
  ...listAdded,
  ...dmaAdded,
  ...bvecAdded,
  ...labAdded,
  ...CANARIES,
];

export interface Registry {
  apis: Api[];
  byName: Map<string, Api>;
  getters: GetterTable;
}

export function buildRegistry(surface: readonly EntryPoint[]): Registry {
  const apis = buildTable(surface, OVERRIDES, ADDED, ENCODING_UNCHECKED_FILES).map((a): Api => {
    const open = OPEN[a.name];
    return open !== undefined && a.open === undefined ? { ...a, open } : a;
  });
  const getters = new Map<string, string[]>();
  for (const e of surface) {
    if (e.kind !== "getter") continue;
    const { pkg, owner, member } = parseName(e.name);
    const key = classKey(pkg, owner);
    getters.set(key, [...(getters.get(key) ?? []), member as string]);
  }
  for (const a of ADDED)
    if (a.kind === "getter") {
      const { pkg, owner, member } = parseName(a.name);
      getters.set(`${pkg}:${owner}`, [...(getters.get(`${pkg}:${owner}`) ?? []), member as string]);
    }
  return { apis, byName: new Map(apis.map((a) => [a.name, a])), getters };
}

/** Override and open-mark keys that name no entry point (a renamed API leaves its descriptor behind). */
export function staleOverrides(surface: readonly EntryPoint[]): string[] {
  const names = new Set([...surface.map((e) => e.name), ...ADDED.map((a) => a.name)]);
  return [...Object.keys(OVERRIDES), ...Object.keys(OPEN)].filter((n) => !names.has(n));
}
