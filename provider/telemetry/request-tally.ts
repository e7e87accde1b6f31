import type { Metric, MetricObjectWithValues, MetricValue, MetricValueWithName } from "prom-client";

/** Seconds: from a fast local answer to Cloud Run's longest request timeout. */
export const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600];

interface Tally {
  labels: Record<string, string>;
  revisionLabels: Record<string, string>;
  classLabels: Record<string, string>;
  count: number;
  seconds: number;
  /** Requests per latency bucket (not cumulative); the last counts those above every bound. */
  buckets: Float64Array;
}

interface RevisionTally {
  labels: Record<string, string>;
  byStatus: Map<number, Tally>;
  billableSeconds: number;
}

/**
 * The per-request metrics (request count, latency histogram, billable instance time) kept as plain
 * numbers per revision and status, and shown to prom-client's registry as metrics of its own
 * (registerMetric): prom-client's Counter and Histogram hash their labels on every inc and observe,
 * ~3 µs per request with the garbage that leaves, where this is a map lookup and a few additions.
 * The text is prom-client's, from the values get() returns (as its Histogram's get() returns them).
 */
export class RequestTally {
  /**
   * Per project, per revision (a revision's name is unique in its project), per status. Nested maps
   * of the strings and numbers the request already has: a key made of them would be a new string to
   * hash on every request.
   */
  private readonly projects = new Map<string, Map<string, RevisionTally>>();

  add(project: string, service: string, revision: string, status: number, seconds: number): void {
    const rev = this.revision(project, service, revision);
    let tally = rev.byStatus.get(status);
    if (!tally) {
      const cls = `${Math.floor(status / 100)}xx`;
      tally = {
        labels: { ...rev.labels, response_code: String(status), response_code_class: cls },
        revisionLabels: rev.labels,
        classLabels: { ...rev.labels, response_code_class: cls },
        count: 0,
        seconds: 0,
        buckets: new Float64Array(LATENCY_BUCKETS.length + 1),
      };
      rev.byStatus.set(status, tally);
    }
    tally.count++;
    tally.seconds += seconds;
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]) bucket++;
    tally.buckets[bucket]++;
  }

  addBillable(project: string, service: string, revision: string, seconds: number): void {
    this.revision(project, service, revision).billableSeconds += seconds;
  }

  private revision(project: string, service: string, revision: string): RevisionTally {
    let revisions = this.projects.get(project);
    if (!revisions) this.projects.set(project, (revisions = new Map()));
    let rev = revisions.get(revision);
    if (!rev) revisions.set(revision, (rev = { labels: { project, service, revision }, byStatus: new Map(), billableSeconds: 0 }));
    return rev;
  }

  private *revisions(): Iterable<RevisionTally> {
    for (const revisions of this.projects.values()) yield* revisions.values();
  }

  private *tallies(): Iterable<Tally> {
    for (const rev of this.revisions()) yield* rev.byStatus.values();
  }

  /** The three metrics, for registry.registerMetric. */
  metrics(): Metric[] {
    const metric = (
      name: string,
      help: string,
      type: "counter" | "histogram",
      values: () => (MetricValue<string> | MetricValueWithName<string>)[],
    ) =>
      ({
        name,
        help,
        type,
        aggregator: "sum",
        get: (): Promise<MetricObjectWithValues<MetricValue<string>>> =>
          Promise.resolve({ name, help, type, aggregator: "sum", values: values() } as unknown as MetricObjectWithValues<
            MetricValue<string>
          >),
      }) as unknown as Metric;
    return [
      metric("skiff_request_count_total", "Requests served, by revision and response code", "counter", () =>
        [...this.tallies()].map((t) => ({ labels: t.labels, value: t.count })),
      ),
      metric(
        "skiff_request_latencies_seconds",
        "Request latency from the head's arrival to the response's end, as the ingress saw it",
        "histogram",
        () => this.histogramValues(),
      ),
      metric(
        "skiff_container_billable_instance_time_seconds_total",
        "Time instances had at least one request in flight (request-based billing, unrounded)",
        "counter",
        () => [...this.revisions()].filter((r) => r.billableSeconds > 0).map((r) => ({ labels: r.labels, value: r.billableSeconds })),
      ),
    ];
  }

  /** Per revision and code class: cumulative buckets, then +Inf, sum and count, as Prometheus histograms are written. */
  private histogramValues(): MetricValueWithName<string>[] {
    const byClass = new Map<string, { labels: Record<string, string>; buckets: Float64Array; count: number; seconds: number }>();
    for (const t of this.tallies()) {
      const key = JSON.stringify(t.classLabels);
      let sum = byClass.get(key);
      if (!sum)
        byClass.set(key, (sum = { labels: t.classLabels, buckets: new Float64Array(LATENCY_BUCKETS.length + 1), count: 0, seconds: 0 }));
      for (let i = 0; i < t.buckets.length; i++) sum.buckets[i] += t.buckets[i];
      sum.count += t.count;
      sum.seconds += t.seconds;
    }
    const values: MetricValueWithName<string>[] = [];
    for (const { labels, buckets, count, seconds } of byClass.values()) {
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        cumulative += buckets[i];
        values.push({ metricName: "skiff_request_latencies_seconds_bucket", labels: { le, ...labels }, value: cumulative });
      });
      values.push({ metricName: "skiff_request_latencies_seconds_bucket", labels: { le: "+Inf", ...labels }, value: count });
      values.push({ metricName: "skiff_request_latencies_seconds_sum", labels, value: seconds });
      values.push({ metricName: "skiff_request_latencies_seconds_count", labels, value: count });
    }
    return values;
  }
}
