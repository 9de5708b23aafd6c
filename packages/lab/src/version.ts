import { readFileSync } from "node:fs";

/**
 * The package version, read from package.json next to `src/` or `dist/` (both are one level
 * below the package root, whether running from source or from the build).
 */
export function labVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}
