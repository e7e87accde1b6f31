import test from "ava";
import { parseRequestHead } from "../../provider/router/forwarding";
import type { CompletedRequest } from "../../provider/router/request-observer";
import { requestLogLine } from "../../provider/telemetry/request-log-line";
import { RequestTelemetry, type RequestSink } from "../../provider/telemetry/request-telemetry";

function request(overrides: Partial<CompletedRequest> & { rawHeaders?: string[]; url?: string } = {}): CompletedRequest {
  const head = parseRequestHead(
    "POST",
    overrides.url ?? "/a?b=1",
    overrides.rawHeaders ?? ["Host", "svc.localhost:8080"],
    "::ffff:10.1.2.3",
  );
  return {
    head,
    servedBy: { project: "p", service: "svc", revision: "svc-00001-abc" },
    instanceId: "inst-1",
    status: 503,
    protocol: "HTTP/1.1",
    startedAt: performance.now() - 2,
    requestBodyBytes: 7,
    responseBytes: 120,
    cut: false,
    ...overrides,
  };
}

interface SentBlock {
  service: string;
  text: string;
  handedOver: boolean;
  buffer: ArrayBufferLike;
  byteLength: number;
}

/** The log side's two ways in, recorded: a block's text is read at the call, as the lender allows. */
function recordingLogs(blocks: SentBlock[]) {
  const take = (service: string, block: Uint8Array, handedOver: boolean) =>
    blocks.push({
      service,
      text: Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString("utf8"),
      handedOver,
      buffer: block.buffer,
      byteLength: block.byteLength,
    });
  return {
    appendKept: (_project: string, service: string, block: Uint8Array) => take(service, block, false),
    handOverKept: (_project: string, service: string, block: Uint8Array) => take(service, block, true),
  };
}

test("a request's log line is one JSON record shaped like Cloud Logging's, with what a client chose escaped", (t) => {
  const endedAt = Date.UTC(2026, 11, 6, 12, 0, 1, 5);
  const line = requestLogLine(
    request({ rawHeaders: ["Host", "svc.localhost:8080", "User-Agent", 'ag"ent\\x', "Referer", "http://r/\u0001"] }),
    endedAt,
    1.2345,
  );
  const record = JSON.parse(line) as Record<string, unknown>;
  t.like(record, {
    time: "2026-12-06T12:00:01.003Z",
    stream: "request",
    revision: "svc-00001-abc",
    instance: "inst-1",
    severity: "ERROR",
    httpRequest: {
      requestMethod: "POST",
      requestUrl: "http://svc.localhost:8080/a?b=1",
      status: 503,
      responseSize: "120",
      userAgent: 'ag"ent\\x',
      referer: "http://r/\u0001",
      remoteIp: "10.1.2.3",
      latency: "0.001235s",
      protocol: "HTTP/1.1",
    },
  });
  t.regex(record.trace as string, /^projects\/p\/traces\/[0-9a-f]{32}$/);
  t.regex(record.spanId as string, /^[0-9a-f]{16}$/);
  // An unsampled trace (the one the ingress makes) has no traceSampled; a client's sampled one has it, as Cloud Run writes it.
  t.is(record.traceSampled, undefined);
  const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const sampled = JSON.parse(
    requestLogLine(request({ rawHeaders: ["Host", "svc.localhost", "traceparent", traceparent] }), endedAt, 1),
  ) as Record<string, unknown>;
  t.like(sampled, { trace: "projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceSampled: true });
  // Request line, header lines and the empty line, plus the body.
  const head = 'POST /a?b=1 HTTP/1.1\r\nHost: svc.localhost:8080\r\nUser-Agent: ag"ent\\x\r\nReferer: http://r/\u0001\r\n\r\n';
  t.is((record.httpRequest as { requestSize: string }).requestSize, String(head.length + 7));
  // A request no instance answered, and latencies of whole seconds.
  const unanswered = JSON.parse(requestLogLine(request({ instanceId: undefined, status: 200 }), endedAt, 61_000.0004)) as {
    instance: string;
    severity: string;
    httpRequest: { latency: string };
  };
  t.is(unanswered.instance, "");
  t.is(unanswered.severity, "INFO");
  t.is(unanswered.httpRequest.latency, "61.000000s");
});

test("entries go to the log thread per service, as UTF-8 blocks of lines; the metrics see each request with its numbers at completion", (t) => {
  const blocks: SentBlock[] = [];
  const recorded: { status: number; latencyMs: number }[] = [];
  const sink: RequestSink = { record: (r, latencyMs) => recorded.push({ status: r.status, latencyMs }) };
  const telemetry = new RequestTelemetry(recordingLogs(blocks), sink);
  const other = request({ servedBy: { project: "p", service: "other", revision: "other-1" } });
  const first = request({ url: "/é" });
  telemetry.completed(first);
  // Changed after completion: the entry keeps what it was when the request completed.
  (first as { status: number }).status = 200;
  telemetry.completed(other);
  for (let i = 0; i < 70; i++) telemetry.completed(request({ status: 200 }));
  telemetry.flush();
  t.is(recorded.length, 72);
  t.is(recorded[0].status, 503);
  t.true(recorded.every((r) => r.latencyMs >= 2));
  const lines = (service: string) =>
    blocks
      .filter((b) => b.service === service)
      .flatMap((b) => b.text.split("\n"))
      .map((line) => JSON.parse(line) as { httpRequest: { status: number; requestUrl: string } });
  t.is(lines("svc").length, 71);
  t.is(lines("other").length, 1);
  t.is(lines("svc")[0].httpRequest.status, 503);
  t.is(lines("svc")[0].httpRequest.requestUrl, "http://svc.localhost:8080/é");
  t.true(
    blocks.every((b) => !b.handedOver),
    "a flush's few entries are lent (copied by the log side): the batch's buffer is used again",
  );
  // Nothing is left over for a second flush.
  telemetry.flush();
  t.is(recorded.length, 72);
});

test("a full batch's buffer is handed over and the batch takes a new one; a flush's few entries are lent from a buffer used again", (t) => {
  const blocks: SentBlock[] = [];
  const telemetry = new RequestTelemetry(recordingLogs(blocks));
  const long = `/${"x".repeat(2_000)}`;
  for (let i = 0; i < 250; i++) telemetry.completed(request({ url: long }));
  telemetry.flush();
  for (let i = 0; i < 3; i++) telemetry.completed(request());
  telemetry.flush();
  for (let i = 0; i < 3; i++) telemetry.completed(request());
  telemetry.flush();
  t.is(blocks.flatMap((b) => b.text.split("\n")).length, 256);
  const handedOver = blocks.filter((b) => b.handedOver);
  t.true(handedOver.length >= 2, `${handedOver.length} handed over`);
  t.true(
    blocks.every((b) => b.handedOver === b.byteLength >= 64 * 1024),
    "a block of 64 KiB or more is handed over, a smaller one lent",
  );
  t.is(new Set(handedOver.map((b) => b.buffer)).size, handedOver.length, "each buffer handed over is given up, never used again");
  const [lentBefore, lentLast] = blocks.slice(-2);
  t.false(lentLast.handedOver);
  t.is(lentLast.buffer, lentBefore.buffer, "the lent buffer is written again by the next batch");
  t.false(
    handedOver.some((b) => b.buffer === lentLast.buffer),
    "never one that was handed over",
  );
});
