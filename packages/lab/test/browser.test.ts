import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, QUICK, removeCli, runCli } from "./cli-helpers.js";

/** Debian's chromium, or whatever `chromium` is on PATH. */
function findChromium(): string | null {
  for (const p of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) if (existsSync(p)) return p;
  const which = spawnSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], {
    encoding: "utf8",
  });
  return which.status === 0 && which.stdout.trim() !== "" ? which.stdout.trim() : null;
}

const chromium = findChromium();
const inCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";
if (chromium === null && !inCi) {
  console.warn(
    "SKIPPED browser test: chromium not found (apt-get install -y chromium to run it; in CI it is required).",
  );
}

interface PageLoad {
  code: number | null;
  dom: string;
  /** Lines chromium logged for console messages of the page. */
  console: string[];
}

/** Loads `file` in headless Chromium with a fresh profile; returns the DOM after load and the console. */
function load(file: string, extra: readonly string[] = []): PageLoad {
  const profile = mkdtempSync(join(tmpdir(), "rlist-lab-chromium-"));
  try {
    const r = spawnSync(
      chromium!,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        "--enable-logging=stderr",
        "--v=0",
        ...extra,
        `file://${file}`,
      ],
      { encoding: "utf8", timeout: 90_000 },
    );
    return {
      code: r.status,
      dom: r.stdout,
      console: r.stderr.split("\n").filter((l) => /:CONSOLE[:(]/.test(l)),
    };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

describe.skipIf(chromium === null && !inCi)("report in a real browser (headless Chromium)", () => {
  const tmp = mkdtempSync(join(tmpdir(), "rlist-lab-browser-"));
  const out = join(tmp, "report");
  const html = join(out, "index.html");
  beforeAll(async () => {
    await buildCli();
    const r = runCli([...QUICK, "--workloads", "rdma,thp,nvme,gpu-p2p", "--out", out]);
    expect(r.code).toBe(0);
  }, 120_000);
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
    removeCli();
  });

  it("chromium is there (CI must run this test)", () => {
    expect(chromium).not.toBeNull();
  });

  it("catches console output at all (control page)", () => {
    const bad = join(tmp, "control.html");
    writeFileSync(bad, '<!doctype html><p>x</p><script>console.error("control-marker")</script>');
    const r = load(bad, ["--dump-dom"]);
    expect(r.console.join("\n")).toContain("control-marker");
  });

  it("loads with no console messages and renders every chart", () => {
    const r = load(html, ["--dump-dom"]);
    expect(r.code).toBe(0);
    expect(r.console).toEqual([]);
    expect(r.dom).toContain("<h1>rlist-lab: range lists against scatterlist, bio_vec and page arrays</h1>");
    // 3 overview charts + one per workload + the mapping chart, each with bars.
    const charts = r.dom.match(/<svg [^>]*class="chart"/g) ?? [];
    expect(charts.length).toBe(3 + 4 + 1);
    expect((r.dom.match(/<rect class="bar"/g) ?? []).length).toBeGreaterThan(50);
    expect(r.dom).toContain("What this says");
  });

  it("writes a screenshot", () => {
    // One file per process: several checkouts may run this test on one machine at once.
    const shot = join(tmpdir(), `rlist-lab-report-${process.pid}.png`);
    rmSync(shot, { force: true });
    const r = load(html, [`--screenshot=${shot}`, "--window-size=1200,2000", "--hide-scrollbars"]);
    expect(r.code).toBe(0);
    expect(r.console).toEqual([]);
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(statSync(shot).size).toBeGreaterThan(20_000); // a blank page compresses to a few KB
    console.info(`report screenshot: ${shot}`);
  });
});
