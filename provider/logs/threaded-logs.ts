import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { scopedKey } from "../model/derived-names";
import type { ContainerLogs, LogListener, LogReadOptions, LogSource } from "./container-logs";
import type { LogEncoding, LogPieceWriter } from "./log-read";
import type { LogRecord } from "./log-store";
import type { FromWorker, LogWorkerData, ToWorker } from "./log-thread";

/**
 * A log thread with nothing to do for this long is closed: an idle engine does not keep its memory
 * (~25 MB), nor what a big read gathered in the thread's heap (+~110 MB for 100,000 lines), which V8
 * would hand back only slowly. Starting a thread again costs ~30 ms.
 */
export const LOG_WORKER_IDLE_MS = 5_000;

type Request = DistributiveOmit<Extract<ToWorker, { req: number }>, "req">;

/**
 * ContainerLogs in a worker thread (log-thread.ts): reading containers' logs from Docker, collecting
 * them, splitting and capping lines and writing files all happen there, so the daemon's event loop
 * spends nothing on a line unless someone follows that service live.
 *
 * The thread runs only while there is work: it starts on the first read, collect, engine line or
 * follower, and is closed (its files flushed) after LOG_WORKER_IDLE_MS without any. Which containers
 * are attached, and who follows which log, is kept here and given to each thread as it starts, also
 * to one started again after a crash.
 */
export class ThreadedLogs implements ContainerLogs {
  private worker?: Worker;
  /** A thread being closed after idleness: the next one starts once it is gone (one writer per file). */
  private retiring?: Promise<void>;
  private waiting: ToWorker[] = [];
  private idleTimer?: NodeJS.Timeout;
  private nextReq = 1;
  private readonly replies = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  /** Reads in progress: where their pieces go, and the write of the last piece received. */
  private readonly reads = new Map<number, { write: LogPieceWriter; writing: Promise<void> }>();
  private readonly listeners = new Map<string, Set<LogListener>>();
  private readonly attached = new Map<string, { source: LogSource; after?: string }>();
  private closing = false;

  constructor(
    private readonly data: LogWorkerData,
    private readonly onError: (message: string) => void,
    private readonly idleMs = LOG_WORKER_IDLE_MS,
  ) {}

  /** Whether a log thread runs now (tests, and `engine status` if it ever wants to say). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  private spawn(): Worker {
    const worker = new Worker(join(__dirname, "log-thread.js"), { workerData: this.data });
    this.worker = worker;
    worker.unref();
    worker.on("message", (message: FromWorker) => this.receive(message));
    worker.on("error", (error) => this.onError(`the log thread failed: ${error.message}`));
    worker.on("exit", (code) => {
      if (this.worker !== worker) return; // retired on purpose
      this.worker = undefined;
      for (const pending of this.replies.values()) pending.reject(new Error("the log thread stopped"));
      this.replies.clear();
      if (this.closing) return;
      this.onError(`the log thread exited with code ${code}`);
      // Followers are waiting for lines: start it again for them; anything else starts it when needed.
      if (this.listeners.size > 0) this.ensureWorker();
    });
    for (const [containerId, { source, after }] of this.attached)
      worker.postMessage({ op: "attach", containerId, source, after } satisfies ToWorker);
    for (const key of this.listeners.keys()) worker.postMessage({ op: "subscribe", ...splitKey(key) } satisfies ToWorker);
    return worker;
  }

  private ensureWorker(): Worker | undefined {
    if (this.worker) return this.worker;
    if (this.retiring) return undefined;
    return this.spawn();
  }

  /** Sends a message, starting the thread if it does not run (or once the one being closed is gone). */
  private post(message: ToWorker, transfer?: ArrayBuffer[]): void {
    const worker = this.ensureWorker();
    if (worker) worker.postMessage(message, transfer);
    else this.waiting.push(message);
    this.idleCheck();
  }

  /** Sends a message to a running thread only: attachments and follows are given to each new thread as it starts. */
  private tell(message: ToWorker): void {
    this.worker?.postMessage(message);
  }

  private request<T>(message: Request, req = this.nextReq++): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.replies.set(req, { resolve: resolve as (value: unknown) => void, reject });
      this.post({ ...message, req });
    });
  }

  /** With no request pending and nobody following, the thread is closed after idleMs. */
  private idleCheck(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (!this.worker || this.closing || this.replies.size > 0 || this.listeners.size > 0) return;
    this.idleTimer = setTimeout(() => this.retire(), this.idleMs);
    this.idleTimer.unref();
  }

  private retire(): void {
    const worker = this.worker;
    if (!worker || this.replies.size > 0 || this.listeners.size > 0) return;
    this.worker = undefined;
    const req = this.nextReq++;
    this.retiring = new Promise<void>((resolve) => {
      // The thread's own close writes what it buffered; its exit ends the wait either way.
      const done = () => resolve();
      worker.once("exit", done);
      worker.on("message", (message: FromWorker) => {
        if (message.op === "reply" && message.req === req) void worker.terminate();
      });
      worker.postMessage({ op: "close", req } satisfies ToWorker);
    }).then(() => {
      this.retiring = undefined;
      const waiting = this.waiting;
      this.waiting = [];
      // Lines and requests that came meanwhile are sent (also when the engine is stopping: close() waits for this), and followers followed.
      if (waiting.length === 0 && this.listeners.size === 0) return;
      const next = this.spawn();
      for (const message of waiting) next.postMessage(message);
      this.idleCheck();
    });
  }

  private receive(message: FromWorker): void {
    if (message.op === "reply") {
      const pending = this.replies.get(message.req);
      this.replies.delete(message.req);
      if (message.error !== undefined) pending?.reject(new Error(message.error));
      else pending?.resolve(message.result);
      this.idleCheck();
    } else if (message.op === "piece") {
      this.receivePiece(message.req, message.piece);
    } else if (message.op === "lines") {
      const listeners = this.listeners.get(scopedKey(message.project, message.service));
      if (!listeners) return;
      if (message.dropped > 0) {
        const note: LogRecord = {
          time: new Date().toISOString(),
          stream: "engine",
          text: `[${message.dropped} lines not shown live: the service wrote faster than they could be followed]`,
          revision: "-",
          instance: "-",
        };
        for (const listener of listeners) listener(note);
      }
      for (const record of message.records) for (const listener of listeners) listener(record);
    } else {
      this.onError(message.message);
    }
  }

  /**
   * Pieces are written one after the other, each once the one before is; the thread hears of each
   * write, so it sends more only as fast as the reader takes them.
   */
  private receivePiece(req: number, piece: Uint8Array): void {
    const read = this.reads.get(req);
    if (!read) return;
    read.writing = read.writing
      .then(() => read.write(piece))
      .then(
        () => this.tell({ op: "written", req }),
        (error: unknown) => {
          this.tell({ op: "stop", req });
          throw error;
        },
      );
    // Awaited by readInto once the thread answers; until then a failed write must not count as unhandled.
    read.writing.catch(() => undefined);
  }

  attach(containerId: string, source: LogSource, after?: string): () => void {
    const entry = { source, after };
    this.attached.set(containerId, entry);
    this.tell({ op: "attach", containerId, source, after });
    return () => {
      if (this.attached.get(containerId) !== entry) return;
      this.attached.delete(containerId);
      this.tell({ op: "detach", containerId });
    };
  }

  collect(containerId: string): Promise<void> {
    const entry = this.attached.get(containerId);
    if (!entry) return Promise.resolve();
    this.attached.delete(containerId);
    // A new thread learns of it from the attach in front of the collect; a running one knows it already.
    if (!this.worker) this.post({ op: "attach", containerId, source: entry.source, after: entry.after });
    // Never rejects: a thread that stopped meanwhile loses this container's lines, not the removal.
    return this.request<void>({ op: "collect", containerId }).catch((error) =>
      this.onError(`could not collect ${containerId.slice(0, 12)}: ${(error as Error).message}`),
    );
  }

  append(project: string, service: string, record: LogRecord): void {
    this.post({ op: "append", project, service, record });
  }

  appendKept(project: string, service: string, block: Uint8Array): void {
    // Copied here rather than cloned by postMessage, which would copy the view's whole buffer.
    this.handOverKept(project, service, new Uint8Array(block));
  }

  handOverKept(project: string, service: string, block: Uint8Array): void {
    // A SharedArrayBuffer cannot be transferred (nor would it be the thread's alone): it is cloned.
    const buffer = block.buffer instanceof ArrayBuffer ? block.buffer : undefined;
    this.post({ op: "appendKept", project, service, block }, buffer ? [buffer] : undefined);
  }

  async readInto(
    project: string,
    service: string,
    options: LogReadOptions & { encoding: LogEncoding },
    write: LogPieceWriter,
  ): Promise<void> {
    const req = this.nextReq++;
    const read = { write, writing: Promise.resolve() };
    this.reads.set(req, read);
    try {
      try {
        await this.request<void>({ op: "read", project, service, options }, req);
      } catch (error) {
        // A write that failed stopped the read: its error says why, not the thread's answer to the stop.
        await read.writing;
        throw error;
      }
      // The thread sent its last piece before it answered: the read is done once that is written.
      await read.writing;
    } finally {
      this.reads.delete(req);
    }
  }

  lastTimeOf(project: string, service: string, instance: string): Promise<string | undefined> {
    return this.request({ op: "lastTimeOf", project, service, instance });
  }

  subscribe(project: string, service: string, listener: LogListener): () => void {
    const key = scopedKey(project, service);
    let set = this.listeners.get(key);
    if (!set) {
      this.listeners.set(key, (set = new Set()));
      // A new thread subscribes every key as it starts.
      if (this.worker) this.tell({ op: "subscribe", project, service });
      else this.ensureWorker();
      this.idleCheck();
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(key) === set) {
        this.listeners.delete(key);
        this.tell({ op: "unsubscribe", project, service });
        this.idleCheck();
      }
    };
  }

  remove(project: string, service: string): Promise<void> {
    return this.request({ op: "remove", project, service });
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    await this.retiring;
    const worker = this.worker;
    if (!worker) return;
    await this.request({ op: "close" }).catch(() => undefined);
    this.worker = undefined;
    await worker.terminate();
  }
}

function splitKey(key: string): { project: string; service: string } {
  const slash = key.indexOf("/");
  return { project: key.slice(0, slash), service: key.slice(slash + 1) };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
