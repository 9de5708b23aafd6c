import { describe, expect, it } from "vitest";
import {
  interleaved,
  MIN_ROUNDS_TO_DECIDE,
  median,
  noiseFloor,
  speedRatio,
  type Timing,
  timingOf,
  worstNoise,
} from "../src/study/timing.js";

const t = (...samplesNs: number[]): Timing => timingOf(samplesNs);

describe("timed figures", () => {
  it("median with min and max", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(t(30, 10, 20)).toEqual({ medianNs: 20, minNs: 10, maxNs: 30, samplesNs: [30, 10, 20] });
  });

  it("interleaves: every contender once per round, the order rotated each round", () => {
    const order: number[] = [];
    let busy = 0;
    const spin = (id: number) => () => {
      order.push(id);
      // ~1 ms of work so one call is a whole calibrated sample
      const end = process.hrtime.bigint() + 2_100_000n;
      while (process.hrtime.bigint() < end) busy++;
    };
    const rounds: number[] = [];
    const ts = interleaved([spin(0), spin(1), spin(2)], 3, {
      warmCallNs: [3e6, 3e6, 3e6],
      onRound: (r) => rounds.push(r),
    });
    expect(rounds).toEqual([0, 1, 2]);
    expect(order).toEqual([0, 1, 2, 1, 2, 0, 2, 0, 1]);
    for (const x of ts) {
      expect(x.samplesNs).toHaveLength(3);
      expect(x.minNs).toBeGreaterThanOrEqual(2e6);
    }
    expect(busy).toBeGreaterThan(0);
  });
});

describe("speedRatio: a winner only outside the noise", () => {
  it("every round agrees and the effect is large: decided", () => {
    const r = speedRatio(t(10, 11, 10), t(20, 21, 19));
    expect(r.decided).toBe(true);
    expect(r.median).toBeGreaterThan(1.8);
    expect(r.median).toBeLessThan(2.1);
    expect(r.min).toBeGreaterThan(1);
  });

  it("rounds disagree on the direction: inside the noise", () => {
    const r = speedRatio(t(10, 30, 10), t(20, 15, 20));
    expect(r.min).toBeLessThan(1);
    expect(r.max).toBeGreaterThan(1);
    expect(r.decided).toBe(false);
  });

  it("all rounds agree but the effect is under 10 %: not claimed", () => {
    expect(speedRatio(t(100, 100, 100), t(105, 106, 104)).decided).toBe(false);
  });

  it("on five rounds, one disturbed round is tolerated, two are not", () => {
    const fast = t(10, 10, 10, 10, 10);
    const one = speedRatio(fast, t(20, 20, 5, 20, 20));
    expect(one).toMatchObject({ agree: 4, rounds: 5, decided: true });
    expect(speedRatio(fast, t(20, 5, 5, 20, 20)).decided).toBe(false);
  });

  it("the noise floor sets aside the worst round in five, like the comparisons", () => {
    expect(noiseFloor("x", t(10, 10, 10, 10, 10), t(10, 12, 50, 10, 10)).factor).toBe(1.2);
    expect(noiseFloor("x", t(10, 10, 10), t(10, 12, 50)).factor).toBe(5);
  });

  it("an effect inside the measured noise floor is not claimed", () => {
    const floor = noiseFloor("x", t(10, 10, 10), t(10, 25, 10));
    expect(floor.factor).toBe(2.5);
    expect(speedRatio(t(10, 10, 10), t(20, 20, 20), floor).decided).toBe(false);
    expect(speedRatio(t(10, 10, 10), t(30, 30, 30), floor).decided).toBe(true);
  });

  it("several A/A pairs: the floor is the worst of them, named by its pair", () => {
    const twins = noiseFloor("rlist-128", t(10, 10, 10), t(11, 10, 10));
    const same = noiseFloor("rlist-512 = rlist-512/no-merge", t(10, 10, 10), t(10, 13, 10));
    const worst = worstNoise([twins, same])!;
    expect(worst.control).toBe("rlist-512 = rlist-512/no-merge");
    expect(worst.factor).toBeCloseTo(1.3, 12);
    expect(worstNoise([])).toBeNull();
  });

  it(`fewer than ${MIN_ROUNDS_TO_DECIDE} rounds never decide`, () => {
    expect(speedRatio(t(1, 1), t(50, 50)).decided).toBe(false);
    expect(speedRatio(t(1, 1, 1), t(50, 50, 50)).decided).toBe(true);
  });
});
