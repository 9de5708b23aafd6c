/** Number formatting shared by the text table and the HTML report. */

/** Integer with thousands separators. */
export function int(v: number): string {
  return Math.round(v).toLocaleString("en-US");
}

/** 3 significant digits (whole numbers above 100 with separators). */
export function sig3(v: number): string {
  if (!Number.isFinite(v)) return "-";
  if (Math.abs(v) >= 100) return int(v);
  return Number(v.toPrecision(3)).toString();
}

/** Bytes in binary units: 512 B, 1.5 KiB, 256 MiB, 26.7 GiB. */
export function bytes(v: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0;
  let x = v;
  while (Math.abs(x) >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return u === 0 ? `${int(x)} B` : `${sig3(x)} ${units[u]}`;
}

/** A fraction as a percentage with one decimal. */
export function percent(v: number): string {
  return `${(v * 100).toFixed(1)} %`;
}

/** Per-second rates in millions. */
export function millions(v: number): string {
  return sig3(v / 1e6);
}
