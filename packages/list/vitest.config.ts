import { defineProject } from "vitest/config";

export default defineProject({
  ssr: { resolve: { conditions: ["@rlist/source", "module", "node", "development|production"] } },
  test: {
    name: "@rlist/list",
    include: ["test/**/*.test.ts"],
    setupFiles: ["../../scripts/fast-check-seed.ts"],
  },
});
