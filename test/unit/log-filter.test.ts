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

test("what is outside the subset is an error naming --log-filter and the reason", (t) => {
  t.throws(() => parseLogFilter("a=1 OR b=2"), { message: /--log-filter: OR is not supported/ });
  t.throws(() => parseLogFilter("(a=1)"), { message: /--log-filter: parentheses are not supported/ });
  t.throws(() => parseLogFilter("error"), { message: /--log-filter: expected FIELD OPERATOR VALUE/ });
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
  t.deepEqual(entry.resource, { type: "cloud_run_job", labels: { project_id: "p", job_name: "job" } });
  t.deepEqual(entry.labels, {
    "run.googleapis.com/execution_name": "job-abc",
    "run.googleapis.com/task_index": "0",
    "run.googleapis.com/task_attempt": "1",
  });
});
