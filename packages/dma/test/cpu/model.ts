/**
 * Reference model of a CPU range list: plain byte ranges with the merge rule stated directly
 * (a folio range joins the last entry iff it starts where that entry ends and has its pgmap).
 */
export interface ModelEntry {
  physical: boolean;
  phys: number;
  length: number;
  /** pgmap id for folio ranges, provider id for physical ones. */
  tag: number;
}

export class ListModel {
  readonly entries: ModelEntry[] = [];
  /** Entry counts at which the list was sealed: no merge across those boundaries. */
  readonly seals = new Set<number>();

  /** `mergePhysical`: physical ranges join the last entry like folio ranges do (same provider). */
  constructor(readonly mergePhysical = false) {}

  appendFolio(phys: number, length: number, pgmap: number): void {
    const last = this.entries[this.entries.length - 1];
    if (
      last &&
      !this.seals.has(this.entries.length) &&
      !last.physical &&
      last.phys + last.length === phys &&
      last.tag === pgmap
    ) {
      last.length += length;
      return;
    }
    this.entries.push({ physical: false, phys, length, tag: pgmap });
  }

  appendPhysical(phys: number, length: number, provider: number): void {
    const last = this.entries[this.entries.length - 1];
    if (
      this.mergePhysical &&
      last &&
      !this.seals.has(this.entries.length) &&
      last.physical &&
      last.phys + last.length === phys &&
      last.tag === provider
    ) {
      last.length += length;
      return;
    }
    this.entries.push({ physical: true, phys, length, tag: provider });
  }

  seal(): void {
    this.seals.add(this.entries.length);
  }

  get length(): number {
    return this.entries.reduce((n, e) => n + e.length, 0);
  }

  /** The definition: every entry but the first starts on a page, every entry but the last ends on one. */
  isPageList(pageSize: number): boolean {
    return this.entries.every(
      (e, i) =>
        (i === 0 || e.phys % pageSize === 0) &&
        (i === this.entries.length - 1 || (e.phys + e.length) % pageSize === 0),
    );
  }

  /** Physical addresses of list bytes `[pos, pos + n)`. */
  physRange(pos: number, n: number): number[] {
    const out: number[] = [];
    for (const e of this.entries) {
      if (out.length === n) break;
      if (pos >= e.length) {
        pos -= e.length;
        continue;
      }
      for (let i = pos; i < e.length && out.length < n; i++) out.push(e.phys + i);
      pos = 0;
    }
    if (out.length !== n) throw new Error("past the end");
    return out;
  }

  /** Physical address of list byte `pos`. */
  physAt(pos: number): number {
    for (const e of this.entries) {
      if (pos < e.length) return e.phys + pos;
      pos -= e.length;
    }
    throw new Error("past the end");
  }
}
