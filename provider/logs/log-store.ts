import { join } from "node:path";
import { DEFAULT_LOG_CAP_BYTES } from "../base/defaults";
import { scopedKey } from "../model/derived-names";
import { LogFile } from "./log-file";
import { normalizeTime } from "./log-time";
import { requestSummary, type HttpRequestFields } from "./http-request";

/** One captured line of a service's containers, as kept in SKIFF_HOME/logs/<project>/<service>.log (JSON lines). */
/** One line a container wrote, with Docker's time for it. */
export interface LogLine {
  time: string;
  /**
   * "engine": a line the engine writes about the container (an out-of-memory kill, a restart);
   * "request": the ingress's entry for one request (log-entry.ts), whose text is empty.
   */
  stream: "stdout" | "stderr" | "engine" | "request";
  text: string;
}

export interface LogRecord extends LogLine {
  /** The revision, or for a job's task the execution. */
  revision: string;
  instance: string;
  /** Which container of the instance or task wrote it, when it has several. */
  container?: string;
  /** For a job's task: its index and attempt. */
  task?: number;
  attempt?: number;
  /** A request entry's fields, as Cloud Logging names them (log-entry.ts). */
  severity?: string;
  httpRequest?: HttpRequestFields;
  trace?: string;
  spanId?: string;
  /** A request entry's: its trace is sampled (the client's traceparent or X-Cloud-Trace-Context says so). */
  traceSampled?: boolean;
}

type Listener = (record: LogRecord) => void;

/** `logs read` without a limit returns this many of the newest lines. */
export const DEFAULT_READ_LIMIT = 1000;

/**
 * Container logs outlive their containers here: each container's lines are collected into its
 * service's log when the container is removed, so `skiff logs read` still has them after the
 * instance is gone. The engine's own lines about a service are written here at once. Live lines
 * go to followers (`logs tail`).
 * Every file is a LogFile: capped with rotation, written without blocking, read from the end, and
 * never able to throw into the daemon.
 */
export class LogStore {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly files = new Map<string, LogFile>();

  constructor(
    private readonly dir: string,
    private readonly capBytes = DEFAULT_LOG_CAP_BYTES,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {}

  private file(project: string, service: string, key = scopedKey(project, service)): LogFile {
    let file = this.files.get(key);
    if (!file) {
      file = new LogFile({ path: join(this.dir, project, `${service}.log`), capBytes: this.capBytes, onError: this.onError });
      this.files.set(key, file);
    }
    return file;
  }

  append(project: string, service: string, record: LogRecord): void {
    this.appendAt(scopedKey(project, service), project, service, record);
  }

  /**
   * Lines already in the kept form (JSON records joined by "\n": the ingress's request entries),
   * appended as one block, as a string or its UTF-8 bytes (written as they are); decoded, split and
   * parsed only when someone follows the service.
   */
  appendKept(project: string, service: string, block: string | Uint8Array): void {
    const key = scopedKey(project, service);
    this.file(project, service, key).append(block);
    if (!this.listeners.get(key)?.size) return;
    const text = typeof block === "string" ? block : Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString("utf8");
    for (const line of text.split("\n")) {
      const record = parseRecord(line);
      if (record) this.publishAt(key, record);
    }
  }

  /**
   * append() to one service, its key made once, for a container's lines collected in bulk. These
   * are not published: followers saw them live.
   */
  collector(project: string, service: string): (record: LogRecord) => void {
    const key = scopedKey(project, service);
    // Looked up each time rather than kept: remove() replaces the file.
    return (record) => this.file(project, service, key).append(JSON.stringify(record));
  }

  private appendAt(key: string, project: string, service: string, record: LogRecord): void {
    this.file(project, service, key).append(JSON.stringify(record));
    this.publishAt(key, record);
  }

  /** Resolves once the lines appended to the service's log so far are written (or dropped). */
  flush(project: string, service: string): Promise<void> {
    return this.files.get(scopedKey(project, service))?.flush() ?? Promise.resolve();
  }

  /** Passes a line to the service's followers only (a live line that is still in the container's own log). */
  publish(project: string, service: string, record: LogRecord): void {
    this.publishAt(scopedKey(project, service), record);
  }

  private publishAt(key: string, record: LogRecord): void {
    const listeners = this.listeners.get(key);
    if (listeners) for (const listener of listeners) listener(record);
  }

  hasFollowers(project: string, service: string): boolean {
    return (this.listeners.get(scopedKey(project, service))?.size ?? 0) > 0;
  }

  /**
   * The newest `limit` lines (default DEFAULT_READ_LIMIT) as kept (JSON text), newest first,
   * optionally of one revision only, passed to `take` one at a time: a big read keeps only what
   * its caller keeps of each line.
   */
  async eachNewest(
    project: string,
    service: string,
    options: { revision?: string; container?: string; limit?: number; accept?: (line: string) => boolean },
    take: (line: string) => void,
  ): Promise<void> {
    const { revision, container, accept } = options;
    // A cheap text test first; only candidate lines are parsed.
    const needle = revision === undefined ? undefined : `"revision":${JSON.stringify(revision)}`;
    const containerNeedle = container === undefined ? undefined : `"container":${JSON.stringify(container)}`;
    await this.file(project, service).eachFromEnd(options.limit ?? DEFAULT_READ_LIMIT, (line) => {
      if (needle !== undefined && !(line.includes(needle) && parseRecord(line)?.revision === revision)) return false;
      if (containerNeedle !== undefined && !(line.includes(containerNeedle) && parseRecord(line)?.container === container)) return false;
      if (accept && !accept(line)) return false;
      take(line);
      return true;
    });
  }

  /**
   * The time of the last line kept that the instance's container wrote, normalised (normalizeTime):
   * attach's `after` after a restart. Only its own lines count (stdout, stderr): the ingress's request
   * entries and the engine's lines name the instance too, but are kept at once while its container's
   * lines wait in Docker's log until it is collected, so a request entry's time would hide them all.
   */
  async lastTimeOf(project: string, service: string, instance: string): Promise<string | undefined> {
    const needle = `"instance":${JSON.stringify(instance)}`;
    const own = (line: string) => line.includes('"stream":"stdout"') || line.includes('"stream":"stderr"');
    const [last] = await this.file(project, service).readTail(1, (line) => line.includes(needle) && own(line));
    const time = last === undefined ? undefined : parseRecord(last)?.time;
    return time === undefined ? undefined : normalizeTime(time);
  }

  subscribe(project: string, service: string, listener: Listener): () => void {
    const key = scopedKey(project, service);
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Deletes a service's log; lines still being written are finished or dropped, never an error. */
  async remove(project: string, service: string): Promise<void> {
    const key = scopedKey(project, service);
    const file = this.files.get(key) ?? this.file(project, service);
    this.files.delete(key);
    await file.remove();
  }

  /** Resolves once every buffered line is on disk (engine stop). */
  async close(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    await Promise.all(files.map((f) => f.close()));
  }
}

export function formatLogRecord(r: LogRecord): string {
  const container = r.container === undefined ? "" : ` container ${r.container}`;
  if (r.httpRequest) return `${r.time} ${r.revision} request: ${requestSummary(r.httpRequest)}`;
  if (r.task !== undefined) return `${r.time} ${r.revision} task ${r.task} attempt ${r.attempt ?? 0}${container} ${r.stream}: ${r.text}`;
  return `${r.time} ${r.revision}${container} ${r.stream}: ${r.text}`;
}

/** A line of a service's log as kept (JSON), or undefined for one that is not (a torn write). */
export function parseRecord(line: string): LogRecord | undefined {
  try {
    return JSON.parse(line) as LogRecord;
  } catch {
    return undefined;
  }
}
