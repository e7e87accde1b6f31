import type { ContainerLogs } from "../logs/container-logs";
import { scopedKey } from "../model/derived-names";
import type { CompletedRequest, RequestObserver } from "../router/request-observer";
import { requestLogLine } from "./request-log-line";

/** Request entries wait this long at most before they go to the log thread, in one message per service. */
const FLUSH_EVERY_MS = 100;
/** A service's batch that reaches this many entries goes at once. */
const MAX_BATCH = 4096;

interface Batch {
  project: string;
  service: string;
  /** The entries so far, joined by "\n": one string crosses to the log thread and is appended as one block. */
  text: string;
  count: number;
}

/** What is told of each request besides its log entry (the metrics). */
export interface RequestSink {
  record(request: CompletedRequest, latencyMs: number): void;
}

/**
 * The ingress's RequestObserver: each completed request becomes an entry in its service's log
 * (request-log-line.ts) and is counted by the metrics. Entries are batched per service, as one
 * string, and handed to the log thread every 100 ms, which appends the block as it is: the request
 * path pays for building one line, not for a message to another thread per request, and the log
 * thread does not handle each line.
 */
export class RequestTelemetry implements RequestObserver {
  private readonly batches = new Map<string, Batch>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logs: Pick<ContainerLogs, "appendKept">,
    private readonly sink?: RequestSink,
  ) {}

  completed(request: CompletedRequest): void {
    const latencyMs = performance.now() - request.startedAt;
    const { project, service } = request.servedBy;
    const key = scopedKey(project, service);
    let batch = this.batches.get(key);
    if (!batch) this.batches.set(key, (batch = { project, service, text: "", count: 0 }));
    const line = requestLogLine(request, Date.now(), latencyMs);
    batch.text = batch.count++ === 0 ? line : `${batch.text}\n${line}`;
    this.sink?.record(request, latencyMs);
    if (batch.count >= MAX_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_EVERY_MS).unref();
  }

  /** Hands every waiting entry to the log thread (also at engine stop). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const { project, service, text } of this.batches.values()) this.logs.appendKept(project, service, text);
    this.batches.clear();
  }
}
