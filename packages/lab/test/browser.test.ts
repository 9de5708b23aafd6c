import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StudyResults } from "../src/study/results.js";
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

  it("catches console output at all (control page)", { timeout: 60_000 }, () => {
    const bad = join(tmp, "control.html");
    writeFileSync(bad, '<!doctype html><p>x</p><script>console.error("control-marker")</script>');
    const r = load(bad, ["--dump-dom"]);
    expect(r.console.join("\n")).toContain("control-marker");
  });

  it("loads with no console messages and opens with the verdicts", { timeout: 60_000 }, () => {
    const r = load(html, ["--dump-dom"]);
    expect(r.code).toBe(0);
    expect(r.console).toEqual([]);
    expect(r.dom).toContain("<h1>rlist-lab: range lists against scatterlist, bio_vec and page arrays</h1>");
    // The verdicts come before everything else of substance.
    const v = r.dom.indexOf('id="verdicts"');
    expect(v).toBeGreaterThan(0);
    for (const id of ["findings", "overview", "workloads", "mappings"])
      expect(r.dom.indexOf(`id="${id}"`)).toBeGreaterThan(v);
    for (const id of ["entry-format", "chunk-size", "merging", "iommu-mapping", "iotlb-invalidation", "p2p"])
      expect(r.dom).toContain(`id="v-${id}"`);
    // memory and walk per workload (4 each), merging per workload (4), DMA entries per mapped workload (4)
    const charts = r.dom.match(/<svg [^>]*class="chart"/g) ?? [];
    expect(charts.length).toBe(4 + 4 + 4 + 4);
    expect((r.dom.match(/<rect class="bar"/g) ?? []).length).toBeGreaterThan(50);
    // Where gcc is there, every workload has its JS cursor / kernel / C table (laid out below too).
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as StudyResults;
    const sides = (r.dom.match(/<table class="side">/g) ?? []).length;
    expect(sides).toBe(results.cYardstick.status === "ran" ? 4 : 0);
  });

  it("the layout probe sees what it should (control page: a wide box and a clipped chart label)", {
    timeout: 60_000,
  }, () => {
    const bad = join(tmp, "probe-control.html");
    writeFileSync(
      bad,
      `<!doctype html><body><div style="width:1200px">wide</div><svg class="chart" viewBox="0 0 100 20" width="100" height="20" aria-label="c"><text x="90" y="15">far too long a label</text></svg>${PROBE}</body>`,
    );
    const r = load(bad, ["--dump-dom", "--window-size=800,600"]);
    const probe = readProbe(r.dom);
    expect(probe.wide.join(" ")).toMatch(/div right=1208/);
    expect(probe.clipped).toEqual(["c: far too long a label"]);
  });

  for (const width of [800, 1400]) {
    it(`at ${width} px nothing is wider than the window and every chart label is inside its chart`, {
      timeout: 60_000,
    }, () => {
      const probed = join(tmp, `probe-${width}.html`);
      writeFileSync(probed, readFileSync(html, "utf8").replace("</body>", `${PROBE}</body>`));
      const r = load(probed, ["--dump-dom", `--window-size=${width},2000`, "--hide-scrollbars"]);
      expect(r.code).toBe(0);
      const m = /<pre id="probe">([^<]*)<\/pre>/.exec(r.dom);
      expect(m).not.toBeNull();
      const probe = JSON.parse(
        m![1]!
          .replace(/&quot;/g, '"')
          .replace(/&amp;/g, "&")
          .replace(/&lt;/g, "<")
          .replace(/&gt;/g, ">"),
      ) as {
        viewport: number;
        scrollWidth: number;
        wide: string[];
        scrollers: string[];
        clipped: string[];
        texts: number;
      };
      expect(probe.viewport).toBe(width);
      expect(probe.wide).toEqual([]);
      expect(probe.scrollers).toEqual([]);
      expect(probe.scrollWidth).toBeLessThanOrEqual(width);
      expect(probe.clipped).toEqual([]);
      expect(probe.texts).toBeGreaterThan(200);
    });
  }

  it("writes screenshots at 800 and 1400 px", { timeout: 120_000 }, () => {
    for (const width of [800, 1400]) {
      // One file per process: several checkouts may run this test on one machine at once.
      const shot = join(tmpdir(), `rlist-lab-report-${process.pid}-${width}.png`);
      rmSync(shot, { force: true });
      const r = load(html, [`--screenshot=${shot}`, `--window-size=${width},4200`, "--hide-scrollbars"]);
      expect(r.code).toBe(0);
      expect(r.console).toEqual([]);
      const png = readFileSync(shot);
      expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
      expect(statSync(shot).size).toBeGreaterThan(20_000); // a blank page compresses to a few KB
      console.info(`report screenshot: ${shot}`);
    }
  });
});

interface Probe {
  viewport: number;
  scrollWidth: number;
  wide: string[];
  scrollers: string[];
  clipped: string[];
  texts: number;
}

function readProbe(dom: string): Probe {
  const m = /<pre id="probe">([^<]*)<\/pre>/.exec(dom);
  if (m === null) throw new Error("the probe did not run");
  return JSON.parse(
    m[1]!
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&"),
  ) as Probe;
}

/**
 * Measures the laid-out page from inside (added to a copy of the report only; the report itself
 * has no scripts): elements wider than the window, boxes that scroll sideways, and chart text
 * whose box leaves its SVG. Written into a <pre> that --dump-dom returns.
 */
const PROBE = `<pre id="probe"></pre><script>
(() => {
  const vw = document.documentElement.clientWidth;
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className : "");
  const wide = [];
  const scrollers = [];
  for (const e of document.body.querySelectorAll("*")) {
    if (e.id === "probe") continue;
    const r = e.getBoundingClientRect();
    if (r.right > vw + 0.5) wide.push(name(e) + " right=" + r.right.toFixed(1));
    if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0 && getComputedStyle(e).overflowX !== "visible") scrollers.push(name(e));
  }
  const clipped = [];
  let texts = 0;
  for (const svg of document.querySelectorAll("svg.chart")) {
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll("text")) {
      texts++;
      const r = t.getBoundingClientRect();
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
        clipped.push((svg.getAttribute("aria-label") || "") + ": " + t.textContent);
    }
  }
  document.getElementById("probe").textContent = JSON.stringify({
    viewport: vw, scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 20), scrollers, clipped: clipped.slice(0, 20), texts,
  });
})();
</script>`;
