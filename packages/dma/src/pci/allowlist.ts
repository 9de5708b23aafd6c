import { checkSafe } from "@rlist/encoding";
import { checkString } from "../args.js";
/**
 * Whether a host bridge forwards peer-to-peer traffic between its root ports:
 * - `allowed`: across its own root ports and to other allowed bridges (whitelist entry, no flags);
 * - `same-host-bridge`: only when both devices sit below this one bridge (`REQ_SAME_HOST_BRIDGE`);
 * - `denied`: never (the kernel's default for unknown root complexes).
 */
export type HostBridgeP2p = "allowed" | "same-host-bridge" | "denied";

/** One row of the host-bridge allow-list, keyed by the root device's vendor and device ID. */
export interface HostBridgeAllowEntry {
  readonly vendor: number;
  /** Device ID, or `"any"` for every device of the vendor. */
  readonly device: number | "any";
  readonly p2p: Exclude<HostBridgeP2p, "denied">;
  readonly note: string;
}

const INTEL = 0x8086;
const GOOGLE = 0x1ae0;

/**
 * The kernel's `pci_p2pdma_whitelist` idea, with the IDs its drivers/pci/p2pdma.c lists.
 * (Newer kernels add Intel DSA/IAX/QAT IDs; they are not reproduced here.)
 */
export const HOST_BRIDGE_ALLOWLIST: readonly HostBridgeAllowEntry[] = [
  { vendor: INTEL, device: 0x3c00, p2p: "same-host-bridge", note: "Xeon E5 / Core i7 (Sandy Bridge-EP)" },
  { vendor: INTEL, device: 0x3c01, p2p: "same-host-bridge", note: "Xeon E5 / Core i7 (Sandy Bridge-EP)" },
  { vendor: INTEL, device: 0x2f00, p2p: "same-host-bridge", note: "Xeon E5 v3 (Haswell-EP)" },
  { vendor: INTEL, device: 0x2f01, p2p: "same-host-bridge", note: "Xeon E5 v3 (Haswell-EP)" },
  { vendor: INTEL, device: 0x2030, p2p: "allowed", note: "Skylake-E root port" },
  { vendor: INTEL, device: 0x2031, p2p: "allowed", note: "Skylake-E root port" },
  { vendor: INTEL, device: 0x2032, p2p: "allowed", note: "Skylake-E root port" },
  { vendor: INTEL, device: 0x2033, p2p: "allowed", note: "Skylake-E root port" },
  { vendor: INTEL, device: 0x2020, p2p: "allowed", note: "Skylake-E host bridge" },
  { vendor: INTEL, device: 0x09a2, p2p: "allowed", note: "Ice Lake-SP host bridge" },
  { vendor: GOOGLE, device: "any", p2p: "allowed", note: "Google (all devices)" },
];

/** Allow-list verdict for a root device; `denied` when it is not listed. */
export function hostBridgeP2pFor(vendor: number, device: number): HostBridgeP2p {
  checkSafe("vendor", vendor, 0xffff);
  checkSafe("device", device, 0xffff);
  for (const e of HOST_BRIDGE_ALLOWLIST) {
    if (e.vendor === vendor && (e.device === "any" || e.device === device)) return e.p2p;
  }
  return "denied";
}

/**
 * Like the kernel's `cpu_supports_p2pdma()`: true for AMD family 0x17 (Zen) and later, read from
 * `/proc/cpuinfo` text. Such CPUs route P2P through any of their root complexes.
 */
export function cpuSupportsP2pFromCpuinfo(cpuinfo: string): boolean {
  checkString("/proc/cpuinfo text", cpuinfo);
  const vendor = /^vendor_id\s*:\s*(\S+)/m.exec(cpuinfo)?.[1];
  const family = /^cpu family\s*:\s*(\d+)/m.exec(cpuinfo)?.[1];
  return vendor === "AuthenticAMD" && family !== undefined && Number(family) >= 0x17;
}
