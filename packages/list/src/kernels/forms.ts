/**
 * The entry-form census behind stats(): how many entries are stored in the 8-, 16- and 24-byte
 * forms. Variable lists of {@link KERNEL_MIN_CHUNKS} chunks or more use the WebAssembly kernel
 * (assembly/list.ts: formsVariable); the TypeScript reference proves it in the property tests.
 * fixed16 lists need no walk: every entry is 16 bytes, 4 units.
 */
import { variableUnitsAt } from "@rlist/encoding";
import { HDR_USED, HEADER_UNITS } from "../constants.js";
import { OUT_FORM16, OUT_FORM24 } from "../memory-layout.js";
import type { RangeList } from "../range-list.js";
import { KERNEL_MIN_CHUNKS } from "./checksum.js";

export interface FormCounts {
  8: number;
  16: number;
  24: number;
}

export function formsReference(list: RangeList): FormCounts {
  const byForm = { 8: 0, 16: 0, 24: 0 };
  const ix = list._ix;
  for (let k = 0; k < ix.length; k++) {
    const id = ix.ids[k] as number;
    const w = list.pool.words(id);
    const hdr = list.pool.wordBase(id);
    const area = hdr + HEADER_UNITS;
    const end = area + (w[hdr + HDR_USED] as number);
    if (list._fixed) {
      byForm[16] += (end - area) / 4;
      continue;
    }
    for (let at = area; at < end; ) {
      const units = variableUnitsAt(w, at);
      if (units === 2) byForm[8]++;
      else if (units === 4) byForm[16]++;
      else byForm[24]++;
      at += units === 0 ? 6 : units; // like the kernel: what is not 8 or 16 bytes counts as 24
    }
  }
  return byForm;
}

export function formsKernel(list: RangeList): FormCounts {
  const ix = list._ix;
  const pool = list.pool;
  const n = ix.length;
  const first = n === 0 ? 0 : (ix.ids[0] as number);
  const n8 = pool.kernels().formsVariable(first, n, pool.chunkShift + 2);
  const w = pool.words(0);
  return { 8: n8 >>> 0, 16: (w[OUT_FORM16 / 4] as number) >>> 0, 24: (w[OUT_FORM24 / 4] as number) >>> 0 };
}

export function listForms(list: RangeList): FormCounts {
  return !list._fixed && list._ix.length >= KERNEL_MIN_CHUNKS ? formsKernel(list) : formsReference(list);
}
