#!/usr/bin/env node
import { main } from "./cli/main.js";

// A reader that stops early (`rlist-lab inspect --hex f | head`) closes the pipe: stop quietly
// with the exit code the command already decided, as coreutils do, instead of an unhandled EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.exit(process.exitCode ?? 0);
  });
}

process.exitCode = main(process.argv);
