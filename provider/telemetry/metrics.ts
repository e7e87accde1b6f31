import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RevisionSnapshot } from "../controller/instance-controller";
import type { CompletedRequest } from "../router/request-observer";
import { BusyTime } from "./busy-time";
import { RequestTally } from "./request-tally";
import type { RequestSink } from "./request-telemetry";

/** What the engine's state says at scrape time: instances and queues per revision, jobs' executions and tasks. */
export interface MetricSources {
  revisions(): Iterable<RevisionSnapshot>;
  /** Executions per job by status, and their tasks by state. */
  jobs(): Iterable<{ project: string; job: string; executions: Record<string, number>; tasks: Record<string, number> }>;
}

const REVISION = ["project", "service", "revision"] as const;
const STARTUP_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 240];
/** Busy periods of instances idle longer than this are let go. */
const FORGET_IDLE_MS = 10 * 60_000;

/**
 * Cloud Run's metric set under skiff names, in a registry of the engine's own (prom-client), served
 * as Prometheus text on the admin port's /metrics. Request metrics are counted as each request
 * completes (RequestSink; plain numbers in request-tally.ts); instance, queue and job metrics are
 * read from the engine's state when scraped.
 *
 *   skiff_request_count_total                         request_count (by response code and class)
 *   skiff_request_latencies_seconds                   request_latencies
 *   skiff_requests_rejected_total                     requests the ingress refused for want of an instance (429, 500)
 *   skiff_container_instance_count                    instance_count, by state: active, idle, starting
 *   skiff_container_billable_instance_time_seconds_total  billable_instance_time (request-based, unrounded)
 *   skiff_container_startup_latencies_seconds         startup_latencies
 *   skiff_pending_requests                            requests waiting for a free slot (queue depth)
 *   skiff_container_concurrent_requests               max_request_concurrencies, now, per instance
 *   skiff_job_executions, skiff_job_tasks             completed_execution_count / task counts, by result
 */
export class EngineMetrics implements RequestSink {
  readonly registry = new Registry();
  private readonly rejected = new Counter({
    name: "skiff_requests_rejected_total",
    help: "Requests answered without an instance: 429 at maxInstanceCount, 500 when none became free in time",
    labelNames: [...REVISION, "response_code"],
    registers: [this.registry],
  });
  private readonly startups = new Histogram({
    name: "skiff_container_startup_latencies_seconds",
    help: "Time from creating an instance's container to its port listening",
    labelNames: [...REVISION],
    buckets: STARTUP_BUCKETS,
    registers: [this.registry],
  });
  /** Request count, latencies and billable time: plain numbers per revision and status (request-tally.ts). */
  private readonly tally = new RequestTally();
  private readonly busy = new BusyTime();
  private lastForget = 0;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    for (const metric of this.tally.metrics()) this.registry.registerMetric(metric);
    new Gauge({
      name: "skiff_container_instance_count",
      help: "Instances by state: active (serving a request), idle (ready, no request), starting",
      labelNames: [...REVISION, "state"],
      registers,
      collect() {
        this.reset();
        for (const r of sources.revisions()) {
          const counts = { active: 0, idle: 0, starting: 0 };
          for (const i of r.instances) {
            if (i.state === "starting") counts.starting++;
            else if (i.inFlight > 0) counts.active++;
            else if (i.state === "ready") counts.idle++;
          }
          for (const [state, n] of Object.entries(counts))
            this.set({ project: r.project, service: r.service, revision: r.revision, state }, n);
        }
      },
    });
    new Gauge({
      name: "skiff_pending_requests",
      help: "Requests waiting for a free slot on an instance of the revision",
      labelNames: [...REVISION],
      registers,
      collect() {
        this.reset();
        for (const r of sources.revisions()) this.set({ project: r.project, service: r.service, revision: r.revision }, r.queued);
      },
    });
    new Gauge({
      name: "skiff_container_concurrent_requests",
      help: "Requests in flight on each instance",
      labelNames: [...REVISION, "instance"],
      registers,
      collect() {
        this.reset();
        for (const r of sources.revisions())
          for (const i of r.instances)
            if (i.state !== "starting")
              this.set({ project: r.project, service: r.service, revision: r.revision, instance: i.id }, i.inFlight);
      },
    });
    new Gauge({
      name: "skiff_job_executions",
      help: "A job's executions by result (RUNNING, SUCCEEDED, FAILED, CANCELLED)",
      labelNames: ["project", "job", "result"],
      registers,
      collect() {
        this.reset();
        for (const j of sources.jobs())
          for (const [result, n] of Object.entries(j.executions)) this.set({ project: j.project, job: j.job, result }, n);
      },
    });
    new Gauge({
      name: "skiff_job_tasks",
      help: "The tasks of a job's executions by result (PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED)",
      labelNames: ["project", "job", "result"],
      registers,
      collect() {
        this.reset();
        for (const j of sources.jobs())
          for (const [result, n] of Object.entries(j.tasks)) this.set({ project: j.project, job: j.job, result }, n);
      },
    });
  }

  record(request: CompletedRequest, latencyMs: number, end: number): void {
    const { project, service, revision } = request.servedBy;
    const status = request.status;
    this.tally.add(project, service, revision, status, latencyMs / 1000);
    if (request.instanceId === undefined) {
      if (status === 429 || status === 500) this.rejected.labels(project, service, revision, String(status)).inc();
      return;
    }
    const added = this.busy.add(request.instanceId, end - latencyMs, end);
    if (added > 0) this.tally.addBillable(project, service, revision, added / 1000);
    if (end - this.lastForget > FORGET_IDLE_MS) {
      this.lastForget = end;
      this.busy.forgetIdleSince(end - FORGET_IDLE_MS);
    }
  }

  instanceReady(rev: { project: string; service: string; name: string }, startupMs: number): void {
    this.startups.labels(rev.project, rev.service, rev.name).observe(startupMs / 1000);
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
