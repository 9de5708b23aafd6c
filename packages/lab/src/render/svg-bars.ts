import { esc } from "./escape.js";

/** One series (a colour in the legend), e.g. a representation. */
export interface BarSeries {
  readonly id: string;
  readonly label: string;
  readonly color: string;
}

/** One row group of bars, e.g. a workload; `values[k]` belongs to `series[k]` (null = n/a). */
export interface BarCategory {
  readonly label: string;
  readonly values: readonly (number | null)[];
  /** Why a null value is missing, shown in place of the bar. */
  readonly missing?: readonly (string | null)[];
}

export interface BarChartSpec {
  readonly title: string;
  /** Axis caption, e.g. "bytes per MiB described". */
  readonly unit: string;
  readonly series: readonly BarSeries[];
  readonly categories: readonly BarCategory[];
  /** Log10 axis for values spanning orders of magnitude (all shown values must be > 0). */
  readonly log?: boolean;
  /** Formats a value for its label; defaults to 3 significant digits. */
  readonly format?: (v: number) => string;
  readonly width?: number;
}

/** Layout constants (px). */
const LABEL_W = 170;
const VALUE_W = 90;
const BAR_H = 14;
const BAR_GAP = 3;
const GROUP_GAP = 12;
const TOP = 34;
const AXIS_H = 34;
const LEGEND_ROW = 18;

/** Default value label: 3 significant digits, thousands grouped. */
export function formatValue(v: number): string {
  if (v === 0) return "0";
  const abs = Math.abs(v);
  if (abs >= 1000) return Math.round(v).toLocaleString("en-US");
  return Number(v.toPrecision(3)).toString();
}

/** A "nice" axis maximum >= max: 1, 2, 2.5 or 5 times a power of ten. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  // log10 may land a hair under the true exponent, so step up decades until one fits.
  // Stepping the exponent (not p) also terminates for denormals, where 10 ** e underflows to 0.
  for (let e = Math.floor(Math.log10(max)) - 1; ; e++) {
    for (const m of [1, 2, 2.5, 5]) if (m * 10 ** e >= max) return m * 10 ** e;
  }
}

interface Scale {
  /** Pixel offset of value v from the axis origin, within [0, plotW]. */
  px(v: number): number;
  ticks: number[];
}

function linearScale(max: number, plotW: number): Scale {
  const top = niceMax(max);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top);
  return { px: (v) => (Math.max(0, v) / top) * plotW, ticks };
}

function logScale(min: number, max: number, plotW: number): Scale {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
  return { px: (v) => ((Math.log10(v) - lo) / (hi - lo)) * plotW, ticks };
}

/**
 * A grouped horizontal bar chart as a standalone inline `<svg>` string: one group per
 * category, one bar per series, value labels at the bar ends, "n/a" with its reason where a
 * value is missing, and a legend. No scripts, no external references.
 */
export function barChart(spec: BarChartSpec): string {
  const width = spec.width ?? 760;
  const plotW = width - LABEL_W - VALUE_W;
  const fmt = spec.format ?? formatValue;
  const shown = spec.categories.flatMap((c) =>
    c.values.filter((v): v is number => v !== null && Number.isFinite(v)),
  );
  if (spec.log && shown.some((v) => v <= 0))
    throw new RangeError(`${spec.title}: log scale needs values > 0`);
  const max = shown.length > 0 ? Math.max(...shown) : 1;
  const min = shown.length > 0 ? Math.min(...shown) : 1;
  const scale = spec.log ? logScale(min, max, plotW) : linearScale(max, plotW);

  const k = spec.series.length;
  const groupH = k * (BAR_H + BAR_GAP) - BAR_GAP;
  const plotH = spec.categories.length * (groupH + GROUP_GAP);
  const legendRows = Math.ceil(k / 4);
  const height = TOP + plotH + AXIS_H + legendRows * LEGEND_ROW + 8;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(spec.title)}">`,
    `<title>${esc(spec.title)}</title>`,
    `<text x="0" y="16" class="chart-title" font-size="14" font-weight="600">${esc(spec.title)}</text>`,
  );
  // Grid and ticks.
  const axisY = TOP + plotH;
  for (const t of scale.ticks) {
    const x = LABEL_W + scale.px(t);
    out.push(
      `<line x1="${x.toFixed(1)}" y1="${TOP - 4}" x2="${x.toFixed(1)}" y2="${axisY}" stroke="#ddd" stroke-width="1"/>`,
      `<text x="${x.toFixed(1)}" y="${axisY + 14}" font-size="10" text-anchor="middle" fill="#555">${esc(fmt(t))}</text>`,
    );
  }
  out.push(
    `<text x="${LABEL_W + plotW / 2}" y="${axisY + 28}" font-size="11" text-anchor="middle" fill="#333">${esc(spec.unit)}${spec.log ? " (log scale)" : ""}</text>`,
  );
  // Bars.
  spec.categories.forEach((cat, ci) => {
    const y0 = TOP + ci * (groupH + GROUP_GAP);
    out.push(
      `<text x="${LABEL_W - 8}" y="${(y0 + groupH / 2 + 4).toFixed(1)}" font-size="12" text-anchor="end" class="category">${esc(cat.label)}</text>`,
    );
    spec.series.forEach((s, si) => {
      const y = y0 + si * (BAR_H + BAR_GAP);
      const v = cat.values[si] ?? null;
      if (v === null || !Number.isFinite(v)) {
        const why = cat.missing?.[si] ?? null;
        out.push(
          `<text x="${LABEL_W + 4}" y="${y + BAR_H - 3}" font-size="10" fill="#888" class="na">n/a${why ? ` (${esc(why)})` : ""}</text>`,
        );
        return;
      }
      // Any non-zero value keeps a visible sliver, even at the bottom of a log axis.
      const w = v > 0 ? Math.max(2, scale.px(v)) : 0;
      out.push(
        `<rect class="bar" data-series="${esc(s.id)}" data-value="${v}" x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${esc(s.color)}"><title>${esc(`${cat.label} / ${s.label}: ${fmt(v)}`)}</title></rect>`,
        `<text x="${(LABEL_W + w + 4).toFixed(1)}" y="${y + BAR_H - 3}" font-size="10" fill="#222">${esc(fmt(v))}</text>`,
      );
    });
  });
  // Legend.
  const legendY = axisY + AXIS_H + 4;
  const colW = width / 4;
  spec.series.forEach((s, si) => {
    const x = (si % 4) * colW;
    const y = legendY + Math.floor(si / 4) * LEGEND_ROW;
    out.push(
      `<rect x="${x.toFixed(1)}" y="${y}" width="12" height="12" fill="${esc(s.color)}"/>`,
      `<text x="${(x + 16).toFixed(1)}" y="${y + 10}" font-size="11" class="legend">${esc(s.label)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n");
}
