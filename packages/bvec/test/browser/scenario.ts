/**
 * What the browser test runs, in Node and (bundled for the browser) in headless Chromium: a list
 * walk, checksum() (the WebAssembly kernel), a bio -> CPU range list adapter, and an IOMMU
 * map + unmap. Returns plain JSON (bigints as strings) so the two runs compare with toEqual.
 */
import { Bio, bioToCpuRangeList } from "@rlist/bvec";
import {
  CpuRangeList,
  DmaDevice,
  deviceTranslate,
  IommuDomain,
  mapRangeList,
  PhysicalMemory,
} from "@rlist/dma";
import { variableCodec } from "@rlist/encoding";
import { ChunkPool, RangeList } from "@rlist/list";

export function runScenario(): Record<string, unknown> {
  // A list of the three entry forms over several chunks (so checksum() runs the kernel).
  const pool = new ChunkPool({ chunkBytes: 512, slabBytes: 65536 });
  const list = new RangeList({ pool, codec: variableCodec });
  let s = 0x1234_5678;
  for (let i = 0; i < 5000; i++) {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    const form = i % 3;
    list.append({
      type: i & 3,
      length: 1 + (s & 0xffff),
      base: form === 0 ? s : s * 0x10_0000 + i,
      offset: form === 1 ? i : 0,
      extra: form === 2 ? (s | 1) >>> 0 : 0,
    });
  }
  let lengths = 0;
  let bases = 0n;
  const c = list.cursor();
  for (let ok = c.reset(); ok; ok = c.next()) {
    lengths += c.length;
    bases += c.baseBig;
  }
  const chk = list.checksum();
  const stats = list.stats();

  // bio -> rlist_cpu, then an IOMMU map + unmap (the dma README's example machine).
  const memory = new PhysicalMemory({ regions: [{ start: 0, size: 2 ** 34, kind: "ram" }] });
  const bio = new Bio({ op: "WRITE", sector: 2048 });
  bio.addPage(0x1000, 4096, 0);
  bio.addPage(0x1001, 4096, 0);
  bio.addPage(0x5000, 4096, 0);
  const { list: cpu } = bioToCpuRangeList(memory, bio);
  const pages = CpuRangeList.fromPfns(memory, [0x1000, 0x1001, 0x5000, 0x9000]);
  const iommu = new IommuDomain();
  const nic = new DmaDevice({
    iommu,
    dmaMaskBits: 64,
    segmentation: { minAlignMask: 0, segmentBoundaryMask: 0xffff_ffff, maxSegmentSize: 0x1_0000 },
  });
  const m = mapRangeList(nic, pages, { direction: "bidirectional" });
  const mapped = {
    path: m.path,
    iova: m.iova,
    entries: m.list.toArray(),
    translate: deviceTranslate(nic, m.iova + 0x2000),
  };
  m.unmap();
  return {
    sharedMemory: pool.sharedMemory,
    walk: { count: list.count, lengths, bases: bases.toString(16) },
    checksum: { count: chk.count, lengthSum: chk.lengthSum.toString(16), baseSum: chk.baseSum.toString(16) },
    byForm: stats.byForm,
    bio: { entries: cpu.count, length: cpu.length },
    mapped,
    idleAfterUnmap: iommu.idle,
  };
}
