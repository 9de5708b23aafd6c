/**
 * Issue 12 item 9: `PciTopology.addSwitch` validates the whole switch before it adds anything, so
 * a failing call adds nothing and the corrected retry succeeds.
 */
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { type PciFunctionInit, PciTopology } from "../../src/pci/topology.js";

function rig() {
  const topo = new PciTopology();
  const hb = topo.addHostBridge();
  const rp = topo.addFunction(hb, { bdf: "0000:00:01.0", type: "root-port" });
  const other = topo.addFunction(hb, { bdf: "0000:00:02.0", type: "root-port" });
  topo.addFunction(other, { bdf: "0000:05:00.0" }); // bus 5 belongs to the other root port
  return { topo, hb, rp };
}

const snapshot = (topo: PciTopology) =>
  JSON.stringify([topo.size, topo.generation, [...topo.functions].map((f) => f.bdf)]);

describe("addSwitch is all or nothing (issue 12 item 9)", () => {
  const bad: Array<
    [string, { upstream: string | PciFunctionInit; downstream: (string | PciFunctionInit)[] }]
  > = [
    [
      "a malformed downstream BDF",
      { upstream: "0000:01:00.0", downstream: ["0000:02:00.0", "0000:02:zz.0"] },
    ],
    [
      "a downstream port on another bus",
      { upstream: "0000:01:00.0", downstream: ["0000:02:00.0", "0000:03:00.0"] },
    ],
    [
      "two downstream ports with one BDF",
      { upstream: "0000:01:00.0", downstream: ["0000:02:00.0", "0000:02:00.0"] },
    ],
    ["a downstream port with the upstream's BDF", { upstream: "0000:01:00.0", downstream: ["0000:01:00.0"] }],
    [
      "a downstream port on the upstream's own bus",
      { upstream: "0000:01:00.0", downstream: ["0000:01:01.0"] },
    ],
    [
      "a downstream bus that belongs to another bridge",
      { upstream: "0000:01:00.0", downstream: ["0000:05:01.0"] },
    ],
    ["an upstream BDF that exists", { upstream: "0000:00:02.0", downstream: ["0000:02:00.0"] }],
    [
      "a bad downstream BAR",
      {
        upstream: "0000:01:00.0",
        downstream: [{ bdf: "0000:02:00.0", bars: [{ index: 9, cpuAddress: 0, size: 16 }] }],
      },
    ],
    [
      "a bad downstream ACS word",
      { upstream: "0000:01:00.0", downstream: [{ bdf: "0000:02:00.0", acs: -1 }] },
    ],
    [
      "a bad upstream vendor",
      { upstream: { bdf: "0000:01:00.0", vendor: 0x10000 }, downstream: ["0000:02:00.0"] },
    ],
    ["downstream not an array", { upstream: "0000:01:00.0", downstream: "0000:02:00.0" as never }],
    ["a downstream entry that is null", { upstream: "0000:01:00.0", downstream: [null as never] }],
  ];
  for (const [what, init] of bad) {
    it(`${what}: EINVAL, nothing added, and the corrected retry succeeds`, () => {
      const { topo, rp } = rig();
      const before = snapshot(topo);
      expectCode(() => topo.addSwitch(rp, init), "EINVAL");
      expect(snapshot(topo)).toBe(before);
      expect(rp.children).toHaveLength(0);
      const sw = topo.addSwitch(rp, {
        upstream: "0000:01:00.0",
        downstream: ["0000:02:00.0", "0000:02:01.0"],
      });
      expect(sw.downstream.map((d) => d.bdf)).toEqual(["0000:02:00.0", "0000:02:01.0"]);
      expect(sw.upstream.children).toEqual(sw.downstream);
    });
  }

  it("bad arguments are EINVAL, not TypeError", () => {
    const { topo, rp } = rig();
    expectCode(() => topo.addSwitch(rp, null as never), "EINVAL");
    expectCode(() => topo.addSwitch(null as never, { upstream: "0000:01:00.0", downstream: [] }), "EINVAL");
    expectCode(() => topo.addFunction(rp, null as never), "EINVAL");
    expectCode(() => topo.addFunction(rp, { bdf: 42 as never }), "EINVAL");
    expectCode(() => topo.addFunction(rp, { bdf: Symbol("x") as never }), "EINVAL");
    expectCode(() => topo.addFunction(rp, { bdf: "0000:01:00.0", bars: [null as never] }), "EINVAL");
    expectCode(() => topo.addFunction(rp, { bdf: "0000:01:00.0", bars: 5 as never }), "EINVAL");
    expectCode(() => topo.addFunction(rp, { bdf: "0000:01:00.0", acs: null as never }), "EINVAL");
    expectCode(() => topo.addHostBridge(null as never), "EINVAL");
    expect(topo.size).toBe(3);
  });
});
