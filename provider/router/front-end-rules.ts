/**
 * What Cloud Run's front end (Google's, ahead of the container) does to a request before the
 * container sees it, where an app that works on skiff would otherwise fail on Cloud Run:
 *
 * - Reserved paths: `/healthz` is answered 404 by the front end and never reaches the container
 *   (seen on deployed services: a Google 404 page, no request log line; `/healthz/`, `/readyz`,
 *   `/livez` and `/_ah/health` did reach the app). Cloud Run's known issues also reserve
 *   `/eventlog`, which is answered the same way. The rest of what they call reserved (other paths
 *   starting with `/_ah/`, "some paths ending in z") is not refused here: apps were seen reaching
 *   such paths, and refusing what works on Cloud Run would be the opposite bug.
 * - TRACE is never passed to a container (known issues: "unsupported HTTP methods"; CONNECT too,
 *   which the connection refuses before it gets here): 405.
 * - Some percent-encoded characters of the path are decoded before the container gets it (known
 *   issues: `%41` arrives as `A`; seen: `%40` arrives as `@` while `%2F` and `%5B` stay encoded).
 *   Decoded here: the unreserved characters (RFC 3986 §2.3, which decode to the same URI) and `@`,
 *   the ones known to be decoded; the rest, and the query, stay as the client sent them. The
 *   reserved paths are matched after decoding.
 *
 * Each check is a scan of the target with no allocation unless it applies (the ingress runs them
 * for every request).
 */

/** Answered 404 by the front end, whatever the query. */
export function isReservedPath(url: string): boolean {
  const query = url.indexOf("?");
  const length = query < 0 ? url.length : query;
  if (length === 8) return url.startsWith("/healthz");
  if (length === 9) return url.startsWith("/eventlog");
  return false;
}

/** Methods the front end never passes to a container. */
export function isUnservedMethod(method: string): boolean {
  return method === "TRACE";
}

/** The target as the container receives it: `url` itself unless its path has an escape the front end decodes. */
export function frontEndTarget(url: string): string {
  const escape = url.indexOf("%");
  if (escape < 0) return url;
  const query = url.indexOf("?");
  const pathEnd = query < 0 ? url.length : query;
  if (escape > pathEnd) return url;
  let decoded = "";
  let copiedTo = 0;
  for (let i = escape; i < pathEnd - 2; i++) {
    if (url.charCodeAt(i) !== 37 /* % */) continue;
    const code = hexValue(url.charCodeAt(i + 1)) * 16 + hexValue(url.charCodeAt(i + 2));
    if (code < 0 || !DECODED[code]) continue;
    decoded += url.slice(copiedTo, i) + String.fromCharCode(code);
    copiedTo = i + 3;
    i += 2;
  }
  return copiedTo === 0 ? url : decoded + url.slice(copiedTo);
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  // Large enough that the sum stays negative: not an escape.
  return -1024;
}

/** ASCII codes decoded by the front end: ALPHA, DIGIT, `-`, `.`, `_`, `~`, and `@`. */
const DECODED: readonly boolean[] = Array.from({ length: 128 }, (_, code) => {
  const char = String.fromCharCode(code);
  return /[A-Za-z0-9\-._~@]/.test(char);
});
