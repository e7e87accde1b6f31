import test from "ava";
import * as http from "node:http";
import { deploy, hostOf, transcript } from "../helpers/cli";
import { containersWithLabels } from "../helpers/docker";
import { startEngine, type TestEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { httpRequest } from "../helpers/http";
import { createJob, taskEnv } from "../helpers/jobs";
import { histogramSeries, parsePrometheusText, sumOf } from "../helpers/prometheus-text";

// Metrics (issue 24, must-show 2): /metrics on the admin port, behind the engine's token, scraped
// after real traffic and read with a Prometheus text parser (parse-prometheus-text-format).

let engine: TestEngine;
let image: string;
const SERVICE = "metered";

function scrape(authorization?: string): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: "127.0.0.1", port: engine.apiPort, path: "/metrics", headers: authorization ? { authorization } : {} },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), text }));
      },
    );
    req.on("error", reject);
  });
}

async function metrics() {
  const answer = await scrape(`Bearer ${engine.token}`);
  if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}: ${answer.text}`);
  return Object.assign(parsePrometheusText(answer.text), { text: answer.text });
}

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  const deployed = await deploy(engine, SERVICE, ["--image", image, "--concurrency", "10"]);
  if (deployed.code !== 0) throw new Error(transcript(["deploy", SERVICE], deployed));
});

test.after.always(async () => {
  await engine?.dispose();
});

test.serial("without the token /metrics is 401, as the rest of the admin API", async (t) => {
  t.is((await scrape()).status, 401);
  t.is((await scrape("Bearer wrong")).status, 401);
  const ok = await scrape(`Bearer ${engine.token}`);
  t.is(ok.status, 200);
  t.regex(ok.type, /^text\/plain; version=0\.0\.4/);
});

test.serial(
  "after 100 requests, 10 of them 500s: 90 and 10 by code class, 100 latencies, instances as Docker has them, billable time and startup",
  async (t) => {
    const host = hostOf(engine, SERVICE);
    const started = Date.now();
    for (let i = 0; i < 100; i++) {
      const answer = await httpRequest(engine.ingressPort, host, `/status?code=${i % 10 === 0 ? 500 : 200}`);
      t.is(answer.status, i % 10 === 0 ? 500 : 200);
    }
    const wallSeconds = (Date.now() - started) / 1000;
    const m = await metrics();
    const ours = { service: SERVICE };
    t.is(sumOf(m, "skiff_request_count_total", { ...ours, response_code_class: "2xx" }), 90);
    t.is(sumOf(m, "skiff_request_count_total", { ...ours, response_code_class: "5xx" }), 10);
    t.is(sumOf(m, "skiff_request_count_total", { ...ours, response_code: "500" }), 10);
    t.is(m.get("skiff_request_latencies_seconds")?.type, "HISTOGRAM");
    t.is(histogramSeries(m.text, "skiff_request_latencies_seconds", "count", { ...ours, response_code_class: "2xx" }), 90);
    t.is(histogramSeries(m.text, "skiff_request_latencies_seconds", "count", { ...ours, response_code_class: "5xx" }), 10);
    const latencySum = histogramSeries(m.text, "skiff_request_latencies_seconds", "sum", ours);
    t.true(latencySum > 0 && latencySum < wallSeconds, `latencies ${latencySum} s in ${wallSeconds} s`);

    const running = (await containersWithLabels({ "skiff.engine": engine.engineId, "skiff.service": SERVICE })).filter(
      (c) => c.state === "running",
    );
    t.is(sumOf(m, "skiff_container_instance_count", ours), running.length);
    t.is(sumOf(m, "skiff_container_instance_count", { ...ours, state: "idle" }), running.length);
    const billable = sumOf(m, "skiff_container_billable_instance_time_seconds_total", ours);
    t.true(billable > 0 && billable <= wallSeconds, `billable ${billable} s in ${wallSeconds} s`);
    t.true(histogramSeries(m.text, "skiff_container_startup_latencies_seconds", "count", ours) >= 1);
    t.is(sumOf(m, "skiff_pending_requests", ours), 0);
    t.is(sumOf(m, "skiff_requests_rejected_total", ours), 0);
  },
);

test.serial("a request in flight: the instance is active with one concurrent request", async (t) => {
  const host = hostOf(engine, SERVICE);
  const slow = httpRequest(engine.ingressPort, host, "/sleep?ms=3000");
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const m = await metrics();
  t.is(sumOf(m, "skiff_container_instance_count", { service: SERVICE, state: "active" }), 1);
  t.is(sumOf(m, "skiff_container_concurrent_requests", { service: SERVICE }), 1);
  t.is((await slow).status, 200);
  const after = await metrics();
  t.is(sumOf(after, "skiff_container_concurrent_requests", { service: SERVICE }), 0);
  t.true(sumOf(after, "skiff_container_billable_instance_time_seconds_total", { service: SERVICE }) >= 3);
});

test.serial("a job's executions and tasks by result", async (t) => {
  await createJob(engine, "counted", [
    "--image",
    image,
    "--tasks",
    "3",
    "--max-retries",
    "0",
    ...taskEnv({ FIXTURE_EXIT_CODE: 1, FIXTURE_FAIL_INDEXES: "2" }),
  ]);
  const result = await engine.skiff(["jobs", "execute", "counted", "--wait"]);
  t.is(result.code, 1, transcript(["jobs", "execute"], result));
  const m = await metrics();
  t.is(sumOf(m, "skiff_job_executions", { job: "counted", result: "FAILED" }), 1);
  t.is(sumOf(m, "skiff_job_tasks", { job: "counted", result: "SUCCEEDED" }), 2);
  t.is(sumOf(m, "skiff_job_tasks", { job: "counted", result: "FAILED" }), 1);
});
