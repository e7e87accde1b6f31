// The request part of a log record: its own file, so the log store (which formats it as text) and the
// Cloud Logging entries (log-entry.ts, which read the store's records) need not import each other.

/** Cloud Logging's HttpRequest; sizes are int64s, which its JSON writes as strings. */
export interface HttpRequestFields {
  requestMethod: string;
  requestUrl: string;
  requestSize: string;
  status: number;
  responseSize: string;
  userAgent?: string;
  remoteIp: string;
  referer?: string;
  /** A Duration: seconds with a fraction and "s" ("0.004213s"). */
  latency: string;
  protocol: string;
}

/** What `logs read` prints after "request:": method, status, sizes, latency, URL, user agent. */
export function requestSummary(h: HttpRequestFields): string {
  const ms = (parseFloat(h.latency) * 1000).toFixed(1);
  return `${h.requestMethod} ${h.status} ${h.responseSize} B ${ms} ms ${h.requestUrl}${h.userAgent ? ` ${JSON.stringify(h.userAgent)}` : ""}`;
}
