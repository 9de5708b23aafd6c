/**
 * What the long hostile-input run (packages/hostile) left: `undefined` or `null` where a value is
 * required (`setAcs`, `chunkFaultHook`, `P2pMapCache#lookup`) and a caller's output that cannot be
 * written (`fillIovaMap`). Each is EINVAL before anything changes. `HostBridge#p2p = undefined` is
 * not among them: its setter declares `undefined` (it clears the explicit policy).
 */
import { describe, expect, it } from "vitest";
import { codeOf, expectCode } from "../../../../scripts/expect-code.js";
import * as dma from "../../src/index.js";
import { gpuTopology } from "../dmabuf/fixture.js";

describe("required arguments: undefined or null is EINVAL and changes nothing", () => {
  it("PciFunction#setAcs(undefined) keeps the ACS word and the generation; null still removes it", () => {
    const { topo, importers } = gpuTopology();
    const port = importers.acs!.parent!;
    const before = [port.acsControl, port.acsRedirect, topo.generation];
    expect(before[0]).not.toBeNull();
    expectCode(() => port.setAcs(undefined as never), "EINVAL");
    expect([port.acsControl, port.acsRedirect, topo.generation]).toEqual(before);
    port.setAcs(null);
    expect([port.acsControl, port.acsRedirect]).toEqual([null, false]);
  });

  it("HostBridge#p2p = undefined clears the explicit policy, as its setter documents", () => {
    const { topo } = gpuTopology({ hb0: "allowed" });
    const hb = topo.hostBridges[0]!;
    expect(hb.p2pOverride).toBe("allowed");
    hb.p2p = undefined;
    expect(hb.p2pOverride).toBeUndefined();
    expectCode(() => {
      hb.p2p = null as never;
    }, "EINVAL");
    expect(hb.p2pOverride).toBeUndefined();
  });

  it("chunkFaultHook(undefined) and (null) are EINVAL; an injector gives a working hook", () => {
    expectCode(() => dma.chunkFaultHook(undefined as never), "EINVAL");
    expectCode(() => dma.chunkFaultHook(null as never), "EINVAL");
    const hook = dma.chunkFaultHook(new dma.CountdownFaults(1, ["chunk"]));
    expect([hook(0), hook(1), hook(2)]).toEqual([false, true, false]);
  });

  it("P2pMapCache#lookup(null) is EINVAL on a fresh cache and after a lookup; the cache is unchanged", () => {
    const { provider, importers } = gpuTopology();
    const cache = new dma.P2pMapCache(importers.sameSwitch!);
    const fresh = [cache.provider, cache.mapType, cache.lookups];
    expectCode(() => cache.lookup(null as never), "EINVAL");
    expectCode(() => cache.lookup(undefined as never), "EINVAL");
    expect([cache.provider, cache.mapType, cache.lookups]).toEqual(fresh);
    const type = cache.lookup(provider);
    expect(type).not.toBe("NOT_SUPPORTED");
    const after = [cache.provider, cache.mapType, cache.lookups];
    for (const v of [null, undefined, {}, 1]) expect(codeOf(() => cache.lookup(v as never))).toBe("EINVAL");
    expect([cache.provider, cache.mapType, cache.lookups]).toEqual(after);
    expect(cache.lookup(provider)).toBe(type);
    expect(cache.lookups).toBe(1);
  });
});

describe("fillIovaMap: an output that cannot be written is EINVAL before anything is written", () => {
  const G = 4096;
  it("frozen, sealed, non-extensible, read-only field, getter-only field: EINVAL, out unchanged", () => {
    const readOnly = Object.defineProperty({ iova: 1, phys: 2 }, "length", { value: 3, writable: false });
    const getterOnly = Object.defineProperty({ iova: 1, phys: 2 }, "length", { get: () => 3 });
    const outs: object[] = [
      Object.freeze({ iova: 1, phys: 2, length: 3 }),
      Object.freeze({}),
      Object.preventExtensions({ iova: 1, phys: 2 }),
      Object.create(Object.freeze({ iova: 1, phys: 2, length: 3 })),
      readOnly,
      getterOnly,
      new Float64Array(2), // its length is a prototype getter
    ];
    for (const out of outs) {
      const before = JSON.stringify(Object.getOwnPropertyDescriptors(out));
      expectCode(() => dma.fillIovaMap(0x5800, 0x1234_5800, 0x1900, G, out as dma.IovaMapStep), "EINVAL");
      expect(JSON.stringify(Object.getOwnPropertyDescriptors(out))).toBe(before);
    }
  });

  it("a plain object, an empty one, a sealed one with the fields, or setters are written", () => {
    const seen: number[] = [];
    const withSetters = {
      set iova(v: number) {
        seen.push(v);
      },
      set phys(v: number) {
        seen.push(v);
      },
      set length(v: number) {
        seen.push(v);
      },
    };
    expect(dma.fillIovaMap(0x5800, 0x1234_5800, 0x1900, G, withSetters as never)).toBe(0x8000);
    expect(seen).toEqual([0x5000, 0x1234_5000, 0x3000]);
    for (const out of [{}, Object.seal({ iova: 0, phys: 0, length: 0 })] as dma.IovaMapStep[]) {
      expect(dma.fillIovaMap(0x5800, 0x1234_5800, 0x1900, G, out)).toBe(0x8000);
      expect({ ...out }).toEqual({ iova: 0x5000, phys: 0x1234_5000, length: 0x3000 });
    }
  });
});
