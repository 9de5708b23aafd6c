import { describe, expect, it } from "vitest";
import { codeOf } from "../../../scripts/expect-code.js";
import {
  barChart,
  createRng,
  esc,
  exampleMachine,
  formatValue,
  KernelMemory,
  loadMachine,
  main,
  niceMax,
  PAGE_SIZE,
  PfnPicker,
  RangeSetBuilder,
  ramOf,
  runStudy,
  textTable,
} from "../src/index.js";

const quietIo = { out: () => {}, err: () => {}, cwd: "/" };

describe("lab arguments", () => {
  it("render: esc, formatValue, niceMax, textTable and barChart refuse what they cannot draw", () => {
    expect(codeOf(() => esc(Symbol("x") as never))).toBe("EINVAL");
    expect(codeOf(() => esc(null as never))).toBe("EINVAL");
    expect(codeOf(() => formatValue(Number.NaN))).toBe("ERANGE");
    expect(codeOf(() => niceMax(Number.POSITIVE_INFINITY))).toBe("ERANGE");
    expect(codeOf(() => textTable([{ title: "a", align: "middle" as never }], []))).toBe("EINVAL");
    expect(codeOf(() => textTable([{ title: "a", align: "left" }], [["x", "y"]]))).toBe("EINVAL");
    expect(codeOf(() => barChart(null as never))).toBe("EINVAL");
    const spec = {
      title: "t",
      unit: "u",
      series: [{ id: "a", label: "a", color: "#000" }],
      categories: [{ label: "c", values: [1] }],
    };
    expect(barChart(spec)).toContain("<svg");
    expect(codeOf(() => barChart({ ...spec, categories: [{ label: "c", values: [Number.NaN] }] }))).toBe(
      "ERANGE",
    );
    expect(codeOf(() => barChart({ ...spec, categories: [{ label: "c", values: [1, 2] }] }))).toBe("EINVAL");
    expect(codeOf(() => barChart({ ...spec, width: 1e9 }))).toBe("ERANGE");
    expect(codeOf(() => barChart({ ...spec, format: () => 5 as never }))).toBe("EINVAL");
  });

  it("seeds are safe integers", () => {
    expect(codeOf(() => createRng(Number.NaN))).toBe("ERANGE");
    expect(codeOf(() => createRng(1n as never))).toBe("EINVAL");
    expect(codeOf(() => createRng(2 ** 53 + 2))).toBe("ERANGE");
    expect(createRng(-1).below(10)).toBeGreaterThanOrEqual(0);
  });

  it("workload builders: a refused range or page leaves the builder and the picker as they were", () => {
    const b = new RangeSetBuilder();
    b.beginGroup();
    b.addFolioRange(4, 0, 4 * PAGE_SIZE, PAGE_SIZE);
    expect(codeOf(() => b.addFolioRange(4, 0.5, 4 * PAGE_SIZE, PAGE_SIZE))).toBe("ERANGE");
    expect(codeOf(() => b.addPhysical(2 ** 53 - 2, 4, 0))).toBe("ERANGE");
    expect(codeOf(() => b.addPhysical(0, PAGE_SIZE, Symbol() as never))).toBe("EINVAL");
    expect(b.finish().count).toBe(1);
    const p = new PfnPicker([{ start: 0x100000, end: 0x400000 }], createRng(1));
    expect(codeOf(() => p.take(Number.NaN))).toBe("ERANGE");
    expect(codeOf(() => p.take(256.5))).toBe("ERANGE");
    expect(p.isFree(0x100)).toBe(true);
    expect(codeOf(() => new PfnPicker([{ start: 0x100000, end: 0x400000 }], {} as never))).toBe("EINVAL");
  });

  it("kernel memory: a page count outside 1..65536 is ERANGE", () => {
    expect(codeOf(() => new KernelMemory(0))).toBe("ERANGE");
    expect(codeOf(() => new KernelMemory(2 ** 20))).toBe("ERANGE");
    expect(codeOf(() => new KernelMemory("1" as never))).toBe("EINVAL");
  });

  it("machines: a wrong-typed root, note or memory map is EINVAL", () => {
    expect(codeOf(() => loadMachine(42 as never))).toBe("EINVAL");
    expect(codeOf(() => exampleMachine(Symbol() as never))).toBe("EINVAL");
    expect(codeOf(() => ramOf([{ kind: "ram", start: 10, end: 5 } as never]))).toBe("ERANGE");
    expect(codeOf(() => ramOf(null as never))).toBe("EINVAL");
  });

  it("main and runStudy check argv, io and every study option before any work", () => {
    expect(codeOf(() => main(["node", "rlist-lab", 5 as never], quietIo))).toBe("EINVAL");
    expect(codeOf(() => main(["node", "rlist-lab"], { ...quietIo, out: null as never }))).toBe("EINVAL");
    expect(codeOf(() => runStudy(null as never))).toBe("EINVAL");
    expect(codeOf(() => runStudy({} as never))).toBe("EINVAL");
  });
});
