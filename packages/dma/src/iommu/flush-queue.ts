/**
 * The IOVA flush queue of a lazy domain (`iommu.strict=0`, IOMMU_DOMAIN_DMA_FQ), after
 * drivers/iommu/dma-iommu.c: an unmap clears the PTEs but neither waits for an IOTLB
 * invalidation nor frees its IOVA; `queue_iova()` parks the IOVA in a ring, and one
 * `flush_iotlb_all()` later (when the ring is full, or `fq_timeout` ms after the first entry
 * queued while the timer was idle) every parked IOVA goes back to the allocator at once.
 *
 * Modelled as in the kernel: the ring of `fq_size` slots holds `fq_size - 1` entries
 * (`fq_full()`), entries carry the flush-start count at queue time and are freed once the
 * flush-finish count passes it (`fq_ring_free_locked()`), a full ring flushes synchronously, and
 * the timer is armed only when it is not already pending. One CPU, so one queue (the kernel has
 * one per CPU, or one shared queue for IOMMUs whose flushes are expensive).
 *
 * On top of the kernel's bookkeeping it keeps the **exposure**: for every lazily unmapped range,
 * the bytes the device could still reach through the IOTLB and for how long (from the unmap to
 * the flush that invalidated it).
 */
import { checkU53, RlistError } from "@rlist/encoding";
import { checkFunction, checkInstance, checkObject, optionsObject, orDefault } from "../args.js";
import { SimClock } from "./sim-clock.js";

/** IOVA_DEFAULT_FQ_SIZE: slots per (per-CPU) queue. */
export const IOVA_DEFAULT_FQ_SIZE = 256;
/** IOVA_DEFAULT_FQ_TIMEOUT: ms from the first queued entry to the timed flush. */
export const IOVA_DEFAULT_FQ_TIMEOUT = 10;
/** IOVA_SINGLE_FQ_SIZE: slots of the single shared queue (IOMMUs with expensive flushes). */
export const IOVA_SINGLE_FQ_SIZE = 32768;
/** IOVA_SINGLE_FQ_TIMEOUT. */
export const IOVA_SINGLE_FQ_TIMEOUT = 1000;

export interface FlushQueueOptions {
  /** Ring slots, a power of two >= 2 (`fq_size`); holds size - 1 entries. Default 256. */
  size?: number;
  /** `fq_timeout` in ms. Default 10. */
  timeoutMs?: number;
}

/** Why the IOTLB was flushed. */
export type FlushReason = "full" | "timeout" | "explicit";

/** What lazy invalidation exposed so far (the figures behind the strict-vs-lazy trade-off). */
export interface IotlbExposure {
  /** Ranges unmapped lazily. */
  unmaps: number;
  /** Bytes unmapped lazily (IOVA granules whose PTEs were cleared). */
  unmappedBytes: number;
  /** Of those, bytes not yet covered by a flush: the device may still reach them now. */
  openBytes: number;
  /** ms since the oldest still-open unmap (0 when nothing is open). */
  oldestOpenMs: number;
  /** Sum over unmapped ranges of bytes x ms until its flush (open ones counted up to now). */
  byteMs: number;
  /** Longest window from an unmap to its flush (open ones counted up to now). */
  maxWindowMs: number;
  /** byteMs / unmappedBytes: how long an unmapped byte stays reachable, on average. */
  meanWindowMs: number;
  /** `flush_iotlb_all()` calls, by reason. */
  flushes: { full: number; timeout: number; explicit: number };
  /** Ranges parked in the queue (IOVA not yet back in the allocator). */
  queued: number;
  /** IOVA granules parked in the queue. */
  queuedGranules: number;
}

/** What the queue needs from its domain. */
export interface FlushQueueOwner {
  /** `flush_iotlb_all()`: invalidates the whole IOTLB. */
  flushIotlbAll(): void;
  /** `free_iova_fast()` of a parked range. */
  freeIovaFast(pfn: number, pages: number): void;
}

export class IovaFlushQueue {
  readonly size: number;
  readonly timeoutMs: number;
  readonly clock: SimClock;
  readonly #owner: FlushQueueOwner;
  // The ring (struct iova_fq): parallel arrays indexed by slot.
  readonly #pfn: Float64Array;
  readonly #pages: Float64Array;
  readonly #counter: Float64Array;
  #head = 0;
  #tail = 0;
  readonly #mask: number;
  #flushStartCnt = 0;
  #flushFinishCnt = 0;
  #timerOn = false;
  #queuedGranules = 0;
  /** First pfns of the parked ranges (a misuse check: the same range parked twice). */
  readonly #parked = new Set<number>();
  // Exposure: ranges unmapped since the last flush (their IOTLB entries may still be live).
  #openBytes: number[] = [];
  #openSince: number[] = [];
  #openTotal = 0;
  #unmaps = 0;
  #unmappedBytes = 0;
  #closedByteMs = 0;
  #closedMaxWindow = 0;
  readonly #flushes = { full: 0, timeout: 0, explicit: 0 };

  constructor(owner: FlushQueueOwner, clock: SimClock, options: FlushQueueOptions = {}) {
    checkObject("flush queue owner", owner);
    checkFunction("owner.flushIotlbAll", owner.flushIotlbAll);
    checkFunction("owner.freeIovaFast", owner.freeIovaFast);
    checkInstance("clock", clock, SimClock);
    const o: FlushQueueOptions = optionsObject("flush queue options", options);
    const size = orDefault("size", o.size, IOVA_DEFAULT_FQ_SIZE);
    if (!Number.isInteger(size) || size < 2 || size > 2 ** 24 || (size & (size - 1)) !== 0) {
      throw new RlistError("EINVAL", `flush queue size ${String(size)} is not a power of two in 2..2^24`);
    }
    const timeoutMs = orDefault("timeoutMs", o.timeoutMs, IOVA_DEFAULT_FQ_TIMEOUT);
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new RlistError(
        "EINVAL",
        `flush queue timeout ${String(timeoutMs)} ms is not a non-negative number`,
      );
    }
    this.size = size;
    this.timeoutMs = timeoutMs;
    this.clock = clock;
    this.#owner = owner;
    this.#mask = size - 1;
    this.#pfn = new Float64Array(size);
    this.#pages = new Float64Array(size);
    this.#counter = new Float64Array(size);
  }

  /** Entries parked (IOVA not yet freed). */
  get queued(): number {
    return (this.#tail - this.#head) & this.#mask;
  }

  /** IOVA granules parked. */
  get queuedGranules(): number {
    return this.#queuedGranules;
  }

  /** True when the range starting at `pfn` is parked here. */
  holds(pfn: number): boolean {
    checkU53("pfn", pfn);
    return this.#parked.has(pfn);
  }

  /** True while the timed flush is armed. */
  get timerPending(): boolean {
    return this.#timerOn;
  }

  /**
   * Like queue_iova(): parks `pages` granules at `pfn`, whose PTEs (`exposedBytes` of them) were
   * just cleared without an IOTLB invalidation. Frees what earlier flushes covered, flushes first
   * if the ring is full, and arms the timer if it is idle.
   */
  queue(pfn: number, pages: number, exposedBytes: number): void {
    checkU53("pfn", pfn);
    checkU53("pages", pages);
    checkU53("exposedBytes", exposedBytes);
    this.#ringFree();
    if (this.#full()) {
      this.#flushIotlb("full");
      this.#ringFree();
    }
    const idx = this.#tail;
    this.#tail = (idx + 1) & this.#mask;
    this.#pfn[idx] = pfn;
    this.#pages[idx] = pages;
    this.#counter[idx] = this.#flushStartCnt;
    this.#parked.add(pfn);
    this.#queuedGranules += pages;
    this.#unmaps++;
    this.#unmappedBytes += exposedBytes;
    if (exposedBytes !== 0) {
      this.#openBytes.push(exposedBytes);
      this.#openSince.push(this.clock.now);
      this.#openTotal += exposedBytes;
    }
    if (!this.#timerOn) {
      this.#timerOn = true;
      this.clock.setTimer(this.timeoutMs, () => this.#timeout());
    }
  }

  /**
   * Flushes now, as the timer would (fq_flush_iotlb() + fq_ring_free()): the IOTLB is
   * invalidated and every parked IOVA goes back to the allocator. The timer, if armed, still fires
   * later (and finds nothing to do), as a real timer would.
   */
  flush(): void {
    this.#flushIotlb("explicit");
    this.#ringFree();
  }

  /** The exposure so far (`now` = the clock's time). */
  exposure(): IotlbExposure {
    const now = this.clock.now;
    let openByteMs = 0;
    for (let i = 0; i < this.#openBytes.length; i++) {
      openByteMs += this.#openBytes[i]! * (now - this.#openSince[i]!);
    }
    const oldestOpenMs = this.#openSince.length === 0 ? 0 : now - this.#openSince[0]!;
    const byteMs = this.#closedByteMs + openByteMs;
    return {
      unmaps: this.#unmaps,
      unmappedBytes: this.#unmappedBytes,
      openBytes: this.#openTotal,
      oldestOpenMs,
      byteMs,
      maxWindowMs: Math.max(this.#closedMaxWindow, oldestOpenMs),
      meanWindowMs: this.#unmappedBytes === 0 ? 0 : byteMs / this.#unmappedBytes,
      flushes: { ...this.#flushes },
      queued: this.queued,
      queuedGranules: this.#queuedGranules,
    };
  }

  /** fq_full(): one slot always stays empty. */
  #full(): boolean {
    return ((this.#tail + 1) & this.#mask) === this.#head;
  }

  /** fq_flush_iotlb(): one IOTLB invalidation covers everything queued before it. */
  #flushIotlb(reason: FlushReason): void {
    this.#flushStartCnt++;
    this.#owner.flushIotlbAll();
    this.#flushFinishCnt++;
    this.#flushes[reason]++;
    const now = this.clock.now;
    for (let i = 0; i < this.#openBytes.length; i++) {
      const window = now - this.#openSince[i]!;
      this.#closedByteMs += this.#openBytes[i]! * window;
      if (window > this.#closedMaxWindow) this.#closedMaxWindow = window;
    }
    this.#openBytes = [];
    this.#openSince = [];
    this.#openTotal = 0;
  }

  /** fq_ring_free_locked(): frees, from the head, every entry a finished flush covered. */
  #ringFree(): void {
    const finished = this.#flushFinishCnt;
    while (this.#head !== this.#tail) {
      const idx = this.#head;
      if (this.#counter[idx]! >= finished) break;
      this.#owner.freeIovaFast(this.#pfn[idx]!, this.#pages[idx]!);
      this.#parked.delete(this.#pfn[idx]!);
      this.#queuedGranules -= this.#pages[idx]!;
      this.#head = (idx + 1) & this.#mask;
    }
  }

  /** fq_flush_timeout(). */
  #timeout(): void {
    this.#timerOn = false;
    this.#flushIotlb("timeout");
    this.#ringFree();
  }
}
