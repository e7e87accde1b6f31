import { formatLogRecord, parseRecord, type LogRecord } from "./log-store";
import { normalizeTime } from "./log-time";
import { toLogEntry, type LogOwner } from "./log-entry";

/**
 * What a `logs read` does with the lines it gathered (from the service's log and from its live
 * containers): picks the newest `limit` by time and writes them out, formatted as the CLI prints
 * them, in pieces, as they are encoded. A read of 100,000 lines is ~7 MB of text: it is never one
 * string, one array of records or one JSON document, here or in the daemon's event loop.
 */

/**
 * How a read's lines are written: the items of a JSON array of strings (`"a","b"`), text lines, or
 * the items of a JSON array of Cloud Logging entries (log-entry.ts).
 */
export type LogEncoding = "json" | "text" | "entries";

/**
 * Where a read's lines go, in order, in pieces of about READ_PIECE_CHARS characters. The next
 * piece is written only once this one's write has resolved, so a slow reader slows the read
 * instead of filling memory; a write that rejects ends the read with its error.
 */
export type LogPieceWriter = (piece: Uint8Array) => void | Promise<void>;

export const READ_PIECE_CHARS = 64 * 1024;

/**
 * The lines one read gathered, kept compact until they are written: a line of the service's log
 * stays the JSON text it was kept as (parsed only if it is shown), a container's line is its record.
 * Each has its time, normalised, to sort by.
 */
export class GatheredLines {
  private readonly times: string[] = [];
  private readonly lines: (string | LogRecord)[] = [];

  get size(): number {
    return this.lines.length;
  }

  /** A line of the service's log as kept (JSON); one that is not (a torn write) is left out. */
  addKept(line: string): void {
    const time = keptTime(line);
    if (time === undefined) return;
    this.times.push(normalizeTime(time));
    this.lines.push(line);
  }

  addRecord(record: LogRecord): void {
    this.times.push(normalizeTime(record.time));
    this.lines.push(record);
  }

  /**
   * The newest `limit` lines by time, oldest first; lines of one time keep the order they were
   * added in (a container writes faster than its clock ticks).
   */
  *newest(limit: number): Generator<LogRecord> {
    const order = Uint32Array.from({ length: this.lines.length }, (_, i) => i);
    const times = this.times;
    order.sort((a, b) => (times[a] < times[b] ? -1 : times[a] > times[b] ? 1 : a - b));
    for (let i = Math.max(0, order.length - limit); i < order.length; i++) {
      const line = this.lines[order[i]];
      const record = typeof line === "string" ? parseRecord(line) : line;
      if (record) yield record;
    }
  }
}

/** The time of a line as kept, read off its start (records are written time first), parsed only when it is not there. */
function keptTime(line: string): string | undefined {
  const prefix = '{"time":"';
  if (line.startsWith(prefix)) {
    const end = line.indexOf('"', prefix.length);
    if (end > 0) return line.slice(prefix.length, end);
  }
  return parseRecord(line)?.time;
}

/** Formats and encodes records, writing a piece each time READ_PIECE_CHARS have gathered. */
export async function writeRecords(
  records: Iterable<LogRecord>,
  encoding: LogEncoding,
  write: LogPieceWriter,
  /** Whose log it is: what "entries" name as their resource. */
  owner: LogOwner = { project: "", name: "", kind: "service" },
): Promise<void> {
  const encoder = new TextEncoder();
  let piece = "";
  let first = true;
  for (const record of records) {
    if (encoding === "text") piece += `${formatLogRecord(record)}\n`;
    else {
      const item = JSON.stringify(encoding === "entries" ? toLogEntry(record, owner) : formatLogRecord(record));
      piece += first ? item : `,${item}`;
      first = false;
    }
    if (piece.length >= READ_PIECE_CHARS) {
      await write(encoder.encode(piece));
      piece = "";
    }
  }
  if (piece !== "") await write(encoder.encode(piece));
}
