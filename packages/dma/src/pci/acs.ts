import { formatValue, RlistError } from "@rlist/encoding";
import { checkBoolean, checkObject } from "../args.js";

/**
 * ACS Control register bits (PCIe ACS Extended Capability, offset 6), as in `PCI_ACS_*`.
 * The P2P path walk only cares about the three redirecting ones, like `pci_bridge_has_acs_redir()`.
 */
export const ACS_SOURCE_VALIDATION = 0x0001;
export const ACS_TRANSLATION_BLOCKING = 0x0002;
export const ACS_REQUEST_REDIRECT = 0x0004;
export const ACS_COMPLETION_REDIRECT = 0x0008;
export const ACS_UPSTREAM_FORWARDING = 0x0010;
export const ACS_EGRESS_CONTROL = 0x0020;
export const ACS_DIRECT_TRANSLATED = 0x0040;

/** Bits that send peer traffic up to the root complex instead of across the switch. */
export const ACS_REDIRECT_MASK = ACS_REQUEST_REDIRECT | ACS_COMPLETION_REDIRECT | ACS_EGRESS_CONTROL;

/** Friendly form of the ACS Control bits the P2P decision depends on. */
export interface AcsFlags {
  readonly requestRedirect?: boolean;
  readonly completionRedirect?: boolean;
  readonly egressControl?: boolean;
}

/** The ACS Control word for `flags`. */
export function acsControlOf(flags: AcsFlags): number {
  checkObject("ACS flags", flags);
  const { requestRedirect, completionRedirect, egressControl } = flags;
  checkBoolean("requestRedirect", requestRedirect, true);
  checkBoolean("completionRedirect", completionRedirect, true);
  checkBoolean("egressControl", egressControl, true);
  return (
    (requestRedirect === true ? ACS_REQUEST_REDIRECT : 0) |
    (completionRedirect === true ? ACS_COMPLETION_REDIRECT : 0) |
    (egressControl === true ? ACS_EGRESS_CONTROL : 0)
  );
}

/** True when `control` redirects peer requests or completions upstream (RR, CR or EC set). */
export function acsRedirects(control: number): boolean {
  if (typeof control !== "number" || !Number.isInteger(control) || control < 0 || control > 0xffff) {
    throw new RlistError("EINVAL", `ACS control must be a u16, got ${formatValue(control)}`);
  }
  return (control & ACS_REDIRECT_MASK) !== 0;
}
