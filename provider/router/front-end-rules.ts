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
