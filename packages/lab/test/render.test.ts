import { describe, expect, it } from "vitest";
import { codeOf } from "../../../scripts/expect-code.js";
import { exampleMachine } from "../src/machine/host.js";
import { bytes, percent, sig3 } from "../src/render/format.js";
import { renderHtml } from "../src/render/html.js";
import { sideBySide, sideBySideTable, studyText, textTable, workloadTable } from "../src/render/table.js";
import { headline, workloadFindings } from "../src/study/findings.js";
import type { RepresentationResult } from "../src/study/measure.js";
import type { StudyResults, WorkloadResult } from "../src/study/results.js";
import { runStudy } from "../src/study/run.js";
import { RESULTS_JSON_SCHEMA, validateResults } from "../src/study/schema.js";
import { isWorkloadId, WORKLOAD_IDS } from "../src/workloads/workload.js";

const results: StudyResults = runStudy({
  entries: 300,
  seed: 2,
  chunkBytes: [512],
  workloads: ["rdma", "gpu-p2p"],
  runs: 1,
  liveBytes: 1 << 20,
  machine: exampleMachine(),
  machineLabel: "example",
  version: "test",
  calibrateNs: 1e6,
  mapBudgetNs: 20e6,
});

describe("text table", () => {
  it("pads columns, right-aligns numbers and lets an n/a row run on", () => {
    const t = textTable(
      [
        { title: "name", align: "left" },
        { title: "n", align: "right" },
        { title: "x", align: "right" },
      ],
      [
        ["a", "1", "22"],
        ["long name", "333", "4"],
        ["gone", "n/a: a reason longer than the columns"],
      ],
    );
    expect(t.split("\n")).toEqual([
      "name         n   x",
      "---------  ---  --",
      "a            1  22",
      "long name  333   4",
      "gone       n/a: a reason longer than the columns",
    ]);
  });

  it("studyText shows each workload, the n/a reasons and the findings", () => {
    const text = studyText(results);
    expect(text).toMatch(/^RDMA MR, random 4 KiB pages \[rdma\]: 300 ranges in 1 MR, 1\.17 MiB, 300 pages$/m);
    expect(text).toMatch(
      /^page array \(8 B per page\) +n\/a: pageless PHYSICAL ranges: a page array needs a struct page$/m,
    );
    expect(text).toContain("What this says");
    for (const f of results.findings) expect(text).toContain(`- ${f}`);
  });
});

describe("formatting", () => {
  it("formats bytes, 3 significant digits and percentages", () => {
    expect(bytes(512)).toBe("512 B");
    expect(bytes(1536)).toBe("1.5 KiB");
    expect(bytes(256 * 2 ** 20)).toBe("256 MiB");
    expect(bytes(26.7 * 2 ** 30)).toBe("26.7 GiB");
    expect(sig3(8.126)).toBe("8.13");
    expect(sig3(123456.7)).toBe("123,457");
    expect(percent(0.984)).toBe("98.4 %");
  });
});

describe("HTML report", () => {
  const html = renderHtml(results);

  it("is one self-contained page: inline CSS and SVG, no scripts, no external references", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("<style>");
    expect(html).not.toMatch(/<script|<link |<img /i);
    const refs = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs).toEqual(["results.json"]);
  });

  it("has the findings, the overview charts, a section per workload, the mapping and topology", () => {
    for (const id of ["verdicts", "findings", "overview", "workloads", "mappings", "topology", "method"])
      expect(html).toContain(`id="${id}"`);
    for (const w of results.workloads) expect(html).toContain(`id="w-${w.id}"`);
    // per workload: memory, walk speed, merging and the DMA entries of its mappings
    expect((html.match(/<svg /g) ?? []).length).toBe(4 * results.workloads.length);
    expect(html.indexOf('id="verdicts"')).toBeLessThan(html.indexOf('id="findings"'));
    expect(html).toContain("0000:03:00.0 BAR1");
    expect(html).toContain("NOT_SUPPORTED");
  });

  it("escapes text from the data", () => {
    const evil: StudyResults = {
      ...results,
      findings: ['<img src=x onerror="alert(1)">'],
      machine: { ...results.machine, notes: ["a < b & c"] },
    };
    const out = renderHtml(evil);
    expect(out).not.toContain("<img src=x");
    expect(out).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(out).toContain("a &lt; b &amp; c");
  });
});

describe("results schema", () => {
  it("accepts real results", () => {
    expect(validateResults(results)).toEqual([]);
    expect(validateResults(JSON.parse(JSON.stringify(results)))).toEqual([]);
  });

  it("names what is wrong", () => {
    const copy = JSON.parse(JSON.stringify(results)) as Record<string, unknown> & {
      workloads: Record<string, unknown>[];
    };
    copy.schema = "other";
    copy.extra = 1;
    delete copy.findings;
    copy.workloads[0]!.bytes = -1;
    (copy.workloads[0]!.representations as Record<string, unknown>[])[0]!.efficiency = 1.5;
    expect(validateResults(copy)).toEqual([
      '$: missing "findings"',
      '$: unexpected key "extra"',
      '$/schema: must be equal to constant ("rlist-lab/results@3")',
      "$/workloads/0/bytes: must be >= 0",
      "$/workloads/0/representations/0/efficiency: must be <= 1",
    ]);
    expect(validateResults(null)).toEqual(["$: must be object"]);
  });

  it("a workload id is one of WORKLOAD_IDS wherever one is recorded", () => {
    const schemaIds = (RESULTS_JSON_SCHEMA as { $defs: { workloadId: { enum: string[] } } }).$defs.workloadId
      .enum;
    expect(schemaIds).toEqual([...WORKLOAD_IDS, "procs"]);
    expect(schemaIds.every(isWorkloadId)).toBe(true);
    const copy = JSON.parse(JSON.stringify(results)) as {
      params: { workloads: string[] };
      workloads: { id: string }[];
      skipped: { id: string; reason: string }[];
      mappings: { workload: string }[];
    };
    copy.params.workloads[0] = "";
    copy.workloads[0]!.id = "0x10";
    copy.skipped.push({ id: "16", reason: "r" });
    copy.mappings[0]!.workload = "RDMA";
    const problems = validateResults(copy);
    for (const at of [
      "$/params/workloads/0",
      "$/workloads/0/id",
      `$/skipped/${copy.skipped.length - 1}/id`,
      "$/mappings/0/workload",
    ])
      expect(
        problems.some((p) => p.startsWith(`${at}: must be equal to one of the allowed values`)),
        at,
      ).toBe(true);
  });

  it("the renderers refuse a workload record whose id is no workload, unchanged", () => {
    const w = results.workloads[0]!;
    const renderers = [headline, sideBySide, sideBySideTable, workloadTable, workloadFindings];
    for (const id of ["", "0x10", "16", "RDMA"]) {
      const bad = { ...w, id } as unknown as WorkloadResult;
      const before = JSON.stringify(bad);
      for (const render of renderers)
        expect(
          codeOf(() => render(bad)),
          `${render.name}(${id})`,
        ).toBe("EINVAL");
      expect(JSON.stringify(bad)).toBe(before);
    }
    for (const render of renderers) expect(codeOf(() => render(w))).toBe("no error");
  });
});

describe("findings are computed, not canned", () => {
  const rep = (
    id: RepresentationResult["id"],
    bytes: number,
    entries: number,
    supported = true,
  ): RepresentationResult => ({
    id,
    key: id,
    label: id,
    family: "rlist",
    merge: true,
    supported,
    ...(supported ? {} : { reason: "why not" }),
    entries,
    bytes,
    bytesPerEntry: bytes / entries,
    efficiency: 1,
    bytesPerMiB: bytes,
    measured: false,
    build: null,
    kernelWalk: null,
    jsWalk: null,
    buildEntriesPerSec: 1,
    kernelWalkEntriesPerSec: 0,
    jsWalkEntriesPerSec: 1,
    checksum: null,
    c: null,
  });
  const w = (reps: RepresentationResult[], pages: number): WorkloadResult => ({
    id: "thp",
    title: "t",
    summary: "s",
    data: "synthetic",
    groupNoun: "buffer",
    groups: 1,
    ranges: 10,
    bytes: pages * 4096,
    pages,
    facts: [],
    representations: reps,
    noise: null,
    kernelNoise: null,
    findings: [],
  });

  it("names the smallest representation and the ratios of the others", () => {
    const s = headline(
      w([rep("rlist-512", 100, 10), rep("page-array", 800, 100), rep("scatterlist", 320, 10)], 100),
    );
    expect(s).toBe(
      "thp: rlist-512 is smallest (100 B per MiB described); page array needs 8.00x, scatterlist needs 3.20x: physically contiguous runs average 10 pages.",
    );
  });

  it("explains a page-array win by the lack of contiguity and lists what cannot hold it", () => {
    const s = headline(
      w([rep("rlist-512", 520, 64), rep("page-array", 512, 64), rep("bio_vec", 0, 1, false)], 64),
    );
    expect(s).toContain("thp: page array is smallest (512 B per MiB described); rlist-512 needs 1.02x");
    expect(s).toContain("almost nothing is physically contiguous (1.00 pages per range)");
    expect(s).toContain("bio_vec cannot hold it (why not)");
  });
});
