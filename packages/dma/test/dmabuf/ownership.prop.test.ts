/**
 * Issue 12 item 6, as a property: random orders of attach / map / direct unmap / exporter unmap /
 * detach / move (with move_notify remapping) against a small state-machine model of the exporter
 * (drivers/dma-buf/dma-buf.c life cycle). After every call the exporter, the attachments and the
 * devices agree with the model; at the end every attachment can be emptied and detached and the
 * IOMMUs are idle.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectCode } from "../../../../scripts/expect-code.js";
import { CpuRangeList } from "../../src/cpu/cpu-range-list.js";
import type { DmaRangeList } from "../../src/dma-list/dma-range-list.js";
import { type DmaBufAttachment, DmaBufExporter } from "../../src/dmabuf/exporter.js";
import { IommuDomain } from "../../src/iommu/iommu-domain.js";
import { DmaDevice } from "../../src/mapping/device.js";
import { PhysicalMemory } from "../../src/memory/physical-memory.js";

const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });

type Op =
  | { op: "attach"; dev: number; dynamic: boolean; remapOnMove: boolean }
  | { op: "map"; att: number }
  | { op: "unmapDirect"; att: number; m: number }
  | { op: "unmap"; att: number; m: number }
  | { op: "unmapTwice"; att: number }
  | { op: "detach"; att: number }
  | { op: "move" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("attach" as const),
    dev: fc.nat(1),
    dynamic: fc.boolean(),
    remapOnMove: fc.boolean(),
  }),
  fc.record({ op: fc.constant("map" as const), att: fc.nat() }),
  fc.record({ op: fc.constant("unmapDirect" as const), att: fc.nat(), m: fc.nat() }),
  fc.record({ op: fc.constant("unmap" as const), att: fc.nat(), m: fc.nat() }),
  fc.record({ op: fc.constant("unmapTwice" as const), att: fc.nat() }),
  fc.record({ op: fc.constant("detach" as const), att: fc.nat() }),
  fc.record({ op: fc.constant("move" as const) }),
);

/** The model: attachments in order, each with its live lists; a detached one keeps none. */
interface ModelAtt {
  att: DmaBufAttachment;
  dynamic: boolean;
  lists: DmaRangeList[];
  dead: DmaRangeList[];
  attached: boolean;
}

describe("dma-buf: every order of calls ends clean (issue 12 item 6)", () => {
  it("random attach / map / unmap (direct and through the exporter) / detach / move sequences", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const iommus = [new IommuDomain(), new IommuDomain()];
        const devs = iommus.map((iommu, i) => new DmaDevice({ name: `dev${i}`, iommu }));
        const buffers = [
          CpuRangeList.fromPfns(memory, [0x100, 0x101, 0x300]),
          CpuRangeList.fromPfns(memory, [0x900, 0x950, 0x951]),
        ];
        let current = 0;
        const exp = new DmaBufExporter(buffers[0]!, { name: "buf" });
        const model: ModelAtt[] = [];
        const live = () => model.filter((a) => a.attached);

        for (const o of ops) {
          switch (o.op) {
            case "attach": {
              const entry: ModelAtt = {
                att: null as never,
                dynamic: o.dynamic,
                lists: [],
                dead: [],
                attached: true,
              };
              const importer = o.dynamic
                ? {
                    device: devs[o.dev]!,
                    moveNotify: (a: DmaBufAttachment) => {
                      // A well-behaved dynamic importer drops its mappings and, maybe, maps again.
                      for (const l of entry.lists) exp.unmap(a, l);
                      entry.dead.push(...entry.lists);
                      entry.lists = o.remapOnMove ? [exp.map(a, "bidirectional")] : [];
                    },
                  }
                : { device: devs[o.dev]! };
              entry.att = exp.attach(importer);
              model.push(entry);
              break;
            }
            case "map": {
              const a = live()[o.att % Math.max(1, live().length)];
              if (a === undefined) break;
              a.lists.push(exp.map(a.att, "to-device"));
              break;
            }
            case "unmapDirect": {
              const a = live()[o.att % Math.max(1, live().length)];
              if (a === undefined || a.lists.length === 0) break;
              const list = a.lists[o.m % a.lists.length]!;
              expectCode(() => exp.mappingOf(a.att, list).unmap(), "EBUSY");
              break;
            }
            case "unmap": {
              const a = live()[o.att % Math.max(1, live().length)];
              if (a === undefined || a.lists.length === 0) break;
              const [list] = a.lists.splice(o.m % a.lists.length, 1);
              exp.unmap(a.att, list!);
              a.dead.push(list!);
              break;
            }
            case "unmapTwice": {
              const a = live()[o.att % Math.max(1, live().length)];
              if (a === undefined || a.dead.length === 0) break;
              expectCode(() => exp.unmap(a.att, a.dead[0]!), "EINVAL");
              break;
            }
            case "detach": {
              const a = live()[o.att % Math.max(1, live().length)];
              if (a === undefined) break;
              if (a.lists.length > 0) expectCode(() => exp.detach(a.att), "EBUSY");
              else {
                exp.detach(a.att);
                a.attached = false;
                expectCode(() => exp.map(a.att, "to-device"), "EBUSY");
              }
              break;
            }
            case "move": {
              if (live().some((a) => !a.dynamic)) {
                expectCode(() => exp.move(buffers[1 - current]!), "EBUSY");
                break;
              }
              current = 1 - current;
              exp.move(buffers[current]!);
              break;
            }
          }
          // Exporter, attachments and devices agree with the model.
          expect(exp.attachments.length).toBe(live().length);
          for (const a of model) {
            expect(a.att.attached).toBe(a.attached);
            expect(a.att.mappingCount).toBe(a.lists.length);
            for (const l of a.lists) expect(exp.mappingOf(a.att, l).mapped).toBe(true);
          }
          devs.forEach((d, i) => {
            const mine = live().filter((a) => a.att.device === d);
            expect(d.outstanding().length).toBe(mine.reduce((n, a) => n + a.lists.length, 0));
            if (d.outstanding().length === 0) expect(iommus[i]!.idle).toBe(true);
          });
        }
        // Whatever happened, everything can be released.
        for (const a of live()) {
          for (const l of a.lists) exp.unmap(a.att, l);
          exp.detach(a.att);
        }
        expect(exp.attachments.length).toBe(0);
        for (const d of devs) d.assertIdle();
        for (const i of iommus) expect(i.idle).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
