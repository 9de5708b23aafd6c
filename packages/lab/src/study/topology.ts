import { P2pProvider, PciFunction, PciTopology, p2pPath } from "@rlist/dma";
import { checkArray, checkInstance, checkObject, checkString } from "../args.js";
import { checkP2pMachine, type P2pMachine } from "../machine/example-p2p.js";
import type { TopologyFunction, TopologyResult } from "./results.js";

const hex = (v: number | bigint, pad = 4) => `0x${v.toString(16).padStart(pad, "0")}`;

function describeFunction(f: PciFunction, depth: number): TopologyFunction {
  return {
    bdf: f.bdf,
    type: f.type,
    vendor: hex(f.vendor),
    device: hex(f.deviceId),
    classCode: hex(f.classCode, 6),
    depth,
    bars: f.bars.map((b) => ({
      index: b.index,
      cpuAddress: hex(b.cpuAddressBig, 1),
      size: hex(b.sizeBig, 1),
    })),
    acsRedirect: f.acsRedirect,
  };
}

/** The tree flattened in depth-first order with depths, per host bridge. */
export function summarizeTopology(
  label: string,
  topo: PciTopology,
  p2p: readonly { provider: P2pProvider; client: PciFunction }[] = [],
): TopologyResult {
  checkString("label", label);
  checkInstance("topology", topo, PciTopology);
  checkArray("p2p pairs", p2p, (at, pair) => {
    checkObject(at, pair);
    checkInstance(`${at}.provider`, (pair as { provider: unknown }).provider, P2pProvider);
    checkInstance(`${at}.client`, (pair as { client: unknown }).client, PciFunction);
  });
  const hostBridges = topo.hostBridges.map((hb) => {
    const functions: TopologyFunction[] = [];
    const walk = (f: PciFunction, depth: number) => {
      functions.push(describeFunction(f, depth));
      for (const c of f.children) walk(c, depth + 1);
    };
    for (const f of hb.children) walk(f, 0);
    return { name: hb.name, p2p: hb.p2p, functions };
  });
  return {
    label,
    cpuSupportsP2p: topo.cpuSupportsP2p,
    hostBridges,
    p2p: p2p.map(({ provider, client }) => {
      const path = p2pPath(provider, client);
      return {
        provider: provider.name,
        client: client.bdf,
        mapType: path.mapType,
        distance: path.distance,
        reason: path.reason,
      };
    }),
  };
}

/** The example P2P server with the GPU BAR's map type to each NIC. */
export function summarizeP2pMachine(m: P2pMachine): TopologyResult {
  checkP2pMachine("P2P machine", m);
  return summarizeTopology(
    "example P2P server (GPU and NICs; embedded)",
    m.topology,
    m.clients.map((c) => ({ provider: m.provider, client: c.fn })),
  );
}
