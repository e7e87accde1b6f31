import test from "ava";
import { spawn } from "node:child_process";
import { deploy, hostOf, transcript } from "../helpers/cli";
import { CLI_ENTRY, startEngine, type TestEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { eventually, httpRequest } from "../helpers/http";

// Request logs (issue 24, must-show 1): one entry per request in the service's log, shaped like
// Cloud Logging's request entries; the trace headers the ingress sets; a container's JSON lines
// read as Cloud Run reads them. The fixture answers /status?code=N with N and /headers with the
// headers it got.

let engine: TestEngine;
const SERVICE = "reqlog";
const CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_TRACEPARENT = `00-${CLIENT_TRACE}-00f067aa0ba902b7-01`;

interface Entry {
  logName: string;
  timestamp: string;
  severity: string;
  resource: { type: string; labels: Record<string, string> };
  labels: Record<string, string>;
  httpRequest?: {
    requestMethod: string;
    requestUrl: string;
    status: number;
    latency: string;
    requestSize: string;
    responseSize: string;
    userAgent?: string;
    remoteIp: string;
    protocol: string;
  };
  trace?: string;
  spanId?: string;
  jsonPayload?: Record<string, unknown>;
  textPayload?: string;
}

async function entries(args: string[]): Promise<Entry[]> {
  const all = ["logs", "read", SERVICE, ...args, "--format", "json"];
  const result = await engine.skiff(all);
  if (result.code !== 0) throw new Error(transcript(all, result));
  return JSON.parse(result.stdout) as Entry[];
}

let revision: string;
let headersSeen: Record<string, string>;

test.before(async () => {
  const image = await fixtureImage();
  engine = await startEngine();
  const deployed = await deploy(engine, SERVICE, ["--image", image]);
  if (deployed.code !== 0) throw new Error(transcript(["deploy", SERVICE], deployed));
  const host = hostOf(engine, SERVICE);
  // 100 requests: 89 answered 200, one /headers with the client's traceparent, 10 answered 500.
  const answers = [];
  for (let i = 0; i < 100; i++) {
    if (i === 50) {
      const seen = await httpRequest(engine.ingressPort, host, "/headers", { headers: { traceparent: CLIENT_TRACEPARENT } });
      headersSeen = JSON.parse(seen.body) as Record<string, string>;
      answers.push(seen);
    } else answers.push(await httpRequest(engine.ingressPort, host, `/status?code=${i % 10 === 3 ? 500 : 200}&i=${i}`));
  }
  revision = String(answers[0].headers["x-revision"]);
  const fives = answers.filter((a) => a.status === 500).length;
  if (fives !== 10) throw new Error(`expected 10 answers of 500, got ${fives}`);
});

test.after.always(async () => {
  await engine?.dispose();
});

test.serial(
  "100 requests, 10 of them 500s: --requests-only has 100 entries with status, latency, revision and trace; --status 5xx exactly 10",
  async (t) => {
    const requests = await eventually("100 request entries", async () => {
      const read = await entries(["--requests-only"]);
      return read.length >= 100 ? read : undefined;
    });
    t.is(requests.length, 100);
    for (const entry of requests) {
      t.truthy(entry.httpRequest, JSON.stringify(entry));
      t.is(entry.logName, "projects/default/logs/run.googleapis.com%2Frequests");
      t.deepEqual(entry.resource, {
        type: "cloud_run_revision",
        labels: {
          project_id: "default",
          service_name: SERVICE,
          revision_name: revision,
          configuration_name: SERVICE,
          location: "us-central1",
        },
      });
      t.regex(entry.httpRequest!.latency, /^\d+\.\d{6}s$/);
      t.regex(entry.trace ?? "", /^projects\/default\/traces\/[0-9a-f]{32}$/);
      t.regex(entry.spanId ?? "", /^[0-9a-f]{16}$/);
      t.is(entry.httpRequest!.protocol, "HTTP/1.1");
      t.is(entry.httpRequest!.requestMethod, "GET");
      t.is(entry.httpRequest!.remoteIp, "127.0.0.1");
      t.truthy(entry.labels.instanceId);
      t.true(Number(entry.httpRequest!.responseSize) > 0 && Number(entry.httpRequest!.requestSize) > 0);
    }
    t.is(requests.filter((e) => e.httpRequest!.status === 200).length, 90);
    const errors = requests.filter((e) => e.httpRequest!.status === 500);
    t.is(errors.length, 10);
    t.true(errors.every((e) => e.severity === "ERROR"));
    t.true(requests.filter((e) => e.httpRequest!.status === 200).every((e) => e.severity === "INFO"));
    // Each request has its own trace.
    t.is(new Set(requests.map((e) => e.trace)).size, 100);

    const fives = await entries(["--status", "5xx"]);
    t.is(fives.length, 10);
    t.true(fives.every((e) => e.httpRequest?.status === 500 && /[?&]code=500&/.test(e.httpRequest.requestUrl)));
    t.is((await entries(["--log-filter", "httpRequest.status>=500"])).length, 10);
    t.is((await entries(["--requests-only", "--log-filter", "NOT httpRequest.status=500"])).length, 90);
    t.is((await entries(["--status", "200", "--limit", "7"])).length, 7);
  },
);

test.serial(
  "a client's traceparent arrives unchanged and its trace id is in the request log; X-Cloud-Trace-Context carries the same trace",
  async (t) => {
    t.is(headersSeen.traceparent, CLIENT_TRACEPARENT);
    t.regex(headersSeen["x-cloud-trace-context"], new RegExp(`^${CLIENT_TRACE}/\\d+;o=1$`));
    const traced = await eventually("the /headers entry", async () => {
      const read = await entries(["--log-filter", `trace:${CLIENT_TRACE}`]);
      return read.length > 0 ? read : undefined;
    });
    t.is(traced.length, 1);
    t.is(traced[0].trace, `projects/default/traces/${CLIENT_TRACE}`);
    t.is(traced[0].spanId, "00f067aa0ba902b7");
    t.regex(traced[0].httpRequest!.requestUrl, /\/headers$/);
  },
);

test.serial(
  "without trace headers the ingress makes both; an invalid traceparent is replaced, a valid X-Cloud-Trace-Context is kept",
  async (t) => {
    const host = hostOf(engine, SERVICE);
    const fresh = JSON.parse((await httpRequest(engine.ingressPort, host, "/headers")).body) as Record<string, string>;
    const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-00$/.exec(fresh.traceparent);
    t.truthy(match, fresh.traceparent);
    t.is(fresh["x-cloud-trace-context"], `${match![1]}/${BigInt(`0x${match![2]}`)};o=0`);

    const cloud = "105445aa7843bc8bf206b12000100000/1;o=1";
    const mixed = JSON.parse(
      (
        await httpRequest(engine.ingressPort, host, "/headers", {
          headers: { traceparent: "00-nothex-00f067aa0ba902b7-01", "x-cloud-trace-context": cloud },
        })
      ).body,
    ) as Record<string, string>;
    t.is(mixed["x-cloud-trace-context"], cloud);
    t.is(mixed.traceparent, "00-105445aa7843bc8bf206b12000100000-0000000000000001-01");
  },
);

test.serial(
  "a container's JSON line is read as Cloud Run reads it: severity, trace and jsonPayload; --severity ERROR shows it with the 500s",
  async (t) => {
    const host = hostOf(engine, SERVICE);
    await httpRequest(engine.ingressPort, host, "/log-json?severity=error&message=disk%20full&trace=abc123");
    const structured = await eventually("the structured line", async () => {
      const read = await entries(["--log-filter", 'jsonPayload.message="disk full"']);
      return read.length > 0 ? read : undefined;
    });
    t.is(structured.length, 1);
    t.like(structured[0], {
      severity: "ERROR",
      trace: "projects/default/traces/abc123",
      jsonPayload: { message: "disk full", component: "fixture" },
      logName: "projects/default/logs/run.googleapis.com%2Fstdout",
    });
    const severe = await entries(["--severity", "ERROR"]);
    t.is(severe.length, 11, severe.map((e) => e.httpRequest?.status ?? e.jsonPayload?.message).join(", "));
    // Plain lines have no severity (DEFAULT), as on Cloud Run.
    const plain = await entries(["--log-filter", "textPayload:fixture AND textPayload:/status"]);
    t.is(plain.length, 99, JSON.stringify(plain.slice(0, 2))); // the 99 /status requests
    t.true(plain.every((e) => e.severity === "DEFAULT"));
  },
);

test.serial(
  "logs read (and gcloud's services logs read) shows request lines beside the container's; OR reads as Cloud Logging reads it, a filter outside the subset is a usage error naming --log-filter",
  async (t) => {
    const text = await engine.skiff(["logs", "read", SERVICE, "--status", "5xx"]);
    t.is(text.code, 0, transcript(["logs", "read"], text));
    const lines = text.stdout.trim().split("\n");
    t.is(lines.length, 10);
    // gcloud run's name for it, with the --region a pasted command carries.
    const gcloudName = ["services", "logs", "read", SERVICE, "--status", "5xx", "--region", "us-central1"];
    const same = await engine.skiff(gcloudName);
    t.is(same.code, 0, transcript(gcloudName, same));
    t.is(same.stdout, text.stdout, "services logs read prints what logs read prints");
    // gcloud beta run revisions logs read REVISION: the revision's service's log, that revision's lines.
    const byRevision = ["beta", "revisions", "logs", "read", revision, "--status", "5xx", "--freshness", "1h", "--order", "desc"];
    const ofRevision = await engine.skiff(byRevision);
    t.is(ofRevision.code, 0, transcript(byRevision, ofRevision));
    t.is(ofRevision.stdout, text.stdout, "revisions logs read prints the revision's lines");
    t.regex(
      lines[0],
      new RegExp(`^\\S+ ${revision} request: GET 500 \\d+ B \\d+\\.\\d ms http://${SERVICE}\\.localhost:\\d+/status\\?code=500`),
    );
    const all = await engine.skiff(["logs", "read", SERVICE, "--limit", "1000"]);
    t.true(all.stdout.includes(" stdout: fixture: GET /status?code=500"));
    t.true(all.stdout.includes(" request: GET 200 "));

    // OR as Cloud Logging reads it: the 10 500s and the container's one ERROR line.
    const either = ["logs", "read", SERVICE, "--log-filter", "httpRequest.status>=500 OR jsonPayload.message:disk"];
    const or = await engine.skiff(either);
    t.is(or.code, 0, transcript(either, or));
    t.is(or.stdout.trim().split("\n").length, 11, transcript(either, or));
    const bad = await engine.skiff(["logs", "read", SERVICE, "--log-filter", "disk full"]);
    t.is(bad.code, 1, transcript(["logs", "read"], bad));
    t.regex(bad.stderr, /--log-filter: free text \("disk"\) is not supported/);
    const badSeverity = await engine.skiff(["logs", "read", SERVICE, "--severity", "LOUD"]);
    t.is(badSeverity.code, 1);
    t.regex(badSeverity.stderr, /--severity/);
  },
);

test.serial("logs tail --requests-only follows the request entries as they come, without the container's lines", async (t) => {
  const host = hostOf(engine, SERVICE);
  const child = spawn(process.execPath, [CLI_ENTRY, "logs", "tail", SERVICE, "--requests-only"], {
    env: { ...process.env, SKIFF_HOME: engine.home },
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  try {
    // The follow begins with the newest kept lines; then what comes.
    await eventually("the tail's first lines", async () => out.includes(" request: "), 10_000, 100);
    await httpRequest(engine.ingressPort, host, "/status?code=404&tail=1");
    await eventually("the new request in the tail", async () => out.includes("GET 404 ") && out.includes("&tail=1"), 10_000, 100);
    t.false(out.includes(" stdout: "), out);
  } finally {
    child.kill();
  }
});
