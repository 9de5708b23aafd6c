/**
 * The harness can fail: one deliberately broken entry point per defect class (src/canaries.ts),
 * each must land in its own column; a careful one in none.
 */
import { describe, expect, it } from "vitest";
import { runSuite } from "../src/suite.js";
import type { Row } from "../src/table.js";

describe("outcome classification", () => {
  it("tells typed errors, silent accepts, other errors, hangs, crashes and state changes apart", async () => {
    const r = await runSuite({
      surface: [],
      seeds: [1],
      small: true,
      include: (a) => a.name.startsWith("canary:"),
      timeoutMs: 3000,
      heapMiB: 128,
    });
    const row = (name: string) => r.rows.find((x) => x.api === `canary:${name}`) as Row;
    const defects = (x: Row) => ({
      other: x.other,
      silent: x.silent,
      hang: x.hang,
      crash: x.crash,
      state: x.state,
    });
    expect(defects(row("careful"))).toEqual({ other: 0, silent: 0, hang: 0, crash: 0, state: 0 });
    expect(row("careful").typed).toBeGreaterThan(0);
    expect(row("silent").silent).toBeGreaterThan(0);
    expect(row("type-error").other).toBeGreaterThan(0);
    expect(row("hang").hang).toBeGreaterThan(0);
    expect(row("crash").crash).toBeGreaterThan(0);
    expect(row("state").state).toBeGreaterThan(0);
    // a crashed case costs one case: the rest still ran
    expect(row("crash").calls).toBe(row("careful").calls);
    // after two hangs the API's remaining cases are skipped (each would cost the whole budget)
    expect(row("hang").hang).toBe(2);
    expect(row("hang").calls + row("hang").skip).toBe(row("careful").calls);
    expect(row("hang").skipped).toMatch(/hung repeatedly/);
  }, 180_000);
});
