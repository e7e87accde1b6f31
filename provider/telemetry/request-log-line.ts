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

/** What JSON.stringify would escape in a string (quote, backslash, control characters, lone surrogates). */
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as a JSON value: most (paths, agents) need no escaping, and a test is cheaper than a copy. */
function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}

/**
 * The `"revision":…,"instance":…,` part of the entries of one instance (or of a revision's requests
 * that none answered), made once: the same few strings are in every entry.
 */
const servedByParts = new Map<string, string>();
const MAX_SERVED_BY_PARTS = 4096;

function servedByPart(revision: string, instanceId: string | undefined): string {
  // Instance ids are unique in the engine; a request no instance answered is keyed by its revision.
  const key = instanceId ?? `\0${revision}`;
  let part = servedByParts.get(key);
  if (part === undefined) {
    if (servedByParts.size >= MAX_SERVED_BY_PARTS) servedByParts.clear();
    part = `"revision":${JSON.stringify(revision)},"instance":${JSON.stringify(instanceId ?? "")},`;
    servedByParts.set(key, part);
  }
  return part;
}

/** Seconds with six decimals ("0.000734s"), from integer microseconds (toFixed is slower, and this is exact). */
function latencyText(latencyMs: number): string {
  const micros = Math.max(0, Math.round(latencyMs * 1000));
  const whole = Math.floor(micros / 1e6);
  const fraction = String(micros - whole * 1e6);
  return `${whole}.${"000000".slice(fraction.length)}${fraction}s`;
}

/**
 * A request's entry in its service's log, as the kept JSON line (log-store.ts's LogRecord with the
 * fields of a Cloud Logging request entry: severity, httpRequest, trace, spanId, and traceSampled
 * when the request's trace is sampled, as Cloud Run writes it). Built as one
 * string on the event loop that proxies, so it is written by hand: a template, the parts that repeat
 * made once, and JSON.stringify only for the strings a client chose that need it, ~1 µs per request
 * where a whole-object stringify costs several (bench/router.ts measures it).
 */
export function requestLogLine(request: CompletedRequest, endedAt: number, latencyMs: number): string {
  const { head, servedBy } = request;
  // The head's size as sent: request line, header lines, the empty line.
  let headBytes = head.method.length + head.url.length + 14; // " ", " HTTP/1.1", CRLF, and the empty line
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
  return (
    `{"time":"${isoTime(endedAt - latencyMs)}","stream":"request","text":"",${servedByPart(servedBy.revision, request.instanceId)}` +
    `"severity":"${severityOfStatus(status)}","httpRequest":{"requestMethod":${jsonString(head.method)},` +
    `"requestUrl":${jsonString(`http://${head.host ?? ""}${head.url}`)},"requestSize":"${headBytes + request.requestBodyBytes}",` +
    `"status":${status},"responseSize":"${request.responseBytes}",` +
    `${userAgent === undefined ? "" : `"userAgent":${jsonString(userAgent)},`}"remoteIp":${jsonString(remoteIp)},` +
    `${referer === undefined ? "" : `"referer":${jsonString(referer)},`}"latency":"${latencyText(latencyMs)}",` +
    `"protocol":"${request.protocol}"},"trace":"projects/${servedBy.project}/traces/${trace.traceId}","spanId":"${trace.spanId}"${trace.sampled ? ',"traceSampled":true' : ""}}`
  );
}
