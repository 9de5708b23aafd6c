import { SingleBar } from "cli-progress";

export interface Progress {
  step(done: number, total: number, label: string): void;
  stop(): void;
}

/**
 * A progress bar on stderr when stderr is a terminal; silent otherwise (pipes, CI, tests), so
 * stdout stays the table and stderr stays readable.
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { step() {}, stop() {} };
  const bar = new SingleBar({
    stream,
    format: "rlist-lab [{bar}] {value}/{total} {label}",
    barCompleteChar: "=",
    barIncompleteChar: " ",
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  let shownTotal = 0;
  return {
    step(done, total, label) {
      if (!started) {
        bar.start(total, 0, { label: "" });
        started = true;
        shownTotal = total;
      }
      if (total !== shownTotal) {
        // A new phase (processes read, then timing rounds) restarts the count.
        bar.setTotal(total);
        shownTotal = total;
      }
      bar.update(done, { label });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
