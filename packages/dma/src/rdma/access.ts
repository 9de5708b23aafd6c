/**
 * MR access flags, like `enum ib_access_flags` (the subset the MR model acts on) and the checks
 * `ib_check_mr_access()` makes before a registration.
 */
import { formatValue, RlistError } from "@rlist/encoding";

export const IB_ACCESS_LOCAL_WRITE = 1 << 0;
export const IB_ACCESS_REMOTE_WRITE = 1 << 1;
export const IB_ACCESS_REMOTE_READ = 1 << 2;
export const IB_ACCESS_REMOTE_ATOMIC = 1 << 3;
export const IB_ACCESS_MW_BIND = 1 << 4;
/** On-demand paging: the MR follows the address space through invalidate / fault. */
export const IB_ACCESS_ON_DEMAND = 1 << 6;

const KNOWN =
  IB_ACCESS_LOCAL_WRITE |
  IB_ACCESS_REMOTE_WRITE |
  IB_ACCESS_REMOTE_READ |
  IB_ACCESS_REMOTE_ATOMIC |
  IB_ACCESS_MW_BIND |
  IB_ACCESS_ON_DEMAND;

/**
 * Like ib_check_mr_access(): `EINVAL` for unknown bits, and for remote write or atomic access
 * without local write (the HCA would write memory the owner declared read-only).
 */
export function checkMrAccess(access: number): void {
  if (typeof access !== "number" || !Number.isInteger(access) || access < 0 || (access & ~KNOWN) !== 0) {
    throw new RlistError("EINVAL", `unknown MR access flags ${formatValue(access)}`);
  }
  if (
    (access & (IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC)) !== 0 &&
    (access & IB_ACCESS_LOCAL_WRITE) === 0
  ) {
    throw new RlistError("EINVAL", "remote write or atomic access needs IB_ACCESS_LOCAL_WRITE");
  }
}

/** Like ib_access_writable(): the device may write the pages (GUP with FOLL_WRITE). */
export function accessWritable(access: number): boolean {
  checkMrAccess(access);
  return (
    (access &
      (IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC | IB_ACCESS_MW_BIND)) !==
    0
  );
}
