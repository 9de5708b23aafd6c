import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      "packages/*",
      // Repository-wide checks (scripts/*.test.ts): citations resolve inside the repo.
      { test: { name: "repo", include: ["scripts/**/*.test.ts"] } },
    ],
    reporters: ["default", "./scripts/vitest-summary.ts"],
  },
});
