import type { ContainerLogs } from "../logs/container-logs";
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

/** What is told of each request besides its log entry (the metrics); `endedAt` is performance.now() at its completion. */
export interface RequestSink {
  record(request: CompletedRequest, latencyMs: number, endedAt: number): void;
}

/**
 * The ingress's RequestObserver: each completed request becomes an entry in its service's log
 * (request-log-line.ts) and is counted by the metrics. Entries are batched per service, as UTF-8 in
 * a buffer of its own, and handed to the log thread every 100 ms (or when the buffer is full), which
 * writes the block as it is: the request path pays for building one line, not for a message to
 * another thread per request, and the log thread does not handle each line.
 */
export class RequestTelemetry implements RequestObserver {
  /** Per project, per service (nested: a key joined from the two would be a new string to hash per request). */
  private readonly batches = new Map<string, Map<string, Batch>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logs: Pick<ContainerLogs, "appendKept" | "handOverKept">,
    private readonly sink?: RequestSink,
  ) {}

  completed(request: CompletedRequest): void {
    const now = performance.now();
    const latencyMs = now - request.startedAt;
    this.addEntry(request, performance.timeOrigin + now, latencyMs);
    this.sink?.record(request, latencyMs, now);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_EVERY_MS).unref();
  }

  /** Hands every waiting entry to the log thread (also before a scrape and at engine stop). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [project, services] of this.batches) {
      for (const [service, batch] of services) {
        if (batch.length > 0) this.send(batch);
        // Nothing since the last flush: its buffer goes (a deleted service's would stay for ever).
        else services.delete(service);
      }
      if (services.size === 0) this.batches.delete(project);
    }
  }

  private addEntry(request: CompletedRequest, endedAt: number, latencyMs: number): void {
    const { project, service } = request.servedBy;
    let services = this.batches.get(project);
    if (!services) this.batches.set(project, (services = new Map()));
    let batch = services.get(service);
    if (!batch) services.set(service, (batch = { project, service, bytes: Buffer.allocUnsafeSlow(BATCH_BYTES), length: 0 }));
    const line = requestLogLine(request, endedAt, latencyMs);
    // At most 3 bytes per UTF-16 unit, and the "\n".
    if (batch.length + line.length * 3 + 1 > batch.bytes.length) {
      this.send(batch);
      if (line.length * 3 + 1 > batch.bytes.length) batch.bytes = Buffer.allocUnsafeSlow(line.length * 3 + 1);
    }
    if (batch.length > 0) batch.bytes[batch.length++] = 10;
    batch.length += batch.bytes.write(line, batch.length, "utf8");
  }

  /**
   * The batch's bytes go to the log thread: a full buffer is handed over (not copied) and the batch
   * gets a new one; a few entries (a timer's flush) are lent, copied by the callee, and the buffer is
   * used again. (allocUnsafeSlow: each batch's buffer is its own, never a slice of Node's pool.)
   */
  private send(batch: Batch): void {
    const bytes = batch.bytes;
    const block = new Uint8Array(bytes.buffer, bytes.byteOffset, batch.length);
    if (batch.length < BATCH_BYTES / 4) {
      this.logs.appendKept(batch.project, batch.service, block);
    } else {
      this.logs.handOverKept(batch.project, batch.service, block);
      batch.bytes = Buffer.allocUnsafeSlow(BATCH_BYTES);
    }
    batch.length = 0;
  }
}
