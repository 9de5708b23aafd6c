import { checkU53, RlistError } from "@rlist/encoding";
import type { CpuRangeList } from "./cpu-range-list.js";

/**
 * Copies between `buffer` and the list's bytes `[position, position + buffer.length)`: into the buffer
 * when `toBuffer`, else out of it. Checks the whole range first (inside the list, every byte RAM or
 * BAR memory) so an `EFAULT` leaves both sides untouched.
 */
export function copyBetween(
  list: CpuRangeList,
  buffer: Uint8Array,
  position: number,
  toBuffer: boolean,
): void {
  checkU53("position", position);
  const n = buffer.length;
  if (position + n > list.length) {
    throw new RlistError("EFAULT", `[${position}, ${position + n}) passes the list's end ${list.length}`);
  }
  if (n === 0) return;
  const memory = list.memory;
  const c = list.cursor();
  for (let pass = 0; pass < 2; pass++) {
    c.seek(position);
    let done = 0;
    while (done < n) {
      const skip = position + done - c.position;
      const take = Math.min(c.length - skip, n - done);
      const phys = c.phys + skip;
      if (pass === 0) {
        if (!memory.isAccessible(phys, take)) {
          throw new RlistError(
            "EFAULT",
            `list bytes at ${position + done} map to 0x${phys.toString(16)}, which is not memory`,
          );
        }
      } else if (toBuffer) {
        memory.read(phys, buffer.subarray(done, done + take));
      } else {
        memory.write(phys, buffer.subarray(done, done + take));
      }
      done += take;
      if (done < n) c.next();
    }
  }
}
