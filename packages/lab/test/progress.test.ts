import { describe, expect, it } from "vitest";
import { createProgress } from "../src/cli/progress.js";

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  const stream = {
    isTTY,
    columns: 100,
    rows: 30,
    write(s: string) {
      written.push(String(s));
      return true;
    },
    on() {
      return stream;
    },
    once() {
      return stream;
    },
    removeListener() {
      return stream;
    },
    off() {
      return stream;
    },
    cursorTo(_x: number, _y?: number, cb?: () => void) {
      cb?.();
      return true;
    },
    clearLine(_dir: number, cb?: () => void) {
      cb?.();
      return true;
    },
    moveCursor(_dx: number, _dy: number, cb?: () => void) {
      cb?.();
      return true;
    },
  };
  return { stream: stream as unknown as NodeJS.WriteStream, written };
}

describe("progress bar", () => {
  it("stays silent when stderr is not a terminal", () => {
    const { stream, written } = fakeStream(false);
    const p = createProgress(stream);
    p.step(1, 3, "rdma / rlist-512");
    p.stop();
    expect(written).toEqual([]);
  });

  it("draws on a terminal", () => {
    const { stream, written } = fakeStream(true);
    const p = createProgress(stream);
    p.step(1, 4, "rdma / rlist-512");
    p.stop();
    expect(written.join("")).toMatch(/rlist-lab \[=+ *\] 1\/4 rdma \/ rlist-512/);
  });
});
