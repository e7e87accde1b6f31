import test from "ava";
import { parseStructured, toLogEntry, type LogEntry } from "../../provider/logs/log-entry";
import { parseLogFilter } from "../../provider/logs/log-filter";
import type { LogRecord } from "../../provider/logs/log-store";

const owner = { project: "p", name: "svc", kind: "service" } as const;

function request(status: number, extra: Partial<LogRecord> = {}): LogEntry {
  return toLogEntry(
    {
      time: "2026-12-06T12:00:00.000Z",
      stream: "request",
      text: "",
      revision: "svc-00001-abc",
      instance: "i1",
      severity: status >= 500 ? "ERROR" : "INFO",
      httpRequest: {
        requestMethod: "GET",
        requestUrl: "http://svc.localhost/x?y=1",
        requestSize: "120",
        status,
        responseSize: "300",
        remoteIp: "127.0.0.1",
        latency: "0.012000s",
        protocol: "HTTP/1.1",
      },
      trace: "projects/p/traces/abc",
      ...extra,
    },
    owner,
  );
}

const line = (text: string, stream: LogRecord["stream"] = "stdout") =>
  toLogEntry({ time: "2026-12-06T12:00:00.000Z", stream, text, revision: "svc-00001-abc", instance: "i1" }, owner);

test("comparisons on numbers, severities by rank, text; AND, a space, NOT and - join and negate", (t) => {
  const check = (filter: string, entry: LogEntry) => parseLogFilter(filter)(entry);
  t.true(check("httpRequest.status>=500", request(503)));
  t.false(check("httpRequest.status>=500", request(200)));
  t.true(check("httpRequest.status>=500 AND httpRequest.status<600", request(599)));
  t.true(check("httpRequest.status=200 httpRequest.requestMethod=GET", request(200)));
  t.false(check("NOT httpRequest.status=200", request(200)));
  t.true(check("-httpRequest.status=200", request(404)));
  t.true(check("severity>=WARNING", request(500)));
  t.false(check("severity>=warning", request(200)));
  t.true(check("httpRequest.latency>0.01", request(200)));
  t.true(check("httpRequest.requestSize<=120", request(200)));
  t.true(check('httpRequest.requestUrl:"Y=1"', request(200)));
  t.true(check("httpRequest:*", request(200)));
  t.false(check("httpRequest:*", line("hello")));
  t.true(check("textPayload:HELLO", line("hello world")));
  t.true(check('resource.labels.revision_name="svc-00001-abc"', line("x")));
  t.true(check("labels.instanceId=i1", line("x")));
  t.false(check("httpRequest.status=200", line("x")));
  t.true(check("httpRequest.status!=200", line("x")));
});

test("OR, parentheses and NOT with Cloud Logging's precedence: NOT, then OR, then AND", (t) => {
  const check = (filter: string, entry: LogEntry) => parseLogFilter(filter)(entry);
  t.true(check("httpRequest.status=500 OR httpRequest.status=404", request(404)));
  t.false(check("httpRequest.status=500 OR httpRequest.status=404", request(200)));
  // a AND b OR c is a AND (b OR c): false for a 200 when a is httpRequest.status=500.
  t.false(check("httpRequest.status=500 AND severity=ERROR OR severity=INFO", request(200)));
  t.true(check("httpRequest.status=200 AND severity=ERROR OR severity=INFO", request(200)));
  t.true(check("(httpRequest.status=500 AND severity=ERROR) OR severity=INFO", request(200)));
  t.true(check("NOT (httpRequest.status=500 OR httpRequest.status=404)", request(200)));
  // NOT binds to its comparison only: (NOT a) OR a holds for every entry.
  t.true(check("NOT httpRequest.status=200 OR httpRequest.status=200", request(404)));
  t.true(check("NOT httpRequest.status=200 OR httpRequest.status=200", request(200)));
  t.true(check("(severity>=ERROR OR httpRequest.status>=500) AND resource.labels.revision_name=svc-00001-abc", request(503)));
});

test("text compares without regard to case, regular expressions with it; quoted path segments", (t) => {
  const check = (filter: string, entry: LogEntry) => parseLogFilter(filter)(entry);
  t.true(check("httpRequest.requestMethod=get", request(200)));
  t.true(check('textPayload="Hello World"', line("hello world")));
  t.true(check('textPayload=~"^hel+o"', line("hello world")));
  t.false(check('textPayload=~"^HEL+O"', line("hello world")));
  t.true(check('textPayload!~"^bye"', line("hello world")));
  t.true(check(String.raw`textPayload=~"\d{3}"`, line("took 120 ms")));
  const job = toLogEntry(
    { time: "2026-12-06T12:00:00Z", stream: "stdout", text: "x", revision: "job-abcde", instance: "0-0", task: 0, attempt: 0 },
    { project: "p", name: "job", kind: "job" },
  );
  t.true(check('labels."run.googleapis.com/execution_name"=job-abcde', job));
  t.false(check('labels."run.googleapis.com/execution_name"="job-zzzzz"', job));
  const json = line(JSON.stringify({ message: "m", "a.b": { c: 1 } }));
  t.true(check('jsonPayload."a.b".c=1', json));
  t.true(check('jsonPayload.message="M"', json));
});

test("log_id(\"...\") is the entry's log, as Cloud Run's docs query it; other functions are refused", (t) => {
  const check = (filter: string, entry: LogEntry) => parseLogFilter(filter)(entry);
  t.true(check('log_id("run.googleapis.com/requests")', request(200)));
  t.false(check('log_id("run.googleapis.com/requests")', line("x")));
  t.true(check('log_id("run.googleapis.com/stderr") OR log_id("run.googleapis.com/stdout")', line("x", "stderr")));
  t.true(check('NOT log_id("run.googleapis.com/requests") AND textPayload:x', line("x")));
  t.true(check('-log_id("run.googleapis.com/requests")', line("x")));
  t.throws(() => parseLogFilter("sample(insertId, 0.1)"), { message: /--log-filter: the function sample\(\) is not supported/ });
  t.throws(() => parseLogFilter("log_id()"), { message: /--log-filter: log_id\(\) takes the log's id in quotes/ });
});

test("timestamps compare as times: Docker's nanoseconds, the ingress's milliseconds, offsets and dates", (t) => {
  const at = (time: string) => toLogEntry({ time, stream: "stdout", text: "x", revision: "svc-00001-abc", instance: "i1" }, owner);
  const check = (filter: string, entry: LogEntry) => parseLogFilter(filter)(entry);
  // As text, "12:00:00.5Z" sorts before "12:00:00Z"; as times it is after.
  t.true(check('timestamp>="2026-12-06T12:00:00Z"', at("2026-12-06T12:00:00.5Z")));
  t.true(check('timestamp>"2026-12-06T12:00:00.000000001Z"', at("2026-12-06T12:00:00.000000002Z")));
  t.false(check('timestamp>"2026-12-06T12:00:00.000000002Z"', at("2026-12-06T12:00:00.000000002Z")));
  t.true(check('timestamp<="2026-12-06T13:00:00+01:00"', at("2026-12-06T12:00:00.000Z")));
  t.true(check('timestamp>="2026-12-06" AND timestamp<"2026-12-07"', at("2026-12-06T23:59:59.999999999Z")));
  t.throws(() => parseLogFilter('timestamp>="yesterday"'), { message: /--log-filter: "yesterday" is not a time for timestamp/ });
});

test("what is outside the subset is an error naming --log-filter and the reason", (t) => {
  t.throws(() => parseLogFilter("error"), { message: /--log-filter: free text \("error"\) is not supported/ });
  t.throws(() => parseLogFilter('"connection reset"'), { message: /--log-filter: free text/ });
  t.throws(() => parseLogFilter('resource.type=("a" OR "b")'), { message: /--log-filter: a list of values/ });
  t.throws(() => parseLogFilter("(severity>=ERROR"), { message: /--log-filter: a "\(" is not closed/ });
  t.throws(() => parseLogFilter("severity>=ERROR)"), { message: /--log-filter: a "\)" has no "\("/ });
  t.throws(() => parseLogFilter("severity>=ERROR OR"), { message: /--log-filter: the filter ends/ });
  t.throws(() => parseLogFilter("OR severity>=ERROR"), { message: /--log-filter: OR where a comparison/ });
  t.throws(() => parseLogFilter('textPayload=~"("'), { message: /--log-filter: "\(" is not a regular expression/ });
  t.throws(() => parseLogFilter("severity>=LOUD"), { message: /--log-filter: "LOUD" is not a severity/ });
  t.throws(() => parseLogFilter(""), { message: /no comparison/ });
  t.throws(() => parseLogFilter("a=*"), { message: /only means "present"/ });
});

test("a container's JSON line: severity, trace, spanId, labels and httpRequest are lifted, the rest is the jsonPayload", (t) => {
  const text = JSON.stringify({
    severity: "warning",
    message: "m",
    n: 1,
    "logging.googleapis.com/trace": "t1",
    "logging.googleapis.com/spanId": "s1",
    "logging.googleapis.com/labels": { a: "b", n: 2 },
  });
  t.deepEqual(parseStructured(text, "p"), {
    jsonPayload: { message: "m", n: 1 },
    severity: "WARNING",
    trace: "projects/p/traces/t1",
    spanId: "s1",
    labels: { a: "b" },
  });
  t.is(parseStructured(JSON.stringify({ severity: "LOUD" }), "p")?.severity, "DEFAULT");
  t.is(parseStructured(JSON.stringify({ "logging.googleapis.com/trace": "projects/q/traces/x" }), "p")?.trace, "projects/q/traces/x");
  t.is(parseStructured("[1]", "p"), undefined);
  t.is(parseStructured("{not json", "p"), undefined);
  t.is(parseStructured("plain", "p"), undefined);
  const entry = line(text);
  t.like(entry, { severity: "WARNING", labels: { instanceId: "i1", a: "b" }, jsonPayload: { message: "m" } });
  t.is(entry.textPayload, undefined);
  t.like(line("plain", "stderr"), { severity: "DEFAULT", textPayload: "plain", logName: "projects/p/logs/run.googleapis.com%2Fstderr" });
  t.like(line("oom", "engine"), { severity: "INFO", logName: "projects/p/logs/run.googleapis.com%2Fvarlog%2Fsystem" });
});

test("a job's lines name the job, the execution, task and attempt", (t) => {
  const entry = toLogEntry(
    { time: "t", stream: "stdout", text: "x", revision: "job-abc", instance: "0-1", task: 0, attempt: 1 },
    { project: "p", name: "job", kind: "job" },
  );
  t.deepEqual(entry.resource, { type: "cloud_run_job", labels: { project_id: "p", job_name: "job", location: "us-central1" } });
  t.deepEqual(entry.labels, {
    "run.googleapis.com/execution_name": "job-abc",
    "run.googleapis.com/task_index": "0",
    "run.googleapis.com/task_attempt": "1",
  });
});

test("a container's JSON line: trace_sampled, insertId, operation, sourceLocation and its time are lifted and leave the payload", (t) => {
  const fields = {
    message: "m",
    "logging.googleapis.com/trace_sampled": true,
    "logging.googleapis.com/insertId": "id-1",
    "logging.googleapis.com/operation": { id: "op", producer: "p", first: true },
    "logging.googleapis.com/sourceLocation": { file: "a.js", line: "3", function: "f" },
  };
  const at = (time: Record<string, unknown>) => line(JSON.stringify({ ...fields, ...time }));
  const entry = at({ time: "2026-12-07T06:00:00.5+01:00" });
  t.deepEqual(entry.jsonPayload, { message: "m" });
  t.like(entry, {
    traceSampled: true,
    insertId: "id-1",
    operation: { id: "op", producer: "p", first: true },
    sourceLocation: { file: "a.js", line: "3", function: "f" },
    timestamp: "2026-12-07T05:00:00.500Z",
  });
  t.is(at({ timestamp: { seconds: 1796619600, nanos: 1500 } }).timestamp, "2026-12-07T05:00:00.000001500Z");
  t.is(at({ timestampSeconds: 1796619600, timestampNanos: 7e6 }).timestamp, "2026-12-07T05:00:00.007Z");
  t.is(at({ timestamp: "2026-12-07T05:00:00Z" }).timestamp, "2026-12-07T05:00:00.000Z");
  t.deepEqual(at({ timestampSeconds: 1796619600, timestampNanos: 0 }).jsonPayload, { message: "m" });
  // A time that is none keeps Docker's, and still leaves the payload.
  t.is(at({ time: "soon" }).timestamp, "2026-12-06T12:00:00.000Z");
  t.is(at({ timestamp: { seconds: 1e300 } }).timestamp, "2026-12-06T12:00:00.000Z");
  // What a filter sees is the lifted time.
  t.true(parseLogFilter('timestamp>="2026-12-07T05:00:00Z"')(entry));
  t.like(request(200).resource.labels, { configuration_name: "svc", service_name: "svc", location: "us-central1" });
  // gcloud's own filter names the location: resource.labels.location = REGION.
  t.true(parseLogFilter("resource.labels.location = us-central1 \n AND severity >= DEFAULT \n")(request(200)));
  // receiveTimestamp: when the line reached the log, which the line's own time does not change.
  t.is(entry.receiveTimestamp, "2026-12-06T12:00:00.000Z");
});
