import test from "ava";
import { parseRequestHead } from "../../provider/router/forwarding";
import type { CompletedRequest } from "../../provider/router/request-observer";
import { BusyTime } from "../../provider/telemetry/busy-time";
import { EngineMetrics } from "../../provider/telemetry/metrics";

test("busy time is the union of an instance's request intervals, learnt as they complete", (t) => {
  const busy = new BusyTime();
  t.is(busy.add("a", 0, 10), 10);
  t.is(busy.add("a", 2, 5), 0); // inside
  t.is(busy.add("a", 8, 14), 4); // overlapping the end
  t.is(busy.add("b", 0, 3), 3); // another instance
  t.is(busy.add("a", 20, 25), 5); // after a gap: a new period
  t.is(busy.add("a", 18, 26), 3); // began before the period, completed after it
  busy.forgetIdleSince(100);
  t.is(busy.add("a", 20, 25), 5); // forgotten: counted anew
});

function completed(status: number, instanceId: string | undefined, revision = "svc-1"): CompletedRequest {
  return {
    head: parseRequestHead("GET", "/", ["host", "svc.localhost"], "127.0.0.1"),
    servedBy: { project: "p", service: "svc", revision },
    instanceId,
    status,
    protocol: "HTTP/1.1",
    startedAt: performance.now(),
    requestBodyBytes: 0,
    responseBytes: 100,
    cut: false,
  };
}

test("requests by code and class, rejected ones (no instance, 429 or 500) apart, and the state gauges read at scrape", async (t) => {
  const metrics = new EngineMetrics({
    revisions: () => [
      {
        project: "p",
        service: "svc",
        revision: "svc-1",
        queued: 3,
        instances: [
          { id: "i1", state: "ready", inFlight: 2 },
          { id: "i2", state: "ready", inFlight: 0 },
          { id: "i3", state: "starting", inFlight: 0 },
        ],
      },
    ],
    jobs: () => [{ project: "p", job: "j", executions: { SUCCEEDED: 2 }, tasks: { SUCCEEDED: 4, FAILED: 1 } }],
  });
  for (let i = 0; i < 5; i++) metrics.record(completed(200, "i1"), 12, performance.now());
  metrics.record(completed(503, "i1"), 2, performance.now());
  metrics.record(completed(429, undefined), 10_000, performance.now());
  metrics.record(completed(500, undefined), 10_000, performance.now());
  metrics.record(completed(403, undefined), 1, performance.now());
  metrics.instanceReady({ project: "p", service: "svc", name: "svc-1" }, 1500);
  const text = await metrics.text();
  t.true(
    text.includes('skiff_request_count_total{project="p",service="svc",revision="svc-1",response_code="200",response_code_class="2xx"} 5'),
  );
  t.true(text.includes('response_code="503",response_code_class="5xx"} 1'));
  t.true(text.includes('skiff_requests_rejected_total{project="p",service="svc",revision="svc-1",response_code="429"} 1'));
  t.true(text.includes('skiff_requests_rejected_total{project="p",service="svc",revision="svc-1",response_code="500"} 1'));
  t.false(text.includes('skiff_requests_rejected_total{project="p",service="svc",revision="svc-1",response_code="403"}'));
  t.true(text.includes('skiff_request_latencies_seconds_count{project="p",service="svc",revision="svc-1",response_code_class="2xx"} 5'));
  t.true(text.includes('skiff_container_instance_count{project="p",service="svc",revision="svc-1",state="active"} 1'));
  t.true(text.includes('skiff_container_instance_count{project="p",service="svc",revision="svc-1",state="idle"} 1'));
  t.true(text.includes('skiff_container_instance_count{project="p",service="svc",revision="svc-1",state="starting"} 1'));
  t.true(text.includes('skiff_pending_requests{project="p",service="svc",revision="svc-1"} 3'));
  t.true(text.includes('skiff_container_concurrent_requests{project="p",service="svc",revision="svc-1",instance="i1"} 2'));
  t.true(text.includes('skiff_container_startup_latencies_seconds_bucket{le="2",project="p",service="svc",revision="svc-1"} 1'));
  t.true(text.includes('skiff_job_tasks{project="p",job="j",result="FAILED"} 1'));
  t.true(text.includes('skiff_job_executions{project="p",job="j",result="SUCCEEDED"} 2'));
  t.regex(text, /skiff_container_billable_instance_time_seconds_total\{project="p",service="svc",revision="svc-1"\} 0\.01\d*/);
});
