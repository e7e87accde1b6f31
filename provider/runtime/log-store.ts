import { createWriteStream, mkdirSync, openSync, readSync, closeSync, fstatSync, readFileSync, rmSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { scopedKey } from "../model/derived-names";
import type { LogLine } from "./container-runtime";

/** One captured line of a service's containers, as kept in SKIFF_HOME/logs/<project>/<service>.log (JSON lines). */
export interface LogRecord extends LogLine {
  revision: string;
  instance: string;
}

type Listener = (record: LogRecord) => void;

/**
 * Container logs outlive their containers here, so `skiff logs read` and a failed revision's error
 * still have them after the instance is gone. Live lines also go to followers (`logs tail`).
 */
export class LogStore {
  private readonly listeners = new Map<string, Set<Listener>>();
  /** One open append stream per service file: no open/write/close per line on the ingress's event loop. */
  private readonly writers = new Map<string, WriteStream>();

  constructor(private readonly dir: string) {}

  private file(project: string, service: string): string {
    return join(this.dir, project, `${service}.log`);
  }

  append(project: string, service: string, record: LogRecord): void {
    const path = this.file(project, service);
    let writer = this.writers.get(path);
    if (!writer) {
      mkdirSync(join(this.dir, project), { recursive: true });
      writer = createWriteStream(path, { flags: "a" });
      this.writers.set(path, writer);
    }
    writer.write(JSON.stringify(record) + "\n");
    for (const listener of this.listeners.get(scopedKey(project, service)) ?? []) listener(record);
  }

  /** Resolves once every buffered line is on disk (engine stop). */
  async close(): Promise<void> {
    const writers = [...this.writers.values()];
    this.writers.clear();
    await Promise.all(writers.map((w) => new Promise<void>((resolve) => w.end(resolve))));
  }

  read(project: string, service: string, options: { revision?: string; limit?: number } = {}): LogRecord[] {
    let text: string;
    try {
      text = readFileSync(this.file(project, service), "utf8");
    } catch {
      return [];
    }
    const records = parseLines(text).filter((r) => !options.revision || r.revision === options.revision);
    return options.limit ? records.slice(-options.limit) : records;
  }

  /** The time of the last line captured from an instance: where following resumes after a restart. */
  lastTimeOf(project: string, service: string, instance: string): string | undefined {
    const tail = readTail(this.file(project, service), 256 * 1024);
    const records = parseLines(tail).filter((r) => r.instance === instance);
    return records.length ? records[records.length - 1].time : undefined;
  }

  subscribe(project: string, service: string, listener: Listener): () => void {
    const key = scopedKey(project, service);
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  remove(project: string, service: string): void {
    const path = this.file(project, service);
    this.writers.get(path)?.destroy();
    this.writers.delete(path);
    rmSync(path, { force: true });
  }
}

export function formatLogRecord(r: LogRecord): string {
  return `${r.time} ${r.revision} ${r.stream}: ${r.text}`;
}

function parseLines(text: string): LogRecord[] {
  const out: LogRecord[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as LogRecord);
    } catch {
      // a partial first line of a tail read
    }
  }
  return out;
}

function readTail(path: string, bytes: number): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return "";
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString("utf8");
  } finally {
    closeSync(fd);
  }
}
