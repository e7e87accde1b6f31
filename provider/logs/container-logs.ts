import { GatheredLines, writeRecords, type LogEncoding, type LogPieceWriter } from "./log-read";
import { DEFAULT_READ_LIMIT, LogStore, parseRecord, type LogLine, type LogRecord } from "./log-store";
import { ownerOf } from "./log-entry";
import { keptFilter, recordFilter, type RecordFilter } from "./log-filter";
import { linesAfter, normalizeTime } from "./log-time";

/** Which instance a followed container is, so each captured line can say where it came from. */
export interface LogSource {
  project: string;
  /** The log it goes to: a service's name, or jobLogName(job). */
  service: string;
  /** The revision, or the execution. */
  revision: string;
  instance: string;
  /** Which container of the instance or task, when it has several. */
  container?: string;
  task?: number;
  attempt?: number;
}

export type LogListener = (record: LogRecord) => void;

/** Which lines a read wants: the newest `limit`, of one revision (or execution) or all, matching a filter (log-filter.ts) or all. */
export interface LogReadOptions {
  revision?: string;
  /** Only the lines of the containers of this name (instances of several containers). */
  container?: string;
  limit?: number;
  filter?: string;
}

/**
 * Containers' output, kept and read. A container's lines stay in Docker's own (capped) log while it
 * lives and are read from there on demand; when the container is about to be removed they are
 * collected into its service's log, which outlives it. So while nobody reads, the engine spends
 * nothing on a logged line. Also: the engine's own lines, tails, following a service live, deleting
 * a service's log. Two implementations: in this thread (tests, and the worker itself) and in a
 * worker thread (the daemon), so collecting and reading never run on the request path's event loop.
 */
export interface ContainerLogs {
  /**
   * The container's output belongs to this source's log from now on (lines at or before `after`
   * are in it already). Returns a function that lets go of it without collecting (its log is being
   * deleted, or the engine stops and will attach it again).
   */
  attach(containerId: string, source: LogSource, after?: string): () => void;
  /**
   * Copies what the container wrote (after what is already kept) into its source's log, written to
   * disk when it resolves, and lets go of it: call it once the container has stopped and before it
   * is removed. Never rejects; a container not attached (or let go) is a no-op.
   */
  collect(containerId: string): Promise<void>;
  append(project: string, service: string, record: LogRecord): void;
  /**
   * Records already in their kept form (JSON text, several joined by "\n", as UTF-8): the ingress's
   * request entries, in batches. The block stays the caller's, who may write over it once this
   * returns: its bytes are copied.
   */
  appendKept(project: string, service: string, block: Uint8Array): void;
  /**
   * appendKept for a block whose whole ArrayBuffer the caller gives up: kept, or transferred to
   * another thread (which detaches it), without a copy. The caller must not touch that buffer again,
   * so it is for a buffer made for this block (never a Buffer from Node's shared pool).
   */
  handOverKept(project: string, service: string, block: Uint8Array): void;
  /**
   * The newest `limit` lines (default DEFAULT_READ_LIMIT) of the log and of its attached
   * containers, oldest first, as `logs read` prints them, encoded and written in pieces
   * (log-read.ts); resolves once the last piece is written.
   */
  readInto(project: string, service: string, options: LogReadOptions & { encoding: LogEncoding }, write: LogPieceWriter): Promise<void>;
  /** The time of the last line kept of an instance: what attach's `after` is after a restart. */
  lastTimeOf(project: string, service: string, instance: string): Promise<string | undefined>;
  subscribe(project: string, service: string, listener: LogListener): () => void;
  remove(project: string, service: string): Promise<void>;
  close(): Promise<void>;
}

/** What InProcessLogs needs of a container engine: its containers' logs, read and followed. */
/** Where containers' lines are read from: Docker's log of each (DockerLogs; a fake in tests). */
export interface ContainerLogReader {
  /**
   * Reads the container's log lines (with their timestamps) as Docker has them now: from
   * `sinceSeconds` on, or only the last `tail`. Resolves after the last one; a container that is
   * gone has none. Lines longer than the cap arrive cut, as with followLogs.
   */
  readLogs(containerId: string, options: { sinceSeconds?: number; tail?: number }, onLine: (line: LogLine) => void): Promise<void>;
  /**
   * Streams log lines (with their timestamps) from `sinceSeconds` on; returns a function that stops
   * it. A line longer than the cap arrives cut, with how many bytes were dropped.
   */
  followLogs(containerId: string, sinceSeconds: number, onLine: (line: LogLine) => void): () => void;
}

/** A collect that takes longer than this (Docker not answering) gives up: a removal must not wait for ever. */
const COLLECT_TIMEOUT_MS = 60_000;

interface Attached {
  source: LogSource;
  /** Lines at or before this (normalised) time are kept already. */
  after?: string;
  /** While someone follows the source's log live: stops following this container. */
  stopLive?: () => void;
  collecting?: Promise<void>;
}

/** Keeps containers' lines in a LogStore, reading them from the runtime on demand, in the calling thread. */
export class InProcessLogs implements ContainerLogs {
  private readonly attached = new Map<string, Attached>();

  constructor(
    private readonly runtime: ContainerLogReader,
    private readonly store: LogStore,
    private readonly onError: (error: Error) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  attach(containerId: string, source: LogSource, after?: string): () => void {
    this.detach(containerId);
    const entry: Attached = { source, after };
    this.attached.set(containerId, entry);
    // A new container while someone follows its service: followed from its first line.
    if (this.store.hasFollowers(source.project, source.service)) this.followLive(containerId, entry, after);
    return () => {
      if (this.attached.get(containerId) === entry) this.detach(containerId);
    };
  }

  private detach(containerId: string): void {
    this.attached.get(containerId)?.stopLive?.();
    this.attached.delete(containerId);
  }

  collect(containerId: string): Promise<void> {
    const entry = this.attached.get(containerId);
    if (!entry) return Promise.resolve();
    entry.collecting ??= this.copyOut(containerId, entry)
      .catch((error: unknown) =>
        this.onError(new Error(`could not collect the log of ${containerId.slice(0, 12)}: ${(error as Error).message}`)),
      )
      .finally(() => {
        if (this.attached.get(containerId) === entry) this.detach(containerId);
      });
    return entry.collecting;
  }

  private async copyOut(containerId: string, entry: Attached): Promise<void> {
    const { source } = entry;
    const keep = this.store.collector(source.project, source.service);
    const isNew = linesAfter(entry.after);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Docker did not answer within ${COLLECT_TIMEOUT_MS / 1000} s`)), COLLECT_TIMEOUT_MS);
    });
    const copying = this.runtime.readLogs(containerId, { sinceSeconds: sinceOf(entry.after) }, (line) => {
      if (isNew(line.time)) keep(recordOf(source, line));
    });
    try {
      await Promise.race([copying, timeout]);
    } finally {
      clearTimeout(timer);
    }
    // On disk before the container may go: an engine killed right after the removal keeps them.
    await this.store.flush(source.project, source.service);
  }

  append(project: string, service: string, record: LogRecord): void {
    this.store.append(project, service, record);
  }

  appendKept(project: string, service: string, block: Uint8Array): void {
    // The log file keeps the block until its write: a copy of just these bytes, not the caller's buffer.
    this.store.appendKept(project, service, new Uint8Array(block));
  }

  handOverKept(project: string, service: string, block: Uint8Array): void {
    this.store.appendKept(project, service, block);
  }

  async readInto(
    project: string,
    service: string,
    options: LogReadOptions & { encoding: LogEncoding },
    write: LogPieceWriter,
  ): Promise<void> {
    const limit = options.limit ?? DEFAULT_READ_LIMIT;
    const gathered = await this.gather(project, service, options, limit);
    await writeRecords(gathered.newest(limit), options.encoding, write, ownerOf(project, service));
  }

  /** The records readInto would write (tests, in this thread). */
  async read(project: string, service: string, options: LogReadOptions = {}): Promise<LogRecord[]> {
    const limit = options.limit ?? DEFAULT_READ_LIMIT;
    return [...(await this.gather(project, service, options, limit)).newest(limit)];
  }

  /** The newest `limit` lines of the service's log and of each of its attached containers. */
  private async gather(project: string, service: string, options: LogReadOptions, limit: number): Promise<GatheredLines> {
    const { revision, container } = options;
    const live = [...this.attached].filter(
      ([, { source }]) =>
        source.project === project &&
        source.service === service &&
        (revision === undefined || source.revision === revision) &&
        (container === undefined || source.container === container),
    );
    const wanted = options.filter === undefined ? undefined : recordFilter(options.filter, ownerOf(project, service));
    const kept: string[] = [];
    const [, ...fromContainers] = await Promise.all([
      this.store.eachNewest(project, service, { revision, container, limit, accept: wanted && keptFilter(wanted) }, (line) =>
        kept.push(line),
      ),
      ...live.map(([containerId, entry]) => this.readContainer(containerId, entry, limit, wanted)),
    ]);
    const gathered = new GatheredLines();
    // In the order they were kept: lines of one time stay in that order.
    for (let i = kept.length - 1; i >= 0; i--) gathered.addKept(kept[i]);
    live.forEach(([, entry], i) => {
      const records = fromContainers[i];
      // A container being collected has some of its lines in both places: shown once.
      const seen = entry.collecting ? keptIds(kept, entry.source.instance) : undefined;
      for (const record of records) if (!seen?.has(lineId(record))) gathered.addRecord(record);
    });
    return gathered;
  }

  /** The last `limit` lines Docker has of an attached container that are not kept yet. */
  private async readContainer(containerId: string, entry: Attached, limit: number, wanted?: RecordFilter): Promise<LogRecord[]> {
    const records: LogRecord[] = [];
    const isNew = linesAfter(entry.after);
    // A filtered read looks further back: the newest `limit` lines may hold none it wants.
    await this.runtime
      .readLogs(containerId, wanted ? {} : { tail: limit }, (line) => {
        if (!isNew(line.time)) return;
        const record = recordOf(entry.source, line);
        if (!wanted || wanted(record)) records.push(record);
      })
      .catch(() => undefined); // gone meanwhile: collected, or nothing to say
    return records;
  }

  lastTimeOf(project: string, service: string, instance: string): Promise<string | undefined> {
    return this.store.lastTimeOf(project, service, instance);
  }

  subscribe(project: string, service: string, listener: LogListener): () => void {
    const first = !this.store.hasFollowers(project, service);
    const unsubscribe = this.store.subscribe(project, service, listener);
    // Lines from now on: what each container writes next, and the engine's own lines.
    if (first) {
      const now = new Date(this.now()).toISOString();
      for (const [containerId, entry] of this.attached) {
        if (entry.source.project === project && entry.source.service === service) this.followLive(containerId, entry, normalizeTime(now));
      }
    }
    return () => {
      unsubscribe();
      if (this.store.hasFollowers(project, service)) return;
      for (const entry of this.attached.values()) {
        if (entry.source.project !== project || entry.source.service !== service) continue;
        entry.stopLive?.();
        entry.stopLive = undefined;
      }
    };
  }

  private followLive(containerId: string, entry: Attached, after: string | undefined): void {
    entry.stopLive?.();
    const isNew = linesAfter(after);
    const { project, service } = entry.source;
    entry.stopLive = this.runtime.followLogs(containerId, sinceOf(after), (line) => {
      if (isNew(line.time)) this.store.publish(project, service, recordOf(entry.source, line));
    });
  }

  remove(project: string, service: string): Promise<void> {
    return this.store.remove(project, service);
  }

  async close(): Promise<void> {
    for (const containerId of [...this.attached.keys()]) this.detach(containerId);
    await this.store.close();
  }
}

function sinceOf(after: string | undefined): number {
  return after ? Math.floor(Date.parse(after) / 1000) : 0;
}

function recordOf(source: LogSource, { time, stream, text }: LogLine): LogRecord {
  const { revision, instance, container, task, attempt } = source;
  const record: LogRecord = { time, stream, text, revision, instance };
  if (container !== undefined) record.container = container;
  if (task !== undefined) Object.assign(record, { task, attempt });
  return record;
}

/** What makes a line the same line in the service's log and in its container's own log. */
function lineId(record: LogRecord): string {
  return `${record.instance}\u0000${normalizeTime(record.time)}\u0000${record.stream}\u0000${record.text}`;
}

/** The ids of an instance's lines among lines as kept. */
function keptIds(kept: string[], instance: string): Set<string> {
  const needle = `"instance":${JSON.stringify(instance)}`;
  const ids = new Set<string>();
  for (const line of kept) {
    const record = line.includes(needle) ? parseRecord(line) : undefined;
    if (record?.instance === instance) ids.add(lineId(record));
  }
  return ids;
}
