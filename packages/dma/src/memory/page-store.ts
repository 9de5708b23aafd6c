/**
 * Sparse byte contents of physical memory: one `Uint8Array` per page that was ever written.
 * Unwritten pages read as zeros and cost nothing. Callers check bounds first.
 */
export class PageStore {
  readonly pageSize: number;
  readonly #pages = new Map<number, Uint8Array>();

  constructor(pageSize: number) {
    this.pageSize = pageSize;
  }

  /** Pages holding data. */
  get touchedPages(): number {
    return this.#pages.size;
  }

  /** Copies `out.length` bytes starting at physical `phys` into `out`. */
  read(phys: number, out: Uint8Array): void {
    const ps = this.pageSize;
    let done = 0;
    while (done < out.length) {
      const addr = phys + done;
      const inPage = (addr >>> 0) & (ps - 1); // page sizes are powers of two <= 1 MiB: exact
      const n = Math.min(ps - inPage, out.length - done);
      const page = this.#pages.get((addr - inPage) / ps);
      if (page) out.set(page.subarray(inPage, inPage + n), done);
      else out.fill(0, done, done + n);
      done += n;
    }
  }

  /** Copies `data` to physical `phys`, creating pages on first touch. */
  write(phys: number, data: Uint8Array): void {
    const ps = this.pageSize;
    let done = 0;
    while (done < data.length) {
      const addr = phys + done;
      const inPage = (addr >>> 0) & (ps - 1);
      const n = Math.min(ps - inPage, data.length - done);
      const pfn = (addr - inPage) / ps;
      let page = this.#pages.get(pfn);
      if (!page) {
        page = new Uint8Array(ps);
        this.#pages.set(pfn, page);
      }
      page.set(data.subarray(done, done + n), inPage);
      done += n;
    }
  }
}
