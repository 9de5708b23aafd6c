import { formatValue, RlistError } from "@rlist/encoding";
import { checkObject } from "../args.js";

/** A PCI address: domain (segment), bus, device (slot) and function. */
export interface Bdf {
  readonly domain: number;
  readonly bus: number;
  readonly device: number;
  readonly fn: number;
}

const BDF = /^(?:([0-9a-f]{4,8}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i;

/** Parses `0000:01:00.0` (the domain may be omitted: `01:00.0` means domain 0). `EINVAL` if malformed. */
export function parseBdf(text: string): Bdf {
  const m = typeof text === "string" ? BDF.exec(text.trim()) : null;
  if (!m)
    throw new RlistError("EINVAL", `not a PCI address (domain:bus:device.function): ${formatValue(text)}`);
  const device = Number.parseInt(m[3]!, 16);
  if (device > 31) throw new RlistError("EINVAL", `PCI device number ${device} is above 31 in ${text}`);
  return {
    domain: m[1] === undefined ? 0 : Number.parseInt(m[1], 16),
    bus: Number.parseInt(m[2]!, 16),
    device,
    fn: Number.parseInt(m[4]!, 10),
  };
}

/** The fields of `a` (each read once) as [domain, bus, device, fn]; `EINVAL` when one is out of range. */
function bdfFields(a: Bdf): [number, number, number, number] {
  checkObject("PCI address", a);
  const fields: Array<[string, number, number]> = [
    ["domain", a.domain, 0xffff_ffff],
    ["bus", a.bus, 0xff],
    ["device", a.device, 31],
    ["function", a.fn, 7],
  ];
  for (const [name, v, max] of fields) {
    if (!Number.isInteger(v) || v < 0 || v > max) {
      throw new RlistError("EINVAL", `PCI ${name} must be an integer 0..${max}, got ${formatValue(v)}`);
    }
  }
  return [fields[0]![1], fields[1]![1], fields[2]![1], fields[3]![1]];
}

/** Formats like the kernel's `pci_name()`: `dddd:bb:dd.f`, lower-case hex. */
export function formatBdf(a: Bdf): string {
  const [domain, bus, device, fn] = bdfFields(a);
  const h = (v: number, w: number) => v.toString(16).padStart(w, "0");
  return `${h(domain, 4)}:${h(bus, 2)}:${h(device, 2)}.${fn}`;
}

/** `devfn` as the kernel packs it: device << 3 | function. */
export function devfnOf(a: Bdf): number {
  return (a.device << 3) | a.fn;
}

/**
 * A number identifying a function across domains, the key the kernel uses for its per-provider
 * map-type cache: `(domain << 16) | (bus << 8) | devfn`.
 */
export function bdfKey(a: Bdf): number {
  const [domain, bus, device, fn] = bdfFields(a);
  return domain * 0x10000 + bus * 0x100 + ((device << 3) | fn);
}
