import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../scripts/expect-code.js";
import { esc } from "../src/render/escape.js";
import { barChart, formatValue, niceMax, textWidth, wrapText } from "../src/render/svg-bars.js";

const series = [
  { id: "a", label: "alpha", color: "#111111" },
  { id: "b", label: "beta <b>", color: "#222222" },
];

/** Checks tags nest and close properly (a tiny well-formedness test for our own output). */
function wellFormed(xml: string): boolean {
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self) continue;
    if (close) {
      if (stack.pop() !== name) return false;
    } else stack.push(name!);
  }
  return stack.length === 0 && !/<(?![a-zA-Z/])/.test(xml.replace(/<!--.*?-->/g, ""));
}

function bars(svg: string): { series: string; value: number; x: number; width: number }[] {
  return [
    ...svg.matchAll(
      /<rect class="bar" data-series="([^"]+)" data-value="([^"]+)" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g,
    ),
  ].map((m) => ({ series: m[1]!, value: Number(m[2]), x: Number(m[3]), width: Number(m[4]) }));
}

describe("barChart", () => {
  it("draws one bar per present value, proportional on a linear axis", () => {
    const svg = barChart({
      title: "Bytes",
      unit: "B",
      series,
      categories: [
        { label: "rdma", values: [10, 40] },
        { label: "thp", values: [20, null], missing: [null, "needs struct page"] },
      ],
    });
    expect(wellFormed(svg)).toBe(true);
    const b = bars(svg);
    expect(b.map((x) => x.value)).toEqual([10, 40, 20]);
    expect(b[1]!.width / b[0]!.width).toBeCloseTo(4, 1);
    expect(b[2]!.width / b[0]!.width).toBeCloseTo(2, 1);
    expect(svg).toContain("n/a (needs struct page)");
    expect(svg).toContain("beta &lt;b&gt;");
    expect(svg).not.toContain("beta <b>");
  });

  it("log axis orders bars by magnitude and rejects non-positive values", () => {
    const svg = barChart({
      title: "t",
      unit: "u",
      series: [series[0]!],
      log: true,
      categories: [1, 10, 1000].map((v) => ({ label: String(v), values: [v] })),
    });
    const w = bars(svg).map((x) => x.width);
    expect(w[0]).toBeLessThan(w[1]!);
    expect(w[1]).toBeLessThan(w[2]!);
    // Equal steps per decade (the bar at the axis minimum is a 2-px sliver from position 0).
    expect(w[0]).toBe(2);
    expect(w[2]! - w[1]!).toBeCloseTo(2 * w[1]!, 0);
    expect(svg).toContain("(log scale)");
    expectCode(
      () =>
        barChart({
          title: "t",
          unit: "u",
          series: [series[0]!],
          log: true,
          categories: [{ label: "z", values: [0] }],
        }),
      "EINVAL",
    );
  });

  it("is well formed, escapes every label and never exceeds the plot for any data", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            label: fc.string(),
            values: fc.array(fc.option(fc.double({ min: 0, max: 1e12, noNaN: true })), {
              minLength: 2,
              maxLength: 2,
            }),
          }),
          { maxLength: 6 },
        ),
        (categories) => {
          const svg = barChart({ title: "<&>", unit: "u", series, categories, width: 600 });
          expect(wellFormed(svg)).toBe(true);
          for (const b of bars(svg)) expect(b.x + b.width).toBeLessThanOrEqual(600);
          // Every value label starts inside the drawing and, by the width estimate, ends inside it.
          for (const m of svg.matchAll(/<text x="([\d.]+)"[^>]*class="value">([^<]*)<\/text>/g)) {
            const anchorEnd = m[0].includes('text-anchor="end"');
            const x = Number(m[1]);
            const w = textWidth(m[2]!, 11);
            expect(anchorEnd ? x - w : x + w).toBeGreaterThanOrEqual(0);
            expect(anchorEnd ? x : x + w).toBeLessThanOrEqual(600 + 0.1);
          }
          expect(svg.startsWith("<svg")).toBe(true);
          expect(svg).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("empty charts still render an axis", () => {
    const svg = barChart({ title: "none", unit: "u", series, categories: [] });
    expect(wellFormed(svg)).toBe(true);
    expect(bars(svg)).toHaveLength(0);
  });
});

describe("labels that fit", () => {
  it("wraps a long label at spaces into lines no wider than asked", () => {
    const lines = wrapText("NIC behind a denied root complex with a long name", 11, 120);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(textWidth(l, 11)).toBeLessThanOrEqual(120);
    expect(lines.join(" ")).toBe("NIC behind a denied root complex with a long name");
  });

  it("labels each bar of a grouped chart beside it (no legend) and wraps long category labels", () => {
    const svg = barChart({
      title: "t",
      unit: "u",
      series,
      categories: [
        { label: "a category label long enough to need two lines in a narrow chart", values: [1, 2] },
      ],
      width: 240,
    });
    expect(svg).toContain('class="label">alpha</text>');
    expect(svg).toMatch(/<tspan[^>]*>/);
    expect(svg).not.toContain("legend");
  });
});

describe("helpers", () => {
  it("niceMax rounds up to 1/2/2.5/5 x 10^k", () => {
    expect(niceMax(7)).toBe(10);
    expect(niceMax(1.5)).toBe(2);
    expect(niceMax(230)).toBe(250);
    expect(niceMax(4100)).toBe(5000);
    expect(niceMax(0)).toBe(1);
    expect(niceMax(5e-324)).toBeGreaterThanOrEqual(5e-324);
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1e15, noNaN: true }), (v) => {
        expect(niceMax(v)).toBeGreaterThanOrEqual(v);
      }),
    );
  });

  it("formatValue keeps 3 significant digits and groups thousands", () => {
    expect(formatValue(8.123)).toBe("8.12");
    expect(formatValue(32.25)).toBe("32.3");
    expect(formatValue(123456)).toBe("123,456");
    expect(formatValue(0)).toBe("0");
  });

  it("esc escapes the five HTML specials", () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
});
