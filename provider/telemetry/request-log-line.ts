import { severityOfStatus } from "../logs/log-entry";
import { traceOf } from "../router/forwarding";
import type { CompletedRequest } from "../router/request-observer";

/** The ISO form of the current second, made once a second ("2026-12-06T12:00:00"). */
let isoSecond = -1;
let isoPrefix = "";
function isoTime(ms: number): string {
  const whole = Math.floor(ms);
  const second = Math.floor(whole / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  const milli = whole - second * 1000;
  return `${isoPrefix}.${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
}

/**
 * A request's entry in its service's log, as the kept JSON line (log-store.ts's LogRecord with the
 * fields of a Cloud Logging request entry: severity, httpRequest, trace, spanId). Built as one
 * string on the event loop that proxies, so it is written by hand: a template and JSON.stringify
 * for the strings a client chose, about a microsecond per request where a whole-object stringify
 * costs more (bench/router.ts measures it).
 */
export function requestLogLine(request: CompletedRequest, endedAt: number, latencyMs: number): string {
  const { head, servedBy } = request;
  // The head's size as sent: request line, header lines, the empty line.
  let headBytes = head.method.length + head.url.length + 12;
  let userAgent: string | undefined;
  let referer: string | undefined;
  const raw = head.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    headBytes += name.length + raw[i + 1].length + 4;
    if (name.length === 10 && userAgent === undefined && name.toLowerCase() === "user-agent") userAgent = raw[i + 1];
    else if (name.length === 7 && referer === undefined && name.toLowerCase() === "referer") referer = raw[i + 1];
  }
  const trace = traceOf(head);
  const status = request.status;
  const remoteIp = head.remoteAddress.startsWith("::ffff:") ? head.remoteAddress.slice(7) : head.remoteAddress;
  const url = `http://${head.host ?? ""}${head.url}`;
  return (
    `{"time":"${isoTime(endedAt - latencyMs)}","stream":"request","text":"",` +
    `"revision":${JSON.stringify(servedBy.revision)},"instance":${JSON.stringify(request.instanceId ?? "")},` +
    `"severity":"${severityOfStatus(status)}","httpRequest":{"requestMethod":${JSON.stringify(head.method)},` +
    `"requestUrl":${JSON.stringify(url)},"requestSize":"${headBytes + request.requestBodyBytes}","status":${status},` +
    `"responseSize":"${request.responseBytes}",${userAgent === undefined ? "" : `"userAgent":${JSON.stringify(userAgent)},`}` +
    `"remoteIp":${JSON.stringify(remoteIp)},${referer === undefined ? "" : `"referer":${JSON.stringify(referer)},`}` +
    `"latency":"${(latencyMs / 1000).toFixed(6)}s","protocol":"${request.protocol}"},` +
    `"trace":"projects/${servedBy.project}/traces/${trace.traceId}","spanId":"${trace.spanId}"}`
  );
}
