import { defineProject } from "vitest/config";

export default defineProject({
  ssr: { resolve: { conditions: ["@rlist/source", "module", "node", "development|production"] } },
  test: {
    name: "@rlist/list",
    include: ["test/**/*.test.ts"],
    setupFiles: ["../../scripts/fast-check-seed.ts"],
    // A hang guard, not a speed check: seeded property runs take seconds when five engineers share
    // two cores, past vitest's 5 s default. Speed is measured by the benchmarks.
    testTimeout: 30_000,
  },
});
