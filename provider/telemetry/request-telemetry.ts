import type { ContainerLogs } from "../logs/container-logs";
import { scopedKey } from "../model/derived-names";
import type { CompletedRequest, RequestObserver } from "../router/request-observer";
import { requestLogLine } from "./request-log-line";

/** Request entries wait this long at most before they go to the log thread, in one message per service. */
const FLUSH_EVERY_MS = 100;
/** Each service's entries gather in a buffer of this size; a full one goes at once. */
const BATCH_BYTES = 256 * 1024;

interface Batch {
  project: string;
  service: string;
  /**
   * The entries so far as UTF-8, joined by "\n", outside V8's heap: a line is garbage as soon as it
   * is copied here, where entries kept as strings for 100 ms would survive young-generation
   * collections and be copied and promoted by each (most of what request logs first cost here).
   */
  bytes: Buffer;
  length: number;
}

/** What is told of each request besides its log entry (the metrics). */
export interface RequestSink {
  record(request: CompletedRequest, latencyMs: number): void;
}

/**
 * The ingress's RequestObserver: each completed request becomes an entry in its service's log
 * (request-log-line.ts) and is counted by the metrics. Entries are batched per service, as UTF-8
 * in a buffer of its own, and handed to the log thread every 100 ms, which appends the block as it
 * is: the request path pays for building one line, not for a message to another thread per request,
 * and the log thread does not handle each line.
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
    if (!batch) this.batches.set(key, (batch = { project, service, bytes: Buffer.allocUnsafeSlow(BATCH_BYTES), length: 0 }));
    const line = requestLogLine(request, Date.now(), latencyMs);
    // At most 3 bytes per UTF-16 unit, and the "\n".
    if (batch.length + line.length * 3 + 1 > batch.bytes.length) {
      this.send(batch);
      if (line.length * 3 + 1 > batch.bytes.length) batch.bytes = Buffer.allocUnsafeSlow(line.length * 3 + 1);
    }
    if (batch.length > 0) batch.bytes[batch.length++] = 10;
    batch.length += batch.bytes.write(line, batch.length, "utf8");
    this.sink?.record(request, latencyMs);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_EVERY_MS).unref();
  }

  /** Hands every waiting entry to the log thread (also at engine stop). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const batch of this.batches.values()) if (batch.length > 0) this.send(batch);
  }

  /** A copy of the batch's bytes goes to the log thread; the buffer is used again. */
  private send(batch: Batch): void {
    this.logs.appendKept(batch.project, batch.service, new Uint8Array(batch.bytes.subarray(0, batch.length)));
    batch.length = 0;
  }
}
