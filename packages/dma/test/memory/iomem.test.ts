import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { type IomemResourceBig, parseIomem, parseIomemBig } from "../../src/memory/iomem.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";
import { regionsFromIomem } from "../../src/memory/regions.js";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

describe("parseIomem on this machine's /proc/iomem (AWS EPYC VM, captured as root)", () => {
  const text = fixture("iomem-aws-epyc-vm.txt");
  const tree = parseIomem(text);

  it("keeps the top-level lines and their nesting", () => {
    expect(tree.map((r) => r.name)).toEqual([
      "Reserved",
      "System RAM",
      "Reserved",
      "System RAM",
      "PCI Bus 0000:00",
      "Reserved",
      "IOAPIC 0",
      "System RAM",
      "PCI Bus 0000:00",
    ]);
    const kernel = tree[4 - 1]!.children.map((c) => c.name);
    expect(kernel).toEqual(["Kernel code", "Kernel rodata", "Kernel data", "Kernel bss"]);
    expect(tree[5]!.children[0]!.children[0]).toMatchObject({ name: "PCI Bus 0000:00", depth: 2 });
  });

  it("finds RAM above 4 GiB and 64-bit BARs above 4 GiB", () => {
    const mem = PhysicalMemory.fromIomem(text);
    expect(mem.regionOf(0x1_0000_0000)).toMatchObject({
      kind: "ram",
      start: 0x1_0000_0000,
      size: 0x5_4000_0000,
    });
    expect(mem.regionOf(0x40_0000_0000)).toMatchObject({ kind: "bar", name: "0000:00:01.0", size: 0x8_0000 });
    expect(mem.regionOf(0x40_0020_0000)).toMatchObject({ kind: "bar", name: "0000:00:05.0" });
    expect(mem.regions.filter((r) => r.kind === "bar")).toHaveLength(5);
    // The unclaimed rest of the 64-bit PCI window and the 32-bit window are holes.
    expect(mem.regionOf(0x40_0028_0000)).toBeNull();
    expect(mem.regionOf(0xc000_2000)).toBeNull();
    expect(mem.ramBytes).toBe(0x9_fc00 - 0x1000 + (0xc000_0000 - 0x10_0000) + 0x5_4000_0000);
  });

  it("refuses the all-zero listing non-root readers get", () => {
    const err = expectCode(() => parseIomem(fixture("iomem-nonroot.txt")), "EINVAL");
    expect(err.message).toMatch(/root/);
  });
});

describe("parseIomem on a hand-written dual-socket Xeon server", () => {
  const text = fixture("iomem-server-2s-xeon.txt");
  const mem = PhysicalMemory.fromIomem(text);

  it("maps both sockets' RAM, above 4 GiB included", () => {
    expect(mem.regionOf(0x20_0000_0000)).toMatchObject({
      kind: "ram",
      start: 0x1_0000_0000,
      size: 0x2f_8000_0000,
    });
    expect(mem.regionOf(0x607f_ffff_ff)).toMatchObject({ kind: "ram", start: 0x30_8000_0000 });
    expect(mem.regionOf(0x6080_0000_00)).toBeNull();
    expect(mem.folioOf(0x60_7fff_f000 / 4096)).toMatchObject({ order: 0, pgmap: null });
  });

  it("finds 64-bit prefetchable BARs through three levels of bridge windows", () => {
    expect(mem.regionOf(0x3880_0000_0000)).toMatchObject({
      kind: "bar",
      name: "0000:3d:00.0",
      size: 0x10_0000_0000,
    });
    expect(mem.regionOf(0x3890_0100_0000)).toMatchObject({
      kind: "bar",
      name: "0000:3d:00.0",
      size: 0x200_0000,
    });
    expect(mem.regionOf(0x3891_0000_0800)).toMatchObject({
      kind: "bar",
      name: "0000:3e:00.0",
      size: 0x10_0000,
    });
    expect(mem.regionOf(0xac10_0000)).toMatchObject({ kind: "bar", name: "0000:3b:00.0" });
    expect(mem.regionOf(0x38c0_0000_0000)).toBeNull(); // empty window of bus 5d
  });

  it("keeps firmware ranges reserved and BAR pages without struct pages", () => {
    expect(mem.regionOf(0x8000_0000)).toMatchObject({ kind: "reserved", name: "Reserved" });
    expect(mem.regionOf(0xfed0_0000)).toMatchObject({ kind: "reserved", name: "HPET 0" });
    expect(mem.folioOf(0x3880_0000_0000 / 4096)).toBeNull();
    expect(mem.folioOf(0x9f)).toMatchObject({ pfn: 0x9f }); // 0x9f000-0x9ffff is whole RAM here
  });

  it("nests exactly as indented", () => {
    const big = parseIomemBig(text);
    const bus3a = big.find((r) => r.name === "PCI Bus 0000:3a" && r.start > 0xffff_ffffn)!;
    const path: string[] = [];
    for (let r: IomemResourceBig | undefined = bus3a; r; r = r.children[0]) path.push(r.name);
    expect(path).toEqual([
      "PCI Bus 0000:3a",
      "PCI Bus 0000:3b",
      "PCI Bus 0000:3c",
      "PCI Bus 0000:3d",
      "0000:3d:00.0",
    ]);
  });
});

describe("parseIomem input checks", () => {
  it.each([
    ["no separator", "00000000-00000fff Reserved"],
    ["bad hex", "0000z000-00000fff : Reserved"],
    ["start above end", "00002000-00000fff : Reserved"],
    ["odd indentation", "00000000-0000ffff : A\n   00000000-00000fff : B"],
    ["orphan child", "  00000000-00000fff : B"],
    ["child outside parent", "00001000-0000ffff : A\n  00000000-00000fff : B"],
    ["overlapping siblings", "00000000-00001fff : A\n00001000-00002fff : B"],
  ])("%s is EINVAL", (_, text) => {
    expectCode(() => parseIomem(text), "EINVAL");
  });

  it("keeps addresses above 2^53 exact in the Big form and refuses them in the number form", () => {
    const text = "fffffffffffff000-ffffffffffffffff : Reserved";
    expect(parseIomemBig(text)[0]).toMatchObject({
      start: 0xffff_ffff_ffff_f000n,
      end: 0xffff_ffff_ffff_ffffn,
    });
    expectCode(() => parseIomem(text), "ERANGE");
  });

  it("treats an empty text as an empty map", () => {
    expect(parseIomem("")).toEqual([]);
    expect(regionsFromIomem([])).toEqual([]);
  });
});

/** Random well-formed resource trees. */
const treeArb = (start: bigint, end: bigint, depth: number): fc.Arbitrary<IomemResourceBig[]> =>
  fc
    .uniqueArray(fc.bigInt({ min: start, max: end }), { minLength: 0, maxLength: depth > 2 ? 0 : 6 })
    .chain((cuts) => {
      const sorted = [...cuts].sort((a, b) => (a < b ? -1 : 1));
      const spans: [bigint, bigint][] = [];
      for (let i = 0; i + 1 < sorted.length; i += 2) spans.push([sorted[i]!, sorted[i + 1]!]);
      if (spans.length === 0) return fc.constant([]);
      return fc.tuple(
        ...spans.map(([s, e]) =>
          fc
            .tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9 :.]{0,12}[A-Za-z0-9]$/), treeArb(s, e, depth + 1))
            .map(([name, children]): IomemResourceBig => ({ start: s, end: e, name, depth, children })),
        ),
      );
    });

function format(rs: readonly IomemResourceBig[]): string {
  const hex = (v: bigint) => v.toString(16).padStart(8, "0");
  return rs
    .map((r) => `${"  ".repeat(r.depth)}${hex(r.start)}-${hex(r.end)} : ${r.name}\n${format(r.children)}`)
    .join("");
}

describe("parseIomemBig property", () => {
  it("parses back any formatted resource tree", () => {
    fc.assert(
      fc.property(treeArb(1n, 0xffff_ffff_ffffn, 0), (tree) => {
        expect(parseIomemBig(format(tree))).toEqual(tree);
      }),
      { numRuns: 60 },
    );
  });
});
