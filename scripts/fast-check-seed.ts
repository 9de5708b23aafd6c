/**
 * Vitest setup file shared by every package: makes every fast-check property reproducible.
 *
 * All `fc.assert` runs start from one seed: `FC_SEED` from the environment when set (an integer,
 * or `random` for a fresh one), else the fixed default below. fast-check prints `{ seed, path }`
 * with every counterexample; the line this file adds says how to replay the whole run:
 *
 *   FC_SEED=<seed> pnpm test
 *
 * A property that fails for some seed is a bug (in the code or in the property), never noise.
 */
import fc from "fast-check";
import { beforeEach } from "vitest";

const DEFAULT_SEED = 0x5eed_2026;

function chooseSeed(raw: string | undefined): number {
  if (raw === undefined || raw === "") return DEFAULT_SEED;
  if (raw === "random") return (Math.random() * 0x1_0000_0000) | 0;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer or "random", got ${raw}`);
  return seed | 0;
}

const seed = chooseSeed(process.env.FC_SEED);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    console.error(`fast-check run seed ${seed}: replay with FC_SEED=${seed} pnpm test`);
  });
});
