import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { scopedKey } from "../model/derived-names";
import { normalizeTime, type ContainerLogs, type LogListener, type LogSource } from "./container-logs";
import type { LogRecord } from "./log-store";
import type { FromWorker, LogWorkerData, ToWorker } from "./log-worker";

/**
 * ContainerLogs in a worker thread (log-worker.ts): reading containers' logs from Docker, collecting
 * them, splitting and capping lines and writing files all happen there, so the daemon's event loop
 * spends nothing on a line unless someone follows that service live. If the worker dies it is
 * started again and every container is attached again after the last line its log kept.
 */
export class WorkerLogs implements ContainerLogs {
  private worker!: Worker;
  private nextReq = 1;
  private readonly replies = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly listeners = new Map<string, Set<LogListener>>();
  private readonly attached = new Map<string, { source: LogSource }>();
  private closing = false;

  constructor(
    private readonly data: LogWorkerData,
    private readonly onError: (message: string) => void,
  ) {
    this.spawn();
  }

  private spawn(): void {
    const worker = new Worker(join(__dirname, "log-worker.js"), { workerData: this.data });
    this.worker = worker;
    worker.unref();
    worker.on("message", (message: FromWorker) => this.receive(message));
    worker.on("error", (error) => this.onError(`log capture failed: ${error.message}`));
    worker.on("exit", (code) => {
      for (const pending of this.replies.values()) pending.reject(new Error("the log capture thread stopped"));
      this.replies.clear();
      if (this.closing) return;
      this.onError(`log capture thread exited with code ${code}; starting it again`);
      this.spawn();
      for (const key of this.listeners.keys()) this.post({ op: "subscribe", ...splitKey(key) });
      for (const [containerId, { source }] of this.attached) {
        this.reattach(containerId, source).catch((error) => this.onError(`could not attach ${containerId.slice(0, 12)} again: ${(error as Error).message}`));
      }
    });
  }

  private async reattach(containerId: string, source: LogSource): Promise<void> {
    const last = await this.lastTimeOf(source.project, source.service, source.instance).catch(() => undefined);
    if (!this.attached.has(containerId)) return;
    this.post({ op: "attach", containerId, source, after: last && normalizeTime(last) });
  }

  private post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  private request<T>(message: DistributiveOmit<Extract<ToWorker, { req: number }>, "req">): Promise<T> {
    const req = this.nextReq++;
    return new Promise<T>((resolve, reject) => {
      this.replies.set(req, { resolve: resolve as (value: unknown) => void, reject });
      this.post({ ...message, req } as ToWorker);
    });
  }

  private receive(message: FromWorker): void {
    if (message.op === "reply") {
      const pending = this.replies.get(message.req);
      this.replies.delete(message.req);
      if (message.error !== undefined) pending?.reject(new Error(message.error));
      else pending?.resolve(message.result);
    } else if (message.op === "lines") {
      const listeners = this.listeners.get(scopedKey(message.project, message.service));
      if (!listeners) return;
      if (message.dropped > 0) {
        const note: LogRecord = { time: new Date().toISOString(), stream: "engine", text: `[${message.dropped} lines not shown live: the service wrote faster than they could be followed]`, revision: "-", instance: "-" };
        for (const listener of listeners) listener(note);
      }
      for (const record of message.records) for (const listener of listeners) listener(record);
    } else {
      this.onError(message.message);
    }
  }

  attach(containerId: string, source: LogSource, after?: string): () => void {
    const entry = { source };
    this.attached.set(containerId, entry);
    this.post({ op: "attach", containerId, source, after });
    return () => {
      if (this.attached.get(containerId) !== entry) return;
      this.attached.delete(containerId);
      this.post({ op: "detach", containerId });
    };
  }

  collect(containerId: string): Promise<void> {
    if (!this.attached.delete(containerId)) return Promise.resolve();
    // Never rejects: a thread that stopped meanwhile loses this container's lines, not the removal.
    return this.request<void>({ op: "collect", containerId }).catch((error) => this.onError(`could not collect ${containerId.slice(0, 12)}: ${(error as Error).message}`));
  }

  append(project: string, service: string, record: LogRecord): void {
    this.post({ op: "append", project, service, record });
  }

  read(project: string, service: string, options?: { revision?: string; limit?: number }): Promise<LogRecord[]> {
    return this.request({ op: "read", project, service, options });
  }

  lastTimeOf(project: string, service: string, instance: string): Promise<string | undefined> {
    return this.request({ op: "lastTimeOf", project, service, instance });
  }

  subscribe(project: string, service: string, listener: LogListener): () => void {
    const key = scopedKey(project, service);
    let set = this.listeners.get(key);
    if (!set) {
      this.listeners.set(key, (set = new Set()));
      this.post({ op: "subscribe", project, service });
    }
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0 && this.listeners.get(key) === set) {
        this.listeners.delete(key);
        this.post({ op: "unsubscribe", project, service });
      }
    };
  }

  remove(project: string, service: string): Promise<void> {
    return this.request({ op: "remove", project, service });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.request({ op: "close" }).catch(() => undefined);
    await this.worker.terminate();
  }
}

function splitKey(key: string): { project: string; service: string } {
  const slash = key.indexOf("/");
  return { project: key.slice(0, slash), service: key.slice(slash + 1) };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
