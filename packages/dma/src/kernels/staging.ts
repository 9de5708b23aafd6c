/**
 * The copy half shared by the IOMMU mapping kernels (iommu-linear.ts, iommu-per-entry.ts): a
 * kernel stages the 4 KiB PTEs of a run of contiguous IOVAs, and {@link StagedWriter.write}
 * copies them into the page table (IoPageTable.writeStaged4k: one `set()` per leaf table),
 * records the span and counts the iommu_map() calls, so the domain's counters and the mapping's
 * record end exactly as the per-entry TypeScript loop of the mapper leaves them, also when the
 * page table fails part-way (`ENOMEM` for a table page, `EBUSY`): the entries before the failed
 * page stay mapped and recorded (the caller's rollback unmaps them), the failed entry's own
 * pages are undone, as map() undoes its own.
 */
import type { IommuDomain } from "../iommu/iommu-domain.js";
import type { IovaSpanLog } from "../mapping/mapping-record.js";
import { type DmaKernels, R_C, R_ENTRIES, SLOT_WORDS } from "./wasm.js";

export class StagedWriter {
  /** IOVA of the first page of the entry being staged (an entry may span batches). */
  entryIova: number;
  readonly #saved = new Uint32Array(SLOT_WORDS);
  readonly #slots: Uint32Array;

  constructor(
    private readonly domain: IommuDomain,
    private readonly d: DmaKernels,
    private readonly spans: IovaSpanLog,
    start: number,
  ) {
    this.entryIova = start;
    this.#slots = d.u32.subarray(0, SLOT_WORDS);
  }

  /** Keeps the walk state: call before each kernel call. */
  save(): void {
    this.#saved.set(this.#slots);
  }

  /** Entries the kernel started since {@link save} (its R_ENTRIES went up by this many). */
  started(): number {
    return (this.d.u32[R_ENTRIES >>> 2] as number) - (this.#saved[R_ENTRIES >>> 2] as number);
  }

  /**
   * Writes the `n` PTEs just staged for `[run, run + n * 4 KiB)` and records the span. On a page
   * table failure: `restage(max)` must run the same kernel call again, limited to `max` pages
   * (the walk state is restored first); it tells how many calls the loop would have made before
   * failing and where the failed entry starts. Then the error goes on.
   */
  write(run: number, n: number, restage: (max: number) => void): void {
    const pt = this.domain.pageTable;
    const u32 = this.d.u32;
    try {
      pt.writeStaged4k(run, this.d.stage, n);
    } catch (e) {
      const failAt = pt.stagedFailAt;
      this.#slots.set(this.#saved);
      restage(failAt + 1);
      this.domain.counters.mapCalls += this.started();
      const first = u32[R_C >>> 2] as number;
      const failedEntry = first === 0xffff_ffff ? this.entryIova : run + first * 0x1000;
      const written = run + failAt * 0x1000;
      if (written > failedEntry) pt.unmap(failedEntry, written - failedEntry);
      if (failedEntry > run) this.spans.push(run, failedEntry - run);
      else this.spans.trimEnd(failedEntry);
      throw e;
    }
    const first = u32[R_C >>> 2] as number;
    if (first !== 0xffff_ffff) this.entryIova = run + first * 0x1000;
    this.spans.push(run, n * 0x1000);
  }
}
