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

/** Completed requests are taken note of in groups of this many (or every 100 ms, whichever comes first). */
const GROUP = 64;
/** Per request put aside: latency (ms), performance.now() and Date.now() at completion, status, body bytes in, bytes out, cut. */
const NUMBERS = 7;

/** A request put aside, with the numbers it had when it completed (the ingress's object is not changed after that, but these are copied anyway). */
class RequestAtCompletion implements CompletedRequest {
  head!: CompletedRequest["head"];
  servedBy!: CompletedRequest["servedBy"];
  instanceId: string | undefined;
  protocol = "";
  startedAt = 0;
  status = 0;
  requestBodyBytes = 0;
  responseBytes = 0;
  cut = false;

  fill(request: CompletedRequest, numbers: Float64Array, at: number): void {
    this.head = request.head;
    this.servedBy = request.servedBy;
    this.instanceId = request.instanceId;
    this.protocol = request.protocol;
    this.startedAt = request.startedAt;
    this.status = numbers[at + 3];
    this.requestBodyBytes = numbers[at + 4];
    this.responseBytes = numbers[at + 5];
    this.cut = numbers[at + 6] === 1;
  }
}

/**
 * The ingress's RequestObserver: each completed request becomes an entry in its service's log
 * (request-log-line.ts) and is counted by the metrics. At completion a request is only put aside
 * with the numbers of that moment; every 64 requests (or 100 ms) the group's entries are made and
 * counted in one loop. Measured in the engine (bench/router.ts), the same work done one request at
 * a time, between the socket writes of the proxy, cost about three times what it costs in a loop of
 * its own: the kernel's network path had evicted its code and data from the caches each time.
 * Entries are batched per service, as UTF-8 in a buffer of its own, and handed to the log thread
 * every 100 ms, which appends the block as it is: no message to another thread per request.
 */
export class RequestTelemetry implements RequestObserver {
  /** Per project, per service (nested: a key joined from the two would be a new string to hash per request). */
  private readonly batches = new Map<string, Map<string, Batch>>();
  private timer: NodeJS.Timeout | undefined;
  // The group put aside: the requests, and what their numbers were when each completed.
  private readonly group: CompletedRequest[] = [];
  private readonly groupNumbers = new Float64Array(GROUP * NUMBERS);
  /** One request of the group at a time, as its entry and the metrics read it (one object, filled again for each). */
  private readonly view = new RequestAtCompletion();

  constructor(
    private readonly logs: Pick<ContainerLogs, "appendKept">,
    private readonly sink?: RequestSink,
  ) {}

  completed(request: CompletedRequest): void {
    const at = this.group.length * NUMBERS;
    const numbers = this.groupNumbers;
    const now = performance.now();
    numbers[at] = now - request.startedAt;
    numbers[at + 1] = now;
    numbers[at + 2] = Date.now();
    numbers[at + 3] = request.status;
    numbers[at + 4] = request.requestBodyBytes;
    numbers[at + 5] = request.responseBytes;
    numbers[at + 6] = request.cut ? 1 : 0;
    this.group.push(request);
    if (this.group.length === GROUP) this.takeNote();
    this.timer ??= setTimeout(() => this.flush(), FLUSH_EVERY_MS).unref();
  }

  /** Makes the entries of every request put aside and hands them all to the log thread (also before a scrape and at engine stop). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.takeNote();
    for (const [project, services] of this.batches) {
      for (const [service, batch] of services) {
        if (batch.length > 0) this.send(batch);
        // Nothing since the last flush: its buffer goes (a deleted service's would stay for ever).
        else services.delete(service);
      }
      if (services.size === 0) this.batches.delete(project);
    }
  }

  /** The group's log entries and metrics. */
  private takeNote(): void {
    const group = this.group;
    const numbers = this.groupNumbers;
    const view = this.view;
    for (let i = 0; i < group.length; i++) {
      const at = i * NUMBERS;
      view.fill(group[i], numbers, at);
      this.addEntry(view, numbers[at + 2], numbers[at]);
      this.sink?.record(view, numbers[at], numbers[at + 1]);
    }
    group.length = 0;
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
   * gets a new one; a few entries (a timer's flush) are copied, and the buffer is used again.
   */
  private send(batch: Batch): void {
    const bytes = batch.bytes;
    if (batch.length < BATCH_BYTES / 4) {
      this.logs.appendKept(batch.project, batch.service, new Uint8Array(bytes.subarray(0, batch.length)));
    } else {
      this.logs.appendKept(batch.project, batch.service, new Uint8Array(bytes.buffer, bytes.byteOffset, batch.length));
      batch.bytes = Buffer.allocUnsafeSlow(BATCH_BYTES);
    }
    batch.length = 0;
  }
}
