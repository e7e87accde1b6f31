import { promises as fs } from "node:fs";
import { dirname } from "node:path";
import { readLinesBackwards } from "./read-backwards";

export interface LogFileOptions {
  path: string;
  /** Bound on the current file plus `<path>.1`, each holding about half. */
  capBytes: number;
  /** Called once per kind of failure (operation + error code); the affected lines are dropped. */
  onError?: (error: Error) => void;
  /** How long appended lines may wait to share one write (default WRITE_DELAY_MS). */
  writeDelayMs?: number;
}

/** One write call carries at most this much, so a backlog does not become one huge buffer. */
const MAX_BATCH_BYTES = 1024 * 1024;
/**
 * Appended lines wait up to this long, or until WRITE_AT_BYTES are pending, to go out in one write:
 * each write costs a dispatch to libuv's pool and a syscall, which at a few thousand lines per second
 * cost more than everything else done per line. flush() (and so readTail and close) writes at once.
 */
const WRITE_DELAY_MS = 50;
const WRITE_AT_BYTES = 64 * 1024;
const ignore = () => undefined;

/**
 * One capped, rotating, append-only file of lines, written in batches without blocking the thread.
 *
 * Rules that keep the daemon up:
 * - Only the write loop touches the file handle, and every file operation (write, rotate, close, remove,
 *   tail read) runs one at a time through a single promise chain, so none can pull the handle from under
 *   another, and remove() waits for the write in flight instead of destroying it.
 * - Nothing is thrown into the event loop: append() never throws, failures go to onError and drop the
 *   lines concerned, and promises returned by flush/close/remove never reject.
 * - Memory is bounded: unwritten lines beyond capBytes are dropped oldest first (rotation would discard
 *   them anyway), and readTail reads at most capBytes, backwards, in 64 KiB pieces.
 *
 * Rotation: before a line would take the current file past capBytes/2, the file becomes `<path>.1`
 * (replacing the old one) and a new file starts; so both together stay within capBytes unless a single
 * line is itself longer than half of it.
 */
const NEWLINE = Buffer.from("\n");

/** What is left of `pieces` once their first `count` bytes are written (a short write). */
function afterBytes(pieces: Uint8Array[], count: number): Uint8Array[] {
  let skip = count;
  let i = 0;
  while (i < pieces.length && skip >= pieces[i].byteLength) skip -= pieces[i++].byteLength;
  const rest = pieces.slice(i);
  if (skip > 0) rest[0] = rest[0].subarray(skip);
  return rest;
}

export class LogFile {
  private readonly path: string;
  private readonly rotatedPath: string;
  private readonly capBytes: number;
  private readonly halfCap: number;
  private readonly onError?: (error: Error) => void;
  private readonly writeDelayMs: number;
  private readonly reportedKinds = new Set<string>();

  private handle: fs.FileHandle | undefined;
  private parentReady = false;
  private currentBytes = 0;
  private rotatedBytes = 0;

  /** Unwritten lines (with their size in bytes including "\n"), taken from `head` on. */
  /** Strings, or UTF-8 bytes as they came (the ingress's request entries: written without a decode and encode). */
  private pendingLines: (string | Uint8Array)[] = [];
  private pendingSizes: number[] = [];
  private head = 0;
  private pendingBytes = 0;
  /** Lines accepted by append so far; each line's ordinal is its position in that count. */
  private appendedCount = 0;
  /** Ordinal of the first line of the write in flight, if any: lines from there on are not settled yet. */
  private inFlightFrom: number | undefined;
  private flushWaiters: { target: number; resolve: () => void }[] = [];

  private writing = false;
  /** The timer that starts a write once the oldest pending line has waited writeDelayMs. */
  private delayed: NodeJS.Timeout | undefined;
  private closed = false;
  private removed = false;
  /** The tail of the chain every file operation runs on. */
  private io: Promise<void> = Promise.resolve();
  private tailBytes = 0;

  constructor(options: LogFileOptions) {
    this.path = options.path;
    this.rotatedPath = `${options.path}.1`;
    this.capBytes = Math.max(2, Math.floor(options.capBytes));
    this.halfCap = Math.floor(this.capBytes / 2);
    this.onError = options.onError;
    this.writeDelayMs = options.writeDelayMs ?? WRITE_DELAY_MS;
    this.exclusive(() => this.learnSizes()).catch(ignore);
  }

  /** Bytes in the current file and `<path>.1` as last seen on disk (unwritten lines not included). */
  get sizeBytes(): number {
    return this.currentBytes + this.rotatedBytes;
  }

  /** Bytes read from disk by readTail so far: shows that a tail read stays bounded. */
  get tailBytesRead(): number {
    return this.tailBytes;
  }

  /**
   * Queues a line (without a final "\n"; several joined by "\n" are one block), as a string or as
   * its UTF-8 bytes, for writing. Ignored after close() or remove().
   */
  append(line: string | Uint8Array): void {
    if (this.closed || this.removed) return;
    let size: number;
    if (typeof line === "string") size = Buffer.byteLength(line) + 1;
    else if (line instanceof Uint8Array) size = line.byteLength + 1;
    else return;
    this.pendingLines.push(line);
    this.pendingSizes.push(size);
    this.pendingBytes += size;
    this.appendedCount += 1;
    while (this.pendingBytes > this.capBytes && this.pendingCount > 1) this.takeOldest(1);
    this.scheduleWrite();
  }

  /** Resolves once every line appended before the call is written or dropped. */
  flush(): Promise<void> {
    const target = this.appendedCount;
    if (this.settledBefore >= target) return Promise.resolve();
    return new Promise((resolve) => {
      this.flushWaiters.push({ target, resolve });
      this.scheduleWrite();
    });
  }

  /** Writes what is pending, then closes the file. Later appends are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.exclusive(() => this.closeHandle());
  }

  /** Drops unwritten lines, lets a write in flight finish, closes and deletes both files. Never rejects. */
  async remove(): Promise<void> {
    this.removed = true;
    clearTimeout(this.delayed);
    this.delayed = undefined;
    this.takeOldest(this.pendingCount);
    await this.exclusive(async () => {
      await this.closeHandle();
      for (const path of [this.path, this.rotatedPath]) {
        await fs.rm(path, { force: true }).catch((error: unknown) => this.report("remove", error));
      }
      this.currentBytes = 0;
      this.rotatedBytes = 0;
    });
  }

  /**
   * The last `limit` lines that `accept` lets through, oldest first, empty lines skipped. Pending lines are
   * written first. Reads backwards from the end of the current file, then `<path>.1`, and stops after
   * capBytes; a line cut by that bound is left out. Rejects only on unexpected read errors (or if `accept` throws).
   */
  async readTail(limit: number, accept?: (line: string) => boolean): Promise<string[]> {
    const newestFirst: string[] = [];
    await this.eachFromEnd(limit, (line) => {
      if (accept && !accept(line)) return false;
      newestFirst.push(line);
      return true;
    });
    return newestFirst.reverse();
  }

  /**
   * Passes lines to `take`, newest first, until it has taken `limit` of them (it answers whether it
   * took a line): readTail without collecting the lines, for a caller that keeps less of each.
   * Same bounds and failures as readTail.
   */
  async eachFromEnd(limit: number, take: (line: string) => boolean): Promise<void> {
    if (!(limit >= 1) || this.removed) return;
    await this.flush();
    await this.exclusive(async () => {
      let taken = 0;
      let budget = this.capBytes;
      for (const path of [this.path, this.rotatedPath]) {
        if (taken >= limit || budget <= 0 || this.removed) break;
        const read = await readLinesBackwards(path, budget, (line) => {
          if (take(line)) taken += 1;
          return taken < limit;
        });
        budget -= read;
        this.tailBytes += read;
      }
    });
  }

  private get pendingCount(): number {
    return this.pendingLines.length - this.head;
  }

  /** Every line with a lower ordinal is written or dropped. */
  private get settledBefore(): number {
    return this.inFlightFrom ?? this.appendedCount - this.pendingCount;
  }

  /** Runs file operations one at a time, in call order; a failed task does not stop later ones. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.io.then(task);
    this.io = run.then(ignore, ignore);
    return run;
  }

  /** Someone waits for the pending lines, or enough of them wait to fill a write: no reason to delay. */
  private get writeDue(): boolean {
    return this.flushWaiters.length > 0 || this.pendingBytes >= WRITE_AT_BYTES;
  }

  /** Starts a write now if one is due, else once the delay is up; a write in progress reschedules when done. */
  private scheduleWrite(): void {
    if (this.writing || this.pendingCount === 0) return;
    if (this.writeDue) {
      clearTimeout(this.delayed);
      this.delayed = undefined;
      this.writing = true;
      // Deferred so lines appended in the same turn of the event loop share the write.
      setImmediate(() => void this.writeAll());
    } else {
      this.delayed ??= setTimeout(() => {
        this.delayed = undefined;
        if (this.writing || this.pendingCount === 0) return;
        this.writing = true;
        void this.writeAll();
      }, this.writeDelayMs);
    }
  }

  /** Writes the lines pending now; lines appended meanwhile go out at once only if a write is due for them. */
  private async writeAll(): Promise<void> {
    const upTo = this.appendedCount;
    while (this.pendingCount > 0 && !this.removed && (this.settledBefore < upTo || this.writeDue)) {
      await this.exclusive(() => this.writeBatch()).catch((error: unknown) => this.report("write", error));
    }
    this.writing = false;
    if (!this.removed) this.scheduleWrite();
  }

  /** Writes the oldest pending lines that fit before the next rotation; on failure they are dropped. */
  private async writeBatch(): Promise<void> {
    if (this.removed || this.pendingCount === 0) return;
    if (!this.handle && !(await this.openCurrent())) return this.takeOldest(this.linesUpTo(MAX_BATCH_BYTES));
    if (this.currentBytes > 0 && this.currentBytes + this.pendingSizes[this.head] > this.halfCap) {
      await this.rotate();
      if (!this.handle) return this.takeOldest(this.linesUpTo(MAX_BATCH_BYTES));
    }
    // The awaits above let remove() (or the backlog bound) take the pending lines.
    if (this.removed || this.pendingCount === 0) return;
    const count = this.linesUpTo(Math.min(this.halfCap - this.currentBytes, MAX_BATCH_BYTES));
    let pieces = this.pieces(count);
    // Off the queue now, so appends and backlog drops during the write leave these lines alone.
    this.inFlightFrom = this.settledBefore;
    this.takeOldest(count);
    try {
      while (pieces.length > 0) {
        const { bytesWritten } = await this.handle!.writev(pieces);
        if (bytesWritten <= 0) throw new Error("the file accepted no bytes"); // rather than retry forever
        this.currentBytes += bytesWritten;
        pieces = afterBytes(pieces, bytesWritten);
      }
    } catch (error) {
      this.report("write", error);
      await this.closeHandle(); // the next batch reopens, which also recovers a file that was replaced
    } finally {
      this.inFlightFrom = undefined;
      this.resolveFlushWaiters();
    }
  }

  /**
   * The oldest `count` pending lines as the pieces of one write, each followed by "\n": strings
   * joined and encoded together, byte blocks as they are (a vectored write copies nothing here).
   */
  private pieces(count: number): Uint8Array[] {
    const pieces: Uint8Array[] = [];
    let strings: string[] = [];
    for (let i = this.head; i < this.head + count; i++) {
      const line = this.pendingLines[i];
      if (typeof line === "string") {
        strings.push(line);
        continue;
      }
      if (strings.length > 0) pieces.push(Buffer.from(strings.join("\n") + "\n", "utf8"));
      strings = [];
      pieces.push(line, NEWLINE);
    }
    if (strings.length > 0) pieces.push(Buffer.from(strings.join("\n") + "\n", "utf8"));
    return pieces;
  }

  /** How many pending lines fit in `room` bytes; at least one, so an oversized line still goes out. */
  private linesUpTo(room: number): number {
    let count = 1;
    let bytes = this.pendingSizes[this.head];
    while (this.head + count < this.pendingLines.length && bytes + this.pendingSizes[this.head + count] <= room) {
      bytes += this.pendingSizes[this.head + count];
      count += 1;
    }
    return count;
  }

  /** Takes `count` lines off the front of the queue, to be written or dropped. */
  private takeOldest(count: number): void {
    for (let i = 0; i < count; i++) this.pendingBytes -= this.pendingSizes[this.head + i];
    this.head += count;
    if (this.head === this.pendingLines.length) {
      this.pendingLines = [];
      this.pendingSizes = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.pendingLines.length) {
      this.pendingLines = this.pendingLines.slice(this.head);
      this.pendingSizes = this.pendingSizes.slice(this.head);
      this.head = 0;
    }
    this.resolveFlushWaiters();
  }

  /** Waiters are in append order, so their targets only grow. */
  private resolveFlushWaiters(): void {
    const settled = this.settledBefore;
    while (this.flushWaiters.length > 0 && this.flushWaiters[0].target <= settled) this.flushWaiters.shift()!.resolve();
  }

  private async openCurrent(): Promise<boolean> {
    try {
      if (!this.parentReady) {
        // Created once; a directory removed later is reported, not silently recreated.
        await fs.mkdir(dirname(this.path), { recursive: true });
        this.parentReady = true;
      }
      const handle = await fs.open(this.path, "a");
      try {
        this.currentBytes = (await handle.stat()).size;
      } catch (error) {
        await handle.close().catch(ignore);
        throw error;
      }
      this.handle = handle;
      return true;
    } catch (error) {
      this.report("open", error);
      return false;
    }
  }

  private async rotate(): Promise<void> {
    await this.closeHandle();
    try {
      await fs.rename(this.path, this.rotatedPath);
      this.rotatedBytes = this.currentBytes;
    } catch (error) {
      // A current file that vanished needs no rotating; any other failure would let it grow past the cap.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        this.report("rotate", error);
        await fs.truncate(this.path).catch((truncateError: unknown) => this.report("truncate", truncateError));
      }
    }
    this.currentBytes = 0;
    await this.openCurrent();
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await handle.close().catch((error: unknown) => this.report("close", error));
  }

  private async learnSizes(): Promise<void> {
    const sizeOf = (path: string) =>
      fs.stat(path).then(
        (s) => s.size,
        () => 0,
      );
    const [current, rotated] = await Promise.all([sizeOf(this.path), sizeOf(this.rotatedPath)]);
    if (!this.handle) this.currentBytes = current;
    this.rotatedBytes = rotated;
  }

  /** Passes a failure to onError once per operation and error code; onError itself cannot break the caller. */
  private report(operation: string, error: unknown): void {
    const cause = error instanceof Error ? error : new Error(String(error));
    const code = (cause as NodeJS.ErrnoException).code;
    const kind = `${operation}:${code ?? cause.name}`;
    if (this.reportedKinds.has(kind)) return;
    this.reportedKinds.add(kind);
    const reported = Object.assign(new Error(`log file ${this.path}: ${operation} failed: ${cause.message}`, { cause }), { code });
    try {
      this.onError?.(reported);
    } catch {
      // a failing error handler must not take the write loop down with it
    }
  }
}
