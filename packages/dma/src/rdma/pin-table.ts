/**
 * Page pin accounting, like the `FOLL_PIN` reference a long-term GUP (`pin_user_pages()`) takes on
 * every page it returns: the kernel adds one pin per page to the folio's `_pincount`, and
 * `unpin_user_page_range_dirty_lock()` drops them folio by folio. Here the count lives in a side
 * table attached to the simulated physical memory, keyed by folio head pfn, so a leak (pins left
 * after deregistration) or a double unpin (a count going negative, which the kernel only catches
 * with a VM_BUG_ON) is a checked, typed condition.
 */
import { formatValue, RlistError } from "@rlist/encoding";
import { checkObject } from "../args.js";
import type { FaultInjector } from "../iommu/faults.js";

/** What the pin table needs from physical memory (a `PhysicalMemory` satisfies it). */
export interface FolioLookup {
  readonly pageSize: number;
  /** Head pfn of the folio holding `pfn`, or -1 when the page has no struct page. */
  folioHead(pfn: number): number;
  /** Order of the folio headed by `headPfn`. */
  folioOrder(headPfn: number): number;
}

/** Largest pin count a folio may reach (the kernel's `_pincount` is an atomic_t). */
export const MAX_PIN_COUNT = 0x7fff_ffff;

const tables = new WeakMap<FolioLookup, PinTable>();

/** The pin table of `memory`, created on first use (one per physical memory). */
export function pinTable(memory: FolioLookup): PinTable {
  checkObject("memory", memory);
  let t = tables.get(memory);
  if (t === undefined) {
    t = new PinTable(memory);
    tables.set(memory, t);
  }
  return t;
}

/**
 * Per-folio pin counts of one physical memory. A range of `n` pages adds (or drops) one pin per
 * page on the folio holding it, so a 2 MiB folio pinned through all its 512 pages holds 512 pins,
 * exactly as `folio_maybe_dma_pinned()` sees it. Calls validate the whole range before changing
 * anything: a failing call leaves every count as it was.
 */
export class PinTable {
  readonly memory: FolioLookup;
  /** Pins per folio, keyed by head pfn; folios with no pins are absent. */
  readonly #counts = new Map<number, number>();
  #pinnedPages = 0;
  #pinCalls = 0;
  #unpinCalls = 0;
  #faults: FaultInjector | null = null;

  /** @internal use {@link pinTable}. */
  constructor(memory: FolioLookup) {
    this.memory = memory;
  }

  /** Pins held on the folio that contains `pfn` (0 for an unpinned or pageless frame). */
  pinCount(pfn: number): number {
    checkPfn("pfn", pfn);
    const head = this.memory.folioHead(pfn);
    return head < 0 ? 0 : (this.#counts.get(head) ?? 0);
  }

  /** Folios with at least one pin. */
  get pinnedFolios(): number {
    return this.#counts.size;
  }

  /** Sum of all pins (one per pinned page reference). */
  get pinnedPages(): number {
    return this.#pinnedPages;
  }

  /** Successful {@link pinPages} calls (the GUP batches an MR cost). */
  get pinCalls(): number {
    return this.#pinCalls;
  }

  /** Successful {@link unpinPages} calls. */
  get unpinCalls(): number {
    return this.#unpinCalls;
  }

  /**
   * Fault injection at site `"pin"`: asked before each {@link pinPages} call, a failure is `ENOMEM`
   * with nothing pinned (like `pin_user_pages()` failing). Null turns it off.
   */
  setFaults(faults: FaultInjector | null): void {
    if (faults !== null && typeof faults?.shouldFail !== "function") {
      throw new RlistError("EINVAL", `faults must be a FaultInjector or null, got ${formatValue(faults)}`);
    }
    this.#faults = faults;
  }

  /** A copy of the non-zero counts, head pfn -> pins (for tests and reports). */
  snapshot(): Map<number, number> {
    return new Map(this.#counts);
  }

  /**
   * Like `pin_user_pages()` over `nrPages` physically consecutive pages from `pfn`: one pin per
   * page on its folio. `EFAULT` (nothing pinned) if a page has no struct page, `ERANGE` if a count
   * would overflow.
   */
  pinPages(pfn: number, nrPages: number): void {
    if (this.#faults?.shouldFail("pin")) {
      throw new RlistError(
        "ENOMEM",
        `pin of ${formatValue(nrPages)} page(s) at pfn ${formatValue(pfn)} failed (injected)`,
      );
    }
    this.#walk(pfn, nrPages, 1);
    this.#pinCalls++;
  }

  /**
   * Like `unpin_user_page_range_dirty_lock()`: drops one pin per page. `EINVAL` (nothing changed)
   * when a folio holds fewer pins than the range would drop: a double unpin or an unpin of pages
   * that were never pinned.
   */
  unpinPages(pfn: number, nrPages: number): void {
    this.#walk(pfn, nrPages, -1);
    this.#unpinCalls++;
  }

  /** Validates the range folio by folio, then applies `sign` pins per page. */
  #walk(pfn: number, nrPages: number, sign: 1 | -1): void {
    checkPfn("pfn", pfn);
    checkPfn("nrPages", nrPages);
    const end = pfn + nrPages;
    if (!Number.isSafeInteger(end * this.memory.pageSize)) {
      throw new RlistError("ERANGE", `pages ${pfn}..+${nrPages} run past 2^53 bytes`);
    }
    if (nrPages === 0) return;
    // One folio holds the whole range (every order-0 page, most GUP batches): one lookup.
    const head0 = this.memory.folioHead(pfn);
    if (head0 >= 0 && head0 + 2 ** this.memory.folioOrder(head0) >= end) {
      const next = (this.#counts.get(head0) ?? 0) + sign * nrPages;
      if (next >= 0 && next <= MAX_PIN_COUNT) {
        if (next === 0) this.#counts.delete(head0);
        else this.#counts.set(head0, next);
        this.#pinnedPages += sign * nrPages;
        return;
      }
    }
    for (let at = pfn; at < end; ) {
      const head = this.memory.folioHead(at);
      if (head < 0) throw new RlistError("EFAULT", `pfn 0x${at.toString(16)} has no struct page to pin`);
      const n = Math.min(end, head + 2 ** this.memory.folioOrder(head)) - at;
      const next = (this.#counts.get(head) ?? 0) + sign * n;
      if (next < 0) {
        throw new RlistError(
          "EINVAL",
          `unpin of ${n} page(s) at pfn 0x${at.toString(16)}: folio 0x${head.toString(16)} holds only ${next + n} pin(s)`,
        );
      }
      if (next > MAX_PIN_COUNT)
        throw new RlistError("ERANGE", `pin count of folio 0x${head.toString(16)} overflows`);
      at += n;
    }
    for (let at = pfn; at < end; ) {
      const head = this.memory.folioHead(at);
      const n = Math.min(end, head + 2 ** this.memory.folioOrder(head)) - at;
      const next = (this.#counts.get(head) ?? 0) + sign * n;
      if (next === 0) this.#counts.delete(head);
      else this.#counts.set(head, next);
      this.#pinnedPages += sign * n;
      at += n;
    }
  }
}

function checkPfn(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RlistError(
      typeof v === "number" ? "ERANGE" : "EINVAL",
      `${name} must be a safe non-negative integer, got ${formatValue(v)}`,
    );
  }
}

/** First pfn and page count of the pages holding `[phys, phys + length)`. */
export function pageSpan(phys: number, length: number, ps: number): [number, number] {
  const first = Math.floor(phys / ps);
  return [first, Math.ceil((phys + length) / ps) - first];
}
