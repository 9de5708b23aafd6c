import { checkBytes } from "../args.js";
import type { PciPortType } from "./topology.js";

/** What the P2P model needs from a function's configuration space. */
export interface ConfigSpaceInfo {
  readonly vendor: number;
  readonly device: number;
  readonly classCode: number;
  /** Raw PCIe Device/Port Type (Capabilities register bits 7:4), null without a PCIe capability. */
  readonly pcieType: number | null;
  /** ACS Control word, null without an ACS extended capability (or when only 256 bytes are readable). */
  readonly acsControl: number | null;
}

const CAP_ID_PCIE = 0x10;
const EXT_CAP_ID_ACS = 0x000d;

/**
 * Parses a config-space dump (the sysfs `config` file: 4096 bytes for root, 64 for others) for the
 * IDs, the PCIe capability and the ACS extended capability. Truncated or looping capability lists
 * end the walk instead of throwing.
 */
export function parseConfigSpace(bytes: Uint8Array): ConfigSpaceInfo {
  checkBytes("config space", bytes);
  const u8 = (o: number) => (o < bytes.length ? bytes[o]! : 0);
  const u16 = (o: number) => u8(o) | (u8(o + 1) << 8);
  const u32 = (o: number) => (u16(o) | (u16(o + 2) << 16)) >>> 0;
  let pcieType: number | null = null;
  const STATUS_CAP_LIST = 0x10;
  if (bytes.length >= 0x40 && (u16(0x06) & STATUS_CAP_LIST) !== 0) {
    const headerType = u8(0x0e) & 0x7f;
    let ptr = u8(headerType === 2 ? 0x14 : 0x34) & 0xfc;
    for (let guard = 0; ptr >= 0x40 && ptr + 4 <= bytes.length && guard < 48; guard++) {
      if (u8(ptr) === CAP_ID_PCIE) {
        pcieType = (u16(ptr + 2) >> 4) & 0xf;
        break;
      }
      ptr = u8(ptr + 1) & 0xfc;
    }
  }
  let acsControl: number | null = null;
  let ext = 0x100;
  for (let guard = 0; ext >= 0x100 && ext + 8 <= bytes.length && guard < 480; guard++) {
    const header = u32(ext);
    if (header === 0 || header === 0xffff_ffff) break;
    if ((header & 0xffff) === EXT_CAP_ID_ACS) {
      acsControl = u16(ext + 6);
      break;
    }
    ext = (header >>> 20) & 0xffc;
  }
  return {
    vendor: u16(0),
    device: u16(2),
    classCode: u8(0x09) | (u8(0x0a) << 8) | (u8(0x0b) << 16),
    pcieType,
    acsControl,
  };
}

/** Folds a raw PCIe Device/Port Type into the model's {@link PciPortType}. */
export function portTypeOfPcie(pcieType: number): PciPortType {
  switch (pcieType) {
    case 4:
      return "root-port";
    case 5:
      return "upstream-port";
    case 6:
      return "downstream-port";
    case 7:
    case 8:
      return "pci-bridge";
    default:
      return "endpoint"; // 0 endpoint, 1 legacy endpoint, 9 RCiEP, 10 RC event collector
  }
}
