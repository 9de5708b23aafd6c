import { shortName } from "../study/findings.js";
import type { RepresentationResult } from "../study/measure.js";
import type { MappingResult, StudyResults, TopologyResult, WorkloadResult } from "../study/results.js";
import { checkResultsRecord } from "../study/schema.js";
import type { Verdict } from "../study/verdicts.js";
import { esc } from "./escape.js";
import { bytes, int, millions, percent, sig3 } from "./format.js";
import { type BarSeries, barChart } from "./svg-bars.js";
import { rateRange, sideBySide } from "./table.js";

/**
 * One colour family per representation family, in distinct shades: rlist greens (dark to light
 * by chunk size), fixed16 purple, bio_vec blues, scatterlist orange, page array gold, JS objects
 * grey. A variant without merging takes its family's colour lighter.
 */
export const PALETTE: Record<string, string> = {
  "rlist-128": "#00441b",
  "rlist-512": "#238b45",
  "rlist-4096": "#74c476",
  fixed16: "#6a51a3",
  bio_vec: "#08519c",
  "bio_vec-page": "#6baed6",
  scatterlist: "#d94801",
  "page-array": "#b8860b",
  "js-objects": "#737373",
};

/** Colour of a representation variant: its family shade, lighter without merging. */
export function colorOf(r: { id: string; key: string }): string {
  const base = PALETTE[r.id] ?? "#444444";
  if (!r.key.endsWith("/no-merge")) return base;
  const n = Number.parseInt(base.slice(1), 16);
  const mix = (c: number) => Math.round(c + (255 - c) * 0.55);
  const rgb = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map(mix);
  return `#${rgb.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

/** What each metric means, shown in the report and the README. */
export const METRIC_DEFINITIONS: readonly [string, string][] = [
  ["entries", "records the representation stores after its own merging (a page array stores one per page)."],
  [
    "bytes",
    "memory holding the entries: whole chunks for rlist and fixed16, allocated entries for the scatterlist (chain slots included), arrays for bio_vec and page arrays, measured heap growth for plain JS objects. Per-list headers (sg_table, struct bio, struct rlist) are not counted.",
  ],
  ["B/entry", "bytes / entries."],
  [
    "efficiency",
    "bytes of entry records / bytes: what chunk headers, end markers, unused chunk tails and chain slots cost. For JS objects it is a dense 24-byte entry over the measured heap.",
  ],
  [
    "B/MiB",
    "bytes per MiB of memory described: the figure to compare representations by, since their entry counts differ.",
  ],
  [
    "build Me/s",
    "million entries built per second from the neutral range list, at the median of the interleaved rounds.",
  ],
  [
    "kernel walk Me/s, min-max",
    "a full walk of every list with the representation's WebAssembly kernel (the rlist's and fixed16's RangeList checksum(), the lab's walk kernels for bio_vec, scatterlist and page array): for every entry, add its length and its address to two sums mod 2^64, the same work for every representation and the work of the C yardstick's rl_sum(), one kernel call per list. Million entries per second at the median of the interleaved rounds, and the slowest and fastest round. Walk speed is ranked by this figure; compare representations within one run, whose rounds interleave them so machine load hits all of them alike.",
  ],
  [
    "JS cursor Me/s",
    "the same walk with the representation's own JavaScript iterator over the same bytes (the rlist's cursor, a loop over a typed-array view for the others): what the JavaScript engine makes of each loop, shown for reference and not ranked.",
  ],
  [
    "C (side by side)",
    "the C yardstick (packages/list/bench/c/rlist_ref.c: the same chunk encoding, rl_sum()), compiled with gcc -O2, given the entries of the rlist this study built, building the same lists and walking them once per round beside the kernels. Its chk= (entries, length sum, base sum) must equal the kernel walk's sums, or no C figure is shown. kernel/C and JS cursor/C are speed ratios taken per round, median (min-max). Left out, with a note, when gcc is missing.",
  ],
  ["IOVA", "bytes of IOVA space the mapping allocated (0 for dma-direct and for bus-address P2P)."],
  [
    "DMA entries, segments",
    "entries of the DMA list, and segments after the device's max-segment-size and boundary limits.",
  ],
  [
    "best block",
    "the largest page size the device can use to treat the DMA list as a block (page) list, like ib_umem_find_best_pgsz(); blocks is the count at that size.",
  ],
  ["exposed B", "bytes outside the buffer the device can reach because the IOMMU maps whole pages."],
  [
    "map+unmap",
    "time to map and unmap every list of the workload for that device: median of interleaved rounds (all devices of a workload once per round) and the fastest-slowest round.",
  ],
];

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1a1a1a;max-width:1100px;margin:24px auto;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:16px;margin:20px 0 6px}.meta{color:#555;font-size:13px;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:8px 0 12px;font-size:12.5px;max-width:100%}
th,td{padding:3px 6px;border-bottom:1px solid #eee;text-align:right;vertical-align:top}
th{background:#f5f5f5;font-weight:600;white-space:normal}td{white-space:nowrap}
td.l,th.l{text-align:left}td.l{white-space:normal;overflow-wrap:anywhere}td.na{color:#888;text-align:left;white-space:normal}
td small{display:block;color:#666;font-size:11px}
.verdicts{display:grid;gap:10px;margin:12px 0}
.verdict{background:#f3f8f4;border-left:4px solid #238b45;padding:8px 14px}
.verdict h3{margin:0 0 4px;font-size:15px}.verdict p{margin:2px 0}.verdict .margin,.verdict .timed{font-size:12.5px;color:#444}
.verdict .data{display:inline-block;font-size:11.5px;background:#e1efe4;border-radius:3px;padding:0 6px;margin-left:6px;color:#1b5e20}
.findings{background:#f7f7f7;border-left:4px solid #999;padding:8px 16px;margin:12px 0}
.findings li{margin:4px 0}.facts{display:flex;flex-wrap:wrap;gap:4px 18px;font-size:13px;color:#333;margin:6px 0}
.facts b{font-weight:600}
.multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,440px),1fr));gap:8px 28px;margin:8px 0 16px}
svg.chart{display:block;width:100%;height:auto;max-width:600px;margin:8px 0}
.note{color:#7a4b00;background:#fff7e6;padding:6px 10px;margin:6px 0;font-size:13px;overflow-wrap:anywhere}
ul.tree{list-style:none;padding-left:18px;margin:4px 0;font-family:ui-monospace,monospace;font-size:12.5px;overflow-wrap:anywhere}
dl.defs dt{font-weight:600;margin-top:6px}dl.defs dd{margin:0 0 0 18px}
code{font-family:ui-monospace,monospace;font-size:12.5px}
`;

/** Supported, merging representations of a workload (the no-merge variants belong to the merging chart). */
function contenders(w: WorkloadResult): RepresentationResult[] {
  return w.representations.filter((x) => x.merge !== false);
}

function series(reps: readonly RepresentationResult[]): BarSeries[] {
  return reps.map((x) => ({ id: x.key, label: shortName(x), color: colorOf(x) }));
}

/** One small chart per workload: a bar per representation, labelled beside it. */
function perWorkload(
  r: StudyResults,
  title: (w: WorkloadResult) => string,
  unit: string,
  value: (x: RepresentationResult) => number,
  range?: (x: RepresentationResult) => readonly [number, number] | null,
  missing: (x: RepresentationResult) => string | null = (x) => (x.supported ? null : "cannot hold it"),
): string {
  const charts = r.workloads.map((w) => {
    const reps = contenders(w);
    return barChart({
      title: title(w),
      unit,
      series: series(reps),
      categories: [
        {
          label: `${w.id} (${w.data})`,
          values: reps.map((x) => (x.supported && value(x) > 0 ? value(x) : null)),
          missing: reps.map(missing),
          ...(range && { ranges: reps.map((x) => (x.supported ? range(x) : null)) }),
        },
      ],
      log: true,
    });
  });
  return `<div class="multiples">${charts.join("\n")}</div>`;
}

/** The overview: memory per MiB and walk speed per workload, and what merging saves. */
export function overviewCharts(r: StudyResults): string[] {
  checkResultsRecord("results", null, r);
  if (r.workloads.length === 0) return [];
  const out = [
    `<h3>Memory per MiB described (lower is better)</h3>${perWorkload(
      r,
      (w) => `${w.id}: bytes per MiB described`,
      "bytes per MiB",
      (x) => x.bytesPerMiB,
    )}`,
    `<h3>Walk speed (WebAssembly kernels, the same work per entry; whiskers: slowest and fastest round)</h3>${perWorkload(
      r,
      (w) => `${w.id}: million entries walked per second`,
      "million entries per second",
      (x) => x.kernelWalkEntriesPerSec / 1e6,
      (x) =>
        x.kernelWalk === null
          ? null
          : [(x.entries / x.kernelWalk.maxNs) * 1e3, (x.entries / x.kernelWalk.minNs) * 1e3],
      (x) => (!x.supported ? "cannot hold it" : x.kernelWalk === null ? "no kernel (JS heap objects)" : null),
    )}`,
  ];
  const merged = r.workloads.filter((w) => w.representations.some((x) => x.merge === false && x.supported));
  if (merged.length > 0) {
    const pairs = (w: WorkloadResult) =>
      w.representations.filter(
        (x) => x.merge !== null && x.supported && x.family !== "js-objects" && x.id !== "bio_vec",
      );
    const charts = merged.map((w) => {
      const reps = pairs(w);
      return barChart({
        title: `${w.id}: entries with and without merging`,
        unit: "entries",
        series: series(reps),
        categories: [{ label: `${w.id} (${w.data})`, values: reps.map((x) => x.entries) }],
      });
    });
    out.push(
      `<h3>Merging: entries stored, merged and not (lighter)</h3><div class="multiples">${charts.join("\n")}</div>`,
    );
  }
  return out;
}

function repTable(w: WorkloadResult): string {
  const head = [
    "representation",
    "entries",
    "bytes",
    "B/entry",
    "efficiency",
    "B/MiB",
    "build Me/s",
    "kernel walk Me/s",
    "JS cursor Me/s",
  ];
  const rows = w.representations.map((x) => {
    if (!x.supported)
      return `<tr><td class="l">${esc(x.label)}</td><td class="na" colspan="${head.length - 1}">n/a: ${esc(x.reason ?? "")}</td></tr>`;
    const cells = [
      int(x.entries),
      int(x.bytes),
      sig3(x.bytesPerEntry),
      percent(x.efficiency),
      sig3(x.bytesPerMiB),
      millions(x.buildEntriesPerSec),
    ];
    const kernel =
      x.kernelWalk === null
        ? "-"
        : `${esc(millions(x.kernelWalkEntriesPerSec))}${x.kernelWalk.samplesNs.length < 2 ? "" : `<small>${esc(rateRange(x.entries, x.kernelWalk))}</small>`}`;
    return `<tr><td class="l">${esc(x.label)}${x.measured ? " <small>(heap)</small>" : ""}</td>${cells.map((c) => `<td>${esc(c)}</td>`).join("")}<td>${kernel}</td><td>${esc(millions(x.jsWalkEntriesPerSec))}</td></tr>`;
  });
  return `<table><thead><tr>${head.map((h, i) => `<th${i === 0 ? ' class="l"' : ""}>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/** JS cursor, WebAssembly kernel and C on the same lists, for the rlist variants C walked. */
function sideBySideHtml(w: WorkloadResult): string {
  const rows = sideBySide(w);
  if (rows.length === 0) return "";
  const head = ["rlist walks side by side (Me/s)", "JS cursor", "kernel", "C", "kernel/C", "JS cursor/C"];
  const cell = (v: string) => {
    const m = /^(.*?) \((.*)\)$/.exec(v);
    return m ? `<td>${esc(m[1]!)}<small>${esc(m[2]!)}</small></td>` : `<td>${esc(v)}</td>`;
  };
  const body = rows.map((r) =>
    r.c.startsWith("no figure")
      ? `<tr><td class="l">${esc(r.label)}</td>${cell(r.js)}${cell(r.kernel)}<td class="na" colspan="3">${esc(r.c)}</td></tr>`
      : `<tr><td class="l">${esc(r.label)}</td>${[r.js, r.kernel, r.c, r.kernelVsC, r.jsVsC].map(cell).join("")}</tr>`,
  );
  return `<table class="side"><thead><tr>${head.map((h, i) => `<th${i === 0 ? ' class="l"' : ""}>${esc(h)}</th>`).join("")}</tr></thead><tbody>${body.join("")}</tbody></table>`;
}

function workloadSection(w: WorkloadResult): string {
  const listsLabel = `${w.groupNoun}s`;
  const facts: [string, string][] = [
    ["ranges", int(w.ranges)],
    [listsLabel, int(w.groups)],
    ["described", bytes(w.bytes)],
    ["pages", int(w.pages)],
  ];
  // A generator's own facts may repeat these ("pages", "bios"): each label is shown once.
  for (const f of w.facts)
    if (!facts.some(([k]) => k === f.label))
      facts.push([f.label, typeof f.value === "number" ? int(f.value) : f.value]);
  const noise =
    w.noise === null
      ? ""
      : `<p class="meta">Timing noise floor of this workload, the largest per-round ratio between two walks of identical lists over ${w.noise.rounds} rounds: kernel walks ${w.kernelNoise === null ? "-" : `${esc(sig3(w.kernelNoise.factor))}x (${esc(w.kernelNoise.control)})`}, JavaScript walks and mappings ${esc(sig3(w.noise.factor))}x (${esc(w.noise.control)}).</p>`;
  return `<section id="w-${esc(w.id)}"><h3>${esc(w.title)} <small>[${esc(w.id)}, ${esc(w.data)}]</small></h3>
<p>${esc(w.summary)}</p>
<div class="facts">${facts.map(([k, v]) => `<span><b>${esc(k)}</b> ${esc(v)}</span>`).join("")}</div>
${repTable(w)}
${sideBySideHtml(w)}
${noise}
${w.findings.length > 0 ? `<ul>${w.findings.map((f) => `<li>${esc(f)}</li>`).join("")}</ul>` : ""}
</section>`;
}

function mappingSection(maps: readonly MappingResult[]): string {
  if (maps.length === 0) return "";
  const head = [
    "workload",
    "device",
    "path",
    "IOVA",
    "DMA entries",
    "segments",
    "best block",
    "blocks",
    "exposed B",
    "map+unmap",
  ];
  const rows = maps.map((m) => {
    const path = [m.p2pMapType, m.path].filter((x) => x !== null).join(" / ");
    const left = [m.workload, m.device, path];
    if (m.error !== null) {
      return `<tr>${left.map((c) => `<td class="l">${esc(c)}</td>`).join("")}<td class="na" colspan="${head.length - 3}">${esc(m.error)}</td></tr>`;
    }
    const cells = [
      bytes(m.iovaBytes),
      int(m.dmaEntries),
      int(m.segments),
      m.bestBlockSize > 0 ? bytes(m.bestBlockSize) : "-",
      int(m.blocks),
      int(m.exposedBytes),
    ];
    const time =
      m.map === null
        ? "-"
        : `${esc(`${sig3(m.map.medianNs / 1e6)} ms`)}${m.map.samplesNs.length < 2 ? "" : `<small>${esc(`${sig3(m.map.minNs / 1e6)}-${sig3(m.map.maxNs / 1e6)}`)}</small>`}`;
    return `<tr>${left.map((c) => `<td class="l">${esc(c)}</td>`).join("")}${cells.map((c) => `<td>${esc(c)}</td>`).join("")}<td>${time}</td></tr>`;
  });
  const workloads = [...new Set(maps.map((m) => m.workload))];
  const charts = workloads.flatMap((id) => {
    const ok = maps.filter((m) => m.workload === id && m.error === null);
    if (ok.length === 0) return [];
    return [
      barChart({
        title: `${id}: DMA entries per device`,
        unit: "DMA entries",
        series: [{ id: "dma", label: "DMA entries", color: "#08519c" }],
        categories: ok.map((m) => ({ label: m.device, values: [Math.max(1, m.dmaEntries)] })),
        log: true,
      }),
    ];
  });
  return `<h2 id="mappings">Mappings</h2>
<table><thead><tr>${head.map((h, i) => `<th${i < 3 ? ' class="l"' : ""}>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>
${charts.length > 0 ? `<div class="multiples">${charts.join("\n")}</div>` : ""}`;
}

/** The headline block: every verdict's question, answer, margin and the data behind it. */
function verdictSection(verdicts: readonly Verdict[]): string {
  if (verdicts.length === 0) return "";
  const items = verdicts.map(
    (
      v,
    ) => `<div class="verdict" id="v-${esc(v.id)}"><h3>${esc(v.question)}${v.data.map((d) => `<span class="data">${esc(d)}</span>`).join("")}</h3>
<p>${esc(v.answer)}</p>
<p class="margin">Margin: ${esc(v.margin)}</p>
${v.timed === null ? "" : `<p class="timed">Timed: ${esc(v.timed.answer)}</p>`}</div>`,
  );
  return `<h2 id="verdicts">Verdicts</h2>
<p class="meta">Answers are decided from exact figures (bytes, entries, IOVA, exposure, map types); timed lines name a winner only outside the measured noise. Evidence per workload is in results.json.</p>
<div class="verdicts">${items.join("\n")}</div>`;
}

function topologySection(t: TopologyResult): string {
  const bridges = t.hostBridges
    .map((hb) => {
      const items = hb.functions
        .map(
          (f) =>
            `<li style="margin-left:${f.depth * 16}px">${esc(f.bdf)} ${esc(f.type)} [${esc(f.vendor.slice(2))}:${esc(f.device.slice(2))}] class ${esc(f.classCode)}${f.acsRedirect ? " <b>ACS redirect</b>" : ""}${f.bars.map((b) => ` BAR${b.index} ${esc(b.cpuAddress)}+${esc(b.size)}`).join("")}</li>`,
        )
        .join("");
      return `<li>${esc(hb.name)} (host bridge P2P: ${esc(hb.p2p)})<ul class="tree">${items}</ul></li>`;
    })
    .join("");
  const p2p =
    t.p2p.length === 0
      ? ""
      : `<table><thead><tr><th class="l">provider</th><th class="l">client</th><th class="l">map type</th><th>distance</th><th class="l">why</th></tr></thead><tbody>${t.p2p
          .map(
            (p) =>
              `<tr><td class="l">${esc(p.provider)}</td><td class="l">${esc(p.client)}</td><td class="l">${esc(p.mapType)}</td><td>${p.distance}</td><td class="l wrap">${esc(p.reason)}</td></tr>`,
          )
          .join("")}</tbody></table>`;
  const cpu = t.cpuSupportsP2p
    ? `<p class="meta">The CPU routes P2P through any root complex (like cpu_supports_p2pdma()).</p>`
    : "";
  return `<h3>${esc(t.label)}</h3>${cpu}<ul class="tree">${bridges}</ul>${p2p}`;
}

/** What the C column is, or why there is none. */
function cLine(r: StudyResults): string {
  const c = r.cYardstick;
  if (c.status === "ran")
    return `Walk speed is ranked by WebAssembly kernels (the same work per entry for every representation); JS cursors are shown for reference, and the C yardstick (${c.compiler}, ${c.flags}) walks the rlist's own lists beside them.`;
  return `Walk speed is ranked by WebAssembly kernels (the same work per entry for every representation); JS cursors are shown for reference. No C column: ${c.note ?? ""}`;
}

/** The report: one self-contained HTML page (inline CSS and SVG, no scripts, no network). */
export function renderHtml(r: StudyResults): string {
  checkResultsRecord("results", null, r);
  const p = r.params;
  const notes = [...r.machine.notes, ...r.skipped.map((s) => s.reason)];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>rlist-lab report</title><style>${CSS}</style></head>
<body>
<h1>rlist-lab: range lists against scatterlist, bio_vec and page arrays</h1>
<p class="meta">${esc(r.generatedAt)} · ${esc(r.tool.name)} ${esc(r.tool.version)} · node ${esc(r.tool.node)} · ${esc(r.tool.platform)} · entries ${int(p.entries)} · seed ${p.seed} · ${p.runs} interleaved rounds · merge ${esc(p.merge.join(", "))} · machine: ${esc(p.machine)} (${bytes(r.machine.ramBytes)} RAM) · data: <a href="results.json">results.json</a></p>
${verdictSection(r.verdicts)}
${notes.map((n) => `<p class="note">${esc(n)}</p>`).join("\n")}
<p class="meta">${esc(cLine(r))}</p>
<h2 id="findings">What this says</h2>
<div class="findings"><ul>${r.findings.map((f) => `<li>${esc(f)}</li>`).join("")}</ul></div>
<h2 id="overview">Overview</h2>
${overviewCharts(r).join("\n")}
<h2 id="workloads">Workloads</h2>
${r.workloads.map(workloadSection).join("\n")}
${mappingSection(r.mappings)}
<h2 id="topology">Topology</h2>
${r.machine.topologies.map(topologySection).join("\n")}
<p class="meta">RAM the generators drew from: ${r.machine.ramRegions.map((x) => `0x${x.start.toString(16)}-0x${(x.end - 1).toString(16)}`).join(", ")}</p>
<h2 id="method">How the figures are counted</h2>
<dl class="defs">${METRIC_DEFINITIONS.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>
<h3>Representations</h3>
<dl class="defs">${r.representations.map((a) => `<dt>${esc(a.label)}</dt><dd>${esc(a.accounting)}</dd>`).join("")}</dl>
</body></html>
`;
}
