/** A bad command-line argument: reported on stderr with exit code 2, before anything is written. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
