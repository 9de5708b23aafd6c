/** Builds a 4 KiB PCIe config space with the fields the P2P model reads (tests and fixtures). */
export function buildConfigSpace(spec: {
  vendor: number;
  device: number;
  classCode: number;
  /** Raw PCIe Device/Port Type; omitted = conventional PCI (no PCIe capability). */
  pcieType?: number;
  /** ACS Control word; omitted = no ACS extended capability. */
  acsControl?: number;
  /** Put a vendor-specific capability before the PCIe one (exercises the list walk). */
  extraCap?: boolean;
}): Uint8Array {
  const b = new Uint8Array(4096);
  const dv = new DataView(b.buffer);
  dv.setUint16(0x00, spec.vendor, true);
  dv.setUint16(0x02, spec.device, true);
  b[0x09] = spec.classCode & 0xff;
  b[0x0a] = (spec.classCode >> 8) & 0xff;
  b[0x0b] = (spec.classCode >> 16) & 0xff;
  const isBridge = spec.classCode >> 8 === 0x0604;
  b[0x0e] = isBridge ? 1 : 0;
  if (spec.pcieType !== undefined) {
    dv.setUint16(0x06, 0x0010, true); // status: capability list
    let at = 0x40;
    if (spec.extraCap) {
      b[0x34] = 0x40;
      b[0x40] = 0x09; // vendor specific
      b[0x41] = 0x60;
      at = 0x60;
    } else {
      b[0x34] = at;
    }
    b[at] = 0x10;
    b[at + 1] = 0;
    dv.setUint16(at + 2, 0x0002 | (spec.pcieType << 4), true);
  }
  if (spec.acsControl !== undefined) {
    dv.setUint32(0x100, 0x000d | (1 << 16), true);
    dv.setUint16(0x104, 0x005f, true);
    dv.setUint16(0x106, spec.acsControl, true);
  }
  return b;
}
