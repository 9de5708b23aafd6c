import { readFileSync } from "node:fs";

/**
 * The package version: read from the nearest package.json named `@rlist/lab` above this module
 * (one level up from `src/` or `dist/`; further up for a bundle placed elsewhere).
 */
export function labVersion(): string {
  for (let up = "../"; up.length <= 5 * 3; up += "../") {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === "@rlist/lab" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // not here; look one level up
    }
  }
  return "0.0.0";
}
