import { SHORT_NAMES } from "../study/findings.js";
import type { RepresentationResult } from "../study/measure.js";
import type { MappingResult, StudyResults, TopologyResult, WorkloadResult } from "../study/results.js";
import { esc } from "./escape.js";
import { bytes, int, millions, percent, sig3 } from "./format.js";
import { type BarCategory, type BarSeries, barChart } from "./svg-bars.js";
import { msRange, rateRange } from "./table.js";

/** One colour per representation, stable across charts (Okabe-Ito-like, readable in print). */
const PALETTE: Record<string, string> = {
  "rlist-128": "#0b6e4f",
  "rlist-512": "#08a045",
  "rlist-4096": "#6bbf59",
  fixed16: "#b8d8ba",
  bio_vec: "#0072b2",
  "bio_vec-page": "#56b4e9",
  scatterlist: "#d55e00",
  "page-array": "#e69f00",
  "js-objects": "#999999",
};

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
    "walk Me/s, min-max",
    "a full walk reading every entry's address and length with the representation's own JavaScript iterator: million entries per second at the median of the interleaved rounds, and the slowest and fastest round. Compare representations within one run; the rounds interleave them so machine load hits all of them alike.",
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
h3{font-size:16px;margin:20px 0 6px}.meta{color:#555;font-size:13px}
table{border-collapse:collapse;margin:8px 0 12px;font-size:13px;display:block;overflow-x:auto;max-width:100%}th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th{background:#f5f5f5;font-weight:600}td.l,th.l{text-align:left}td.na{color:#888;text-align:left;white-space:normal}td.wrap{white-space:normal;min-width:320px}
.findings{background:#f3f8f4;border-left:4px solid #08a045;padding:10px 16px;margin:12px 0}
.findings li{margin:4px 0}.facts{display:flex;flex-wrap:wrap;gap:4px 18px;font-size:13px;color:#333;margin:6px 0}
.facts b{font-weight:600}.chart{display:block;margin:12px 0;max-width:100%;height:auto}
.note{color:#7a4b00;background:#fff7e6;padding:6px 10px;margin:6px 0;font-size:13px}
ul.tree{list-style:none;padding-left:18px;margin:4px 0;font-family:ui-monospace,monospace;font-size:12.5px}
dl.defs dt{font-weight:600;margin-top:6px}dl.defs dd{margin:0 0 0 18px}
code{font-family:ui-monospace,monospace;font-size:12.5px}
`;

function seriesOf(ids: readonly { id: string; label: string }[]): BarSeries[] {
  return ids.map((r) => ({ id: r.id, label: SHORT_NAMES[r.id] ?? r.label, color: PALETTE[r.id] ?? "#444" }));
}

/** Representations in the order of the first workload (all workloads use the same set). */
function repIds(r: StudyResults): { id: string; label: string }[] {
  return (r.workloads[0]?.representations ?? []).map((x) => ({ id: x.id, label: x.label }));
}

function categories(r: StudyResults, value: (x: RepresentationResult) => number): BarCategory[] {
  const ids = repIds(r);
  return r.workloads.map((w) => {
    const byId = new Map(w.representations.map((x) => [x.id, x]));
    return {
      label: w.id,
      values: ids.map(({ id }) => {
        const x = byId.get(id as RepresentationResult["id"]);
        const v = x?.supported ? value(x) : 0;
        return v > 0 ? v : null; // log axes: a zero (an empty list) is shown as missing
      }),
      missing: ids.map(({ id }) => {
        const x = byId.get(id as RepresentationResult["id"]);
        if (x && !x.supported) return "cannot hold it";
        return x && value(x) <= 0 ? "0" : null;
      }),
    };
  });
}

/** The overview charts: memory per MiB described, bytes per entry, walk speed. */
export function overviewCharts(r: StudyResults): string[] {
  if (r.workloads.length === 0) return [];
  const series = seriesOf(repIds(r));
  return [
    barChart({
      title: "Memory per MiB described (lower is better)",
      unit: "bytes per MiB",
      series,
      categories: categories(r, (x) => x.bytesPerMiB),
      log: true,
    }),
    barChart({
      title: "Bytes per entry",
      unit: "bytes per entry",
      series,
      categories: categories(r, (x) => x.bytesPerEntry),
      log: true,
    }),
    barChart({
      title: "Walk speed (higher is better)",
      unit: "million entries per second",
      series,
      categories: categories(r, (x) => x.walkEntriesPerSec / 1e6),
      log: true,
    }),
  ];
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
    "walk Me/s",
    "walk min-max",
  ];
  const rows = w.representations.map((x) => {
    if (!x.supported)
      return `<tr><td class="l">${esc(x.label)}</td><td class="na" colspan="8">n/a: ${esc(x.reason ?? "")}</td></tr>`;
    const cells = [
      int(x.entries),
      int(x.bytes),
      sig3(x.bytesPerEntry),
      percent(x.efficiency),
      sig3(x.bytesPerMiB),
      millions(x.buildEntriesPerSec),
      millions(x.walkEntriesPerSec),
      x.walk === null ? "-" : rateRange(x.entries, x.walk),
    ];
    return `<tr><td class="l">${esc(x.label)}${x.measured ? " <small>(heap)</small>" : ""}</td>${cells.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`;
  });
  return `<table><thead><tr>${head.map((h, i) => `<th${i === 0 ? ' class="l"' : ""}>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function workloadSection(w: WorkloadResult): string {
  const listsLabel = `${w.groupNoun}s`;
  const facts = [
    ["ranges", int(w.ranges)],
    // Generators that count their lists themselves (nvme: "bios") already say it.
    ...(w.facts.some((f) => f.label === listsLabel) ? [] : [[listsLabel, int(w.groups)]]),
    ["described", bytes(w.bytes)],
    ["pages", int(w.pages)],
    ...w.facts.map((f) => [f.label, typeof f.value === "number" ? int(f.value) : f.value]),
  ];
  const reps = w.representations.filter((x) => x.supported);
  const chart =
    reps.length > 0
      ? barChart({
          title: `${w.id}: bytes per MiB described`,
          unit: "bytes per MiB",
          series: [{ id: "bytes", label: "bytes per MiB described", color: "#08a045" }],
          categories: reps.map((x) => ({
            label: SHORT_NAMES[x.id] ?? x.label,
            values: [x.bytesPerMiB > 0 ? x.bytesPerMiB : null],
            missing: ["0"],
          })),
          log: true,
        })
      : "";
  return `<section id="w-${esc(w.id)}"><h3>${esc(w.title)} <small>[${esc(w.id)}]</small></h3>
<p>${esc(w.summary)}</p>
<div class="facts">${facts.map(([k, v]) => `<span><b>${esc(String(k))}</b> ${esc(String(v))}</span>`).join("")}</div>
${repTable(w)}
${w.findings.length > 0 ? `<ul>${w.findings.map((f) => `<li>${esc(f)}</li>`).join("")}</ul>` : ""}
${chart}</section>`;
}

function mappingSection(maps: readonly MappingResult[]): string {
  if (maps.length === 0) return "";
  const head = [
    "workload",
    "device",
    "P2P",
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
    const left = [m.workload, m.device, m.p2pMapType ?? "-"];
    if (m.error !== null) {
      return `<tr>${left.map((c) => `<td class="l">${esc(c)}</td>`).join("")}<td class="na" colspan="8">${esc(m.error)}</td></tr>`;
    }
    const cells = [
      bytes(m.iovaBytes),
      int(m.dmaEntries),
      int(m.segments),
      m.bestBlockSize > 0 ? bytes(m.bestBlockSize) : "-",
      int(m.blocks),
      int(m.exposedBytes),
      m.map === null ? "-" : msRange(m.map),
    ];
    return `<tr>${left.map((c) => `<td class="l">${esc(c)}</td>`).join("")}<td class="l">${esc(m.path ?? "-")}</td>${cells.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`;
  });
  const ok = maps.filter((m) => m.error === null);
  const chart = barChart({
    title: "DMA entries per mapping",
    unit: "DMA entries",
    series: [{ id: "dma", label: "DMA entries", color: "#0072b2" }],
    categories: ok.map((m) => ({
      label: `${m.workload} / ${m.device}`.slice(0, 26),
      values: [Math.max(1, m.dmaEntries)],
    })),
    log: true,
  });
  return `<h2 id="mappings">Mappings</h2>
<table><thead><tr>${head.map((h, i) => `<th${i < 4 ? ' class="l"' : ""}>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>
${ok.length > 0 ? chart : ""}`;
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

/** The report: one self-contained HTML page (inline CSS and SVG, no scripts, no network). */
export function renderHtml(r: StudyResults): string {
  const p = r.params;
  const notes = [...r.machine.notes, ...r.skipped.map((s) => s.reason)];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>rlist-lab report</title><style>${CSS}</style></head>
<body>
<h1>rlist-lab: range lists against scatterlist, bio_vec and page arrays</h1>
<p class="meta">${esc(r.generatedAt)} · ${esc(r.tool.name)} ${esc(r.tool.version)} · node ${esc(r.tool.node)} · ${esc(r.tool.platform)} · entries ${int(p.entries)} · seed ${p.seed} · best of ${p.runs} runs · machine: ${esc(p.machine)} (${bytes(r.machine.ramBytes)} RAM) · data: <a href="results.json">results.json</a></p>
${notes.map((n) => `<p class="note">${esc(n)}</p>`).join("\n")}
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
