import { END_MARKER_WORD } from "./limits.js";
import { roomError } from "./validate.js";

/**
 * Writes the end-of-used-area marker (the word 3: encoding field 3) at unit `at`. Shared by both
 * codecs, whose markers are the same word; `ENOSPC` when `at` is not inside `words`, `EINVAL`
 * when `words` is not a `Uint32Array` or `at` not an index.
 */
export function writeEndMarker(words: Uint32Array, at: number): void {
  if (!(words instanceof Uint32Array && Number.isInteger(at) && at >= 0 && at < words.length)) {
    throw roomError(words, at, 1);
  }
  words[at] = END_MARKER_WORD;
}
