import { defineProject } from "vitest/config";

export default defineProject({
  ssr: { resolve: { conditions: ["@rlist/source", "module", "node", "development|production"] } },
  test: {
    name: "@rlist/hostile",
    include: ["test/**/*.test.ts"],
    setupFiles: ["../../scripts/fast-check-seed.ts"],
    // The small run forks a child process and runs a few thousand cases; the surface is read
    // with the TypeScript compiler. A hang guard, not a speed check.
    testTimeout: 180_000,
  },
});
