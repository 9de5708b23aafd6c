/**
 * A simulated clock in milliseconds with one-shot timers, standing in for jiffies and
 * `mod_timer()`: nothing happens by itself, time moves only when {@link SimClock.advance} is
 * called, and due timers fire in deadline order (ties in the order they were set) with `now` set
 * to their deadline. Several IOMMU domains can share one clock.
 */
import { RlistError } from "@rlist/encoding";
import { checkFunction } from "../args.js";

interface Timer {
  readonly deadline: number;
  readonly seq: number;
  readonly fire: () => void;
}

export class SimClock {
  #now = 0;
  #seq = 0;
  #timers: Timer[] = [];

  /** Current time in milliseconds (starts at 0). */
  get now(): number {
    return this.#now;
  }

  /** Timers set and not fired yet. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /**
   * Runs `fire` once the clock reaches `now + delayMs` (like `mod_timer(jiffies + delay)` of a timer
   * that is not pending). `delayMs` is a non-negative finite number.
   */
  setTimer(delayMs: number, fire: () => void): void {
    checkFunction("timer callback", fire);
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw new RlistError("EINVAL", `timer delay ${String(delayMs)} ms is not a non-negative number`);
    }
    const t: Timer = { deadline: this.#now + delayMs, seq: this.#seq++, fire };
    // Kept sorted by (deadline, seq); a handful of timers at most, so a linear insert is fine.
    let i = this.#timers.length;
    while (i > 0 && this.#timers[i - 1]!.deadline > t.deadline) i--;
    this.#timers.splice(i, 0, t);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RlistError("EINVAL", `cannot advance the clock by ${String(ms)} ms`);
    }
    const target = this.#now + ms;
    for (;;) {
      const t = this.#timers[0];
      if (t === undefined || t.deadline > target) break;
      this.#timers.shift();
      this.#now = t.deadline;
      t.fire();
    }
    this.#now = target;
  }
}
