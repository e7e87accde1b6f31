/**
 * Docker keeps a line longer than 16 KiB as pieces of 16 KiB (its log copier's buffer), and its logs
 * API with timestamps sends each piece with a time of its own:
 *
 *   T1 <16384 bytes>T1 <16384 bytes>T1 <the rest>\n
 *
 * Read as one line, the text would carry "T1 " every 16 KiB: a JSON line of 20 KiB would no longer be
 * JSON (Cloud Run reads it whole, up to Cloud Logging's 256 KB entry). The times are taken out where
 * Docker puts them, at every 16384th byte of the text, and nowhere else.
 */
export const DOCKER_PIECE_BYTES = 16 * 1024;

/** RFC 3339 with up to nanoseconds and a space, as Docker writes a time before a piece. */
const PIECE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d) /;
const LONGEST_TIME = 36;

/** The text of a line (after its first time) without the times Docker put before its later pieces. */
export function joinDockerPieces(text: string): string {
  // A UTF-16 code unit is at most 3 bytes of UTF-8: a text this short has no second piece (the usual case, no copy).
  if (text.length * 3 <= DOCKER_PIECE_BYTES) return text;
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= DOCKER_PIECE_BYTES) return text;
  const kept: Buffer[] = [];
  // `start`: where the current piece begins; Docker's time, if any, follows its 16384th byte.
  let start = 0;
  for (let at = DOCKER_PIECE_BYTES; at < bytes.length; at = start + DOCKER_PIECE_BYTES) {
    const time = PIECE_TIME.exec(bytes.toString("latin1", at, Math.min(bytes.length, at + LONGEST_TIME)));
    if (!time) break; // not Docker's piece: the rest is as it came
    kept.push(bytes.subarray(start, at));
    start = at + time[0].length;
  }
  if (kept.length === 0) return text;
  kept.push(bytes.subarray(start));
  return Buffer.concat(kept).toString("utf8");
}
