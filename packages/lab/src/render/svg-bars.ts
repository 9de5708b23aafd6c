import { formatValue as describeValue, RlistError } from "@rlist/encoding";
import { checkArray, checkBoolean, checkFinite, checkFunction, checkObject, checkString } from "../args.js";
import { esc } from "./escape.js";

/** One series (a colour), e.g. a representation; in a grouped chart its label sits beside its bar. */
export interface BarSeries {
  readonly id: string;
  readonly label: string;
  readonly color: string;
}

/** One group of bars, e.g. a workload; `values[k]` belongs to `series[k]` (null = n/a). */
export interface BarCategory {
  readonly label: string;
  readonly values: readonly (number | null)[];
  /** Why a null value is missing, shown in place of the bar. */
  readonly missing?: readonly (string | null)[];
  /** Per value, the slowest and fastest round: drawn as a whisker over the bar's end. */
  readonly ranges?: readonly (readonly [number, number] | null)[];
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
  /** Width of the drawing in user units (the SVG scales to its column; default 480). */
  readonly width?: number;
}

/** Layout (user units; the SVG scales with the column, so these are px at 1:1). */
const FONT = 12;
const SMALL = 11;
const ROW = 18;
const BAR_H = 12;
const GAP = 8;
const PAD = 4;
const AXIS_H = 32;
const MAX_LABEL_SHARE = 0.42;
/** Slack for fonts wider than the estimate (a browser test measures the real ones). */
const SAFETY = 1.12;

/**
 * Width of `s` in a sans-serif font of `size` px, estimated from character classes (narrow
 * punctuation and i/l/1, digits, lower case, upper case and wide letters). Used to lay out labels
 * so they never clip; {@link SAFETY} covers the fonts that run wider than the estimate.
 */
export function textWidth(s: string, size: number): number {
  let em = 0;
  for (const ch of s) {
    if (" .,:;'|!il1()[]/-".includes(ch)) em += 0.3;
    else if ("mwMW@%".includes(ch)) em += 0.88;
    else if (ch >= "A" && ch <= "Z") em += 0.68;
    else if (ch >= "0" && ch <= "9") em += 0.56;
    else em += 0.55;
  }
  return em * size * SAFETY;
}

/** Splits `s` into lines no wider than `max` at spaces (a word wider than `max` gets its own line). */
export function wrapText(s: string, size: number, max: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of s.split(" ")) {
    const next = line === "" ? word : `${line} ${word}`;
    if (line !== "" && textWidth(next, size) > max) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  lines.push(line);
  return lines;
}

/** Default value label: 3 significant digits, thousands grouped. */
export function formatValue(v: number): string {
  checkFinite("value", v);
  if (v === 0) return "0";
  const abs = Math.abs(v);
  if (abs >= 1000) return Math.round(v).toLocaleString("en-US");
  return Number(v.toPrecision(3)).toString();
}

/** A "nice" axis maximum >= max: 1, 2, 2.5 or 5 times a power of ten. */
export function niceMax(max: number): number {
  checkFinite("max", max);
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
  const ticks = [0, 0.5, 1].map((f) => f * top);
  return { px: (v) => (Math.min(top, Math.max(0, v)) / top) * plotW, ticks };
}

function logScale(min: number, max: number, plotW: number): Scale {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  const ticks: number[] = [];
  const step = Math.ceil((hi - lo) / 4);
  for (let e = lo; e <= hi; e += step) ticks.push(10 ** e);
  return { px: (v) => Math.min(plotW, Math.max(0, ((Math.log10(v) - lo) / (hi - lo)) * plotW)), ticks };
}

function textLines(lines: readonly string[], x: number, y: number, attrs: string): string {
  if (lines.length === 1)
    return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(lines[0]!)}</text>`;
  const spans = lines.map(
    (l, i) => `<tspan x="${x.toFixed(1)}" dy="${i === 0 ? 0 : FONT + 1}">${esc(l)}</tspan>`,
  );
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${spans.join("")}</text>`;
}

/** One drawn row: a bar (or n/a) with its label beside it. */
interface Row {
  label: string[];
  color: string;
  series: string;
  value: number | null;
  missing: string | null;
  range: readonly [number, number] | null;
  tooltip: string;
}

/** Narrowest and widest drawing {@link barChart} lays out, user units. */
const MIN_WIDTH = 160;
const MAX_WIDTH = 10_000;

const checkValue = (what: string, v: unknown) => {
  if (v !== null) checkFinite(what, v);
};

/** `EINVAL` / `ERANGE` unless `spec` is a {@link BarChartSpec} (series, categories and their values). */
function checkSpec(spec: unknown): asserts spec is BarChartSpec {
  checkObject("bar chart", spec);
  const s = spec as Partial<BarChartSpec>;
  checkString("title", s.title);
  checkString("unit", s.unit);
  checkArray("series", s.series, (at, x) => {
    checkObject(at, x);
    for (const k of ["id", "label", "color"] as const) checkString(`${at}.${k}`, (x as BarSeries)[k]);
  });
  const n = s.series.length;
  checkArray("categories", s.categories, (at, x) => {
    checkObject(at, x);
    const c = x as Partial<BarCategory>;
    checkString(`${at}.label`, c.label);
    checkArray(`${at}.values`, c.values, checkValue);
    if (c.values.length !== n)
      throw new RlistError("EINVAL", `${at} has ${c.values.length} values for ${n} series`);
    if (c.missing !== undefined)
      checkArray(`${at}.missing`, c.missing, (a, m) => {
        if (m !== null) checkString(a, m);
      });
    if (c.ranges !== undefined)
      checkArray(`${at}.ranges`, c.ranges, (a, r) => {
        if (r === null) return;
        checkArray(a, r, checkValue);
        if (r.length !== 2 || r[0] === null || r[1] === null)
          throw new RlistError("EINVAL", `${a} must be [slowest, fastest] or null, got ${describeValue(r)}`);
      });
  });
  if (s.log !== undefined) checkBoolean("log", s.log);
  if (s.format !== undefined) checkFunction("format", s.format);
  if (s.width !== undefined) {
    checkFinite("width", s.width, MIN_WIDTH);
    if (s.width > MAX_WIDTH) throw new RlistError("ERANGE", `width ${s.width} is above ${MAX_WIDTH}`);
  }
}

/**
 * A horizontal bar chart as a standalone inline `<svg>` that scales to its column: with one
 * series, one row per category; with several, a heading per category and one row per series,
 * each bar labelled beside it (no separate legend). Labels are measured and wrapped so they stay
 * inside the drawing; a value that would run past the edge is drawn inside its bar. Optional
 * whiskers show the slowest and fastest round of a timed value. No scripts, no external references.
 */
export function barChart(spec: BarChartSpec): string {
  checkSpec(spec);
  const width = spec.width ?? 480;
  const userFormat = spec.format;
  const fmt =
    userFormat === undefined
      ? formatValue
      : (v: number): string => {
          const text = userFormat(v);
          if (typeof text !== "string")
            throw new RlistError("EINVAL", `format(${v}) returned ${describeValue(text)}, not a string`);
          return text;
        };
  const grouped = spec.series.length > 1;
  const rows: (Row | { heading: string[] })[] = [];
  const labelMax = width * MAX_LABEL_SHARE;
  for (const cat of spec.categories) {
    if (grouped) rows.push({ heading: wrapText(cat.label, FONT, width - 2 * PAD) });
    spec.series.forEach((s, si) => {
      const v = cat.values[si] ?? null;
      const shown = v !== null && Number.isFinite(v) ? v : null;
      rows.push({
        label: wrapText(grouped ? s.label : cat.label, SMALL, labelMax),
        color: s.color,
        series: s.id,
        value: shown,
        missing: shown === null ? (cat.missing?.[si] ?? null) : null,
        range: cat.ranges?.[si] ?? null,
        tooltip: `${cat.label}${grouped ? ` / ${s.label}` : ""}`,
      });
    });
  }
  const bars = rows.filter((r): r is Row => "label" in r);
  const labelW =
    Math.min(
      labelMax,
      Math.max(40, ...bars.map((r) => Math.max(...r.label.map((l) => textWidth(l, SMALL))))),
    ) +
    2 * PAD;
  const values = bars.flatMap((r) => (r.value === null ? [] : [r.value, ...(r.range ?? [])]));
  if (spec.log && values.some((v) => v <= 0))
    throw new RlistError("EINVAL", `${spec.title}: log scale needs values > 0`);
  const valueW =
    Math.max(30, ...bars.map((r) => (r.value === null ? 0 : textWidth(fmt(r.value), SMALL)))) + PAD;
  const plotX = labelW;
  const plotW = Math.max(40, width - labelW - valueW - PAD);
  const max = values.length > 0 ? Math.max(...values) : 1;
  const min = values.length > 0 ? Math.min(...values) : 1;
  const scale = spec.log ? logScale(min, max, plotW) : linearScale(max, plotW);

  const title = wrapText(spec.title, 14, width - 2 * PAD);
  const top = title.length * 18 + 8;
  let y = top;
  const body: string[] = [];
  for (const r of rows) {
    if ("heading" in r) {
      body.push(
        textLines(r.heading, PAD, y + FONT, `font-size="${FONT}" font-weight="600" class="category"`),
      );
      y += r.heading.length * (FONT + 1) + 5;
      continue;
    }
    const h = Math.max(ROW, r.label.length * (SMALL + 1) + 4);
    const mid = y + h / 2;
    body.push(
      textLines(
        r.label,
        labelW - PAD,
        mid + 4 - ((r.label.length - 1) * (SMALL + 1)) / 2,
        `font-size="${SMALL}" text-anchor="end" class="label"`,
      ),
    );
    if (r.value === null) {
      body.push(
        `<text x="${(plotX + PAD).toFixed(1)}" y="${(mid + 4).toFixed(1)}" font-size="${SMALL - 1}" fill="#777" class="na">${esc(`n/a${r.missing ? ` (${r.missing})` : ""}`)}</text>`,
      );
    } else {
      const w = r.value > 0 ? Math.max(2, scale.px(r.value)) : 0;
      const label = fmt(r.value);
      body.push(
        `<rect class="bar" data-series="${esc(r.series)}" data-value="${r.value}" x="${plotX.toFixed(1)}" y="${(mid - BAR_H / 2).toFixed(1)}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${esc(r.color)}"><title>${esc(`${r.tooltip}: ${label}${r.range ? ` (rounds ${fmt(r.range[0])}-${fmt(r.range[1])})` : ""}`)}</title></rect>`,
      );
      let end = plotX + w;
      if (r.range !== null) {
        const x0 = plotX + scale.px(Math.max(r.range[0], spec.log ? min : 0));
        const x1 = plotX + scale.px(r.range[1]);
        body.push(
          `<path class="whisker" d="M${x0.toFixed(1)} ${mid.toFixed(1)}H${x1.toFixed(1)}M${x0.toFixed(1)} ${(mid - 4).toFixed(1)}V${(mid + 4).toFixed(1)}M${x1.toFixed(1)} ${(mid - 4).toFixed(1)}V${(mid + 4).toFixed(1)}" stroke="#222" stroke-width="1" fill="none"/>`,
        );
        end = Math.max(end, x1);
      }
      const tw = textWidth(label, SMALL);
      // Past the right edge: inside the bar, in white.
      const inside = end + PAD + tw > width - PAD && w > tw + 2 * PAD;
      body.push(
        inside
          ? `<text x="${(plotX + w - PAD).toFixed(1)}" y="${(mid + 4).toFixed(1)}" font-size="${SMALL}" text-anchor="end" fill="#fff" class="value">${esc(label)}</text>`
          : `<text x="${(end + PAD).toFixed(1)}" y="${(mid + 4).toFixed(1)}" font-size="${SMALL}" fill="#222" class="value">${esc(label)}</text>`,
      );
    }
    y += h;
  }
  const plotBottom = y + GAP / 2;
  const grid: string[] = [];
  scale.ticks.forEach((t, i) => {
    const x = plotX + scale.px(t);
    const anchor = i === 0 ? "start" : i === scale.ticks.length - 1 ? "end" : "middle";
    grid.push(
      `<line x1="${x.toFixed(1)}" y1="${top - 2}" x2="${x.toFixed(1)}" y2="${plotBottom.toFixed(1)}" stroke="#e3e3e3" stroke-width="1"/>`,
      `<text x="${x.toFixed(1)}" y="${(plotBottom + 13).toFixed(1)}" font-size="10" text-anchor="${anchor}" fill="#555" class="tick">${esc(fmt(t))}</text>`,
    );
  });
  const caption = `${spec.unit}${spec.log ? " (log scale)" : ""}`;
  const cw = textWidth(caption, 11);
  const cx = Math.min(width - PAD - cw / 2, Math.max(PAD + cw / 2, plotX + plotW / 2));
  const height = Math.ceil(plotBottom + AXIS_H);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(spec.title)}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">`,
    `<title>${esc(spec.title)}</title>`,
    textLines(title, 0, 15, `font-size="14" font-weight="600" class="chart-title"`),
    ...grid,
    ...body,
    `<text x="${cx.toFixed(1)}" y="${(plotBottom + 27).toFixed(1)}" font-size="11" text-anchor="middle" fill="#333" class="unit">${esc(caption)}</text>`,
    "</svg>",
  ].join("\n");
}
