/**
 * Cloud Run's session affinity, as the router keeps it: the first response of a revision with
 * affinity on sets a cookie naming the instance that answered, and the client's later requests that
 * carry it go to that instance while it is there and has a free slot (best effort, as on Cloud Run:
 * otherwise the request is routed as any other, and the response names the new instance). The
 * cookie is Cloud Run's (GAESA, 30 days); its value is the revision and the instance, which are
 * the engine's own names and say nothing a client could use elsewhere.
 */

export const AFFINITY_COOKIE = "GAESA";
const MAX_AGE_SECONDS = 30 * 24 * 3600;

export interface AffinityTarget {
  revision: string;
  instanceId: string;
}

/** The Set-Cookie value that sends the client back to `instanceId` of `revision`. */
export function affinityCookie(revision: string, instanceId: string): string {
  const token = Buffer.from(`${revision}/${instanceId}`).toString("base64url");
  return `${AFFINITY_COOKIE}=${token}; Max-Age=${MAX_AGE_SECONDS}; Path=/; HttpOnly`;
}

/**
 * The instance the request's affinity cookie names, if it carries one that reads as skiff's
 * (HTTP/2 clients may split cookies over several lines; a foreign or damaged value is no affinity).
 */
export function affinityOf(rawHeaders: readonly string[]): AffinityTarget | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name.length !== 6 || name.toLowerCase() !== "cookie") continue;
    const token = cookieValue(rawHeaders[i + 1], AFFINITY_COOKIE);
    if (token === undefined) continue;
    const text = Buffer.from(token, "base64url").toString();
    const slash = text.indexOf("/");
    if (slash > 0 && slash < text.length - 1) return { revision: text.slice(0, slash), instanceId: text.slice(slash + 1) };
  }
  return undefined;
}

/** The value of cookie `name` in one Cookie line ("a=1; GAESA=x; b=2"), or undefined. */
function cookieValue(line: string, name: string): string | undefined {
  let at = 0;
  while (at < line.length) {
    while (line.charCodeAt(at) === 32) at++;
    const end = line.indexOf(";", at);
    const pair = end < 0 ? line.slice(at) : line.slice(at, end);
    if (pair.length > name.length && pair.startsWith(name) && pair.charCodeAt(name.length) === 61) return pair.slice(name.length + 1);
    if (end < 0) return undefined;
    at = end + 1;
  }
  return undefined;
}

/**
 * A response head ([name, value, ...]) with the affinity cookie added: like any response that sets
 * a cookie it is one client's, so its Cache-Control becomes `private` (forwarding.ts's rule).
 */
export function withAffinityCookie(headers: readonly string[], cookie: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i].toLowerCase() !== "cache-control") out.push(headers[i], headers[i + 1]);
  }
  out.push("set-cookie", cookie, "cache-control", "private");
  return out;
}
