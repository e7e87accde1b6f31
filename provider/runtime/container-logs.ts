import type { ContainerRuntime } from "./container-runtime";
import { LogStore, type LogRecord } from "./log-store";

/** Which instance a followed container is, so each captured line can say where it came from. */
export interface LogSource {
  project: string;
  /** The log it goes to: a service's name, or jobLogName(job). */
  service: string;
  /** The revision, or the execution. */
  revision: string;
  instance: string;
  task?: number;
  attempt?: number;
}

export type LogListener = (record: LogRecord) => void;

/**
 * Capturing containers' output and keeping it: follow a container (its lines go to its service's
 * log), add the engine's own lines, read tails, follow a service live, delete a service's log.
 * Two implementations: in this thread (tests, and the worker itself) and in a worker thread (the
 * daemon), so a flooding container costs the request path nothing.
 */
export interface ContainerLogs {
  /** Captures the container's lines from `sinceSeconds` on (skipping those at or before `after`); returns a stop function. */
  follow(containerId: string, source: LogSource, sinceSeconds: number, after?: string): () => void;
  append(project: string, service: string, record: LogRecord): void;
  read(project: string, service: string, options?: { revision?: string; limit?: number }): Promise<LogRecord[]>;
  lastTimeOf(project: string, service: string, instance: string): Promise<string | undefined>;
  subscribe(project: string, service: string, listener: LogListener): () => void;
  remove(project: string, service: string): Promise<void>;
  close(): Promise<void>;
}

/** Docker's RFC 3339 times drop trailing zeros; pad the fraction so they compare as strings. */
export function normalizeTime(time: string): string {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-].*)$/.exec(time);
  if (!match) return time;
  return `${match[1]}.${(match[2] ?? "").padEnd(9, "0")}${match[3]}`;
}

/** Follows containers with the runtime and keeps their lines in a LogStore, in the calling thread. */
export class InProcessLogs implements ContainerLogs {
  private readonly following = new Map<string, () => void>();

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly store: LogStore,
  ) {}

  follow(containerId: string, source: LogSource, sinceSeconds: number, after?: string): () => void {
    this.following.get(containerId)?.();
    let stopped = false;
    let skipUpTo = after;
    const append = this.store.appender(source.project, source.service);
    const { revision, instance, task, attempt } = source;
    const stopRuntime = this.runtime.followLogs(containerId, sinceSeconds, ({ time, stream, text }) => {
      if (stopped) return;
      if (skipUpTo !== undefined) {
        if (normalizeTime(time) <= skipUpTo) return;
        skipUpTo = undefined; // lines come in order: after the first new one, all are new
      }
      append(task === undefined ? { time, stream, text, revision, instance } : { time, stream, text, revision, instance, task, attempt });
    });
    const stop = () => {
      if (stopped) return;
      stopped = true;
      stopRuntime();
      if (this.following.get(containerId) === stop) this.following.delete(containerId);
    };
    this.following.set(containerId, stop);
    return stop;
  }

  append(project: string, service: string, record: LogRecord): void {
    this.store.append(project, service, record);
  }

  read(project: string, service: string, options?: { revision?: string; limit?: number }): Promise<LogRecord[]> {
    return this.store.read(project, service, options);
  }

  lastTimeOf(project: string, service: string, instance: string): Promise<string | undefined> {
    return this.store.lastTimeOf(project, service, instance);
  }

  subscribe(project: string, service: string, listener: LogListener): () => void {
    return this.store.subscribe(project, service, listener);
  }

  remove(project: string, service: string): Promise<void> {
    return this.store.remove(project, service);
  }

  async close(): Promise<void> {
    for (const stop of [...this.following.values()]) stop();
    await this.store.close();
  }
}
