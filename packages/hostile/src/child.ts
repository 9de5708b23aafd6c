/**
 * The child process that runs cases (runner.ts forks it): it rebuilds each case from
 * (API, variant, seed) and reports one outcome per case, so a hang or a crash costs the parent
 * exactly one case.
 */
import { smallStudy } from "./apis/lab.js";
import { variantsOf } from "./cases.js";
import { runCase } from "./execute.js";
import { buildRegistry, type Registry } from "./registry.js";
import type { EntryPoint } from "./surface.js";

export interface CaseRef {
  api: string;
  variant: number;
  seed: number;
}

type Message = { type: "init"; surface: EntryPoint[] } | { type: "run"; cases: CaseRef[] };

let registry: Registry | null = null;

let warm = false;

/**
 * Builds the lab's study data (seconds) before the first lab case, after telling the parent, so
 * no case pays for it against its budget.
 */
function warmUp(cases: readonly CaseRef[]): void {
  if (warm || !cases.some((c) => c.api.startsWith("lab:"))) return;
  warm = true;
  send({ type: "warming" });
  try {
    smallStudy();
  } catch {
    // a case that needs the study reports the failure itself
  }
  send({ type: "warm" });
}
const send = (m: unknown) => process.send?.(m);

process.on("message", (m: Message) => {
  if (m.type === "init") {
    registry = buildRegistry(m.surface);
    send({ type: "ready" });
    return;
  }
  const reg = registry as Registry;
  warmUp(m.cases);
  for (const c of m.cases) {
    const api = reg.byName.get(c.api);
    const variant = api === undefined ? undefined : variantsOf(api)[c.variant];
    const t0 = performance.now();
    const outcome =
      api === undefined || variant === undefined
        ? { r: "skip" as const, detail: `no such case ${c.api} #${c.variant}` }
        : runCase(api, variant, c.seed, reg.getters);
    send({ type: "result", outcome: { ...outcome, ms: performance.now() - t0 } });
  }
  send({ type: "done" });
});
send({ type: "loaded" });
