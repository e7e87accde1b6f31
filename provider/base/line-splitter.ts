const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
/** First size of the buffer for a line spanning chunks; it doubles up to maxLineBytes as needed. */
const INITIAL_HOLD_BYTES = 256;

/**
 * Splits a byte stream (container stdout/stderr) into lines. Each byte is examined once, so a flood
 * costs linear time, and at most maxLineBytes of a line are held: the rest of an over-long line is
 * counted and discarded as it arrives, however long it gets.
 *
 * A line is emitted without its "\n" (and without a "\r" before it). An over-long line is emitted once
 * with its first maxLineBytes bytes, cut back to a whole UTF-8 character, and truncatedBytes = the number
 * of bytes dropped. An exception thrown by onLine propagates out of push()/end() and the rest of that
 * chunk is not split; the splitter itself stays consistent for the next push.
 */
export class LineSplitter {
  /** Bytes of the current line kept so far: only used when a line spans chunks. */
  private hold: Buffer = Buffer.alloc(0);
  private held = 0;
  /** Bytes of the current line beyond maxLineBytes, already discarded. */
  private dropped = 0;
  /** The current line's last byte, so a dropped "\r" before "\n" is not counted as content. */
  private lastByte = -1;
  private ended = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string, truncatedBytes: number) => void,
  ) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, not ${maxLineBytes}`);
    }
  }

  /** How many bytes of an unfinished line are held in memory; never more than maxLineBytes. */
  get bufferedBytes(): number {
    return this.held;
  }

  push(chunk: Buffer): void {
    if (this.ended) return;
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline < 0 ? chunk.length : newline;
      if (newline >= 0 && this.held === 0 && this.dropped === 0 && end - start <= this.maxLineBytes) {
        // The common case: a whole line inside one chunk, decoded straight from it without copying.
        this.emitWhole(chunk, start, end);
      } else {
        this.take(chunk, start, end);
        if (newline >= 0) this.emitHeld();
      }
      start = end + 1;
    }
  }

  /** Emits the last line if the stream did not end with a newline. Later pushes are ignored. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.held > 0 || this.dropped > 0) this.emitHeld();
  }

  private emitWhole(chunk: Buffer, start: number, end: number): void {
    const stop = end > start && chunk[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
    this.onLine(chunk.toString("utf8", start, stop), 0);
  }

  /** Adds bytes [start, end) of a chunk to the current line: kept while there is room, counted after. */
  private take(chunk: Buffer, start: number, end: number): void {
    if (end === start) return;
    this.lastByte = chunk[end - 1];
    const room = this.maxLineBytes - this.held;
    const kept = Math.min(room, end - start);
    if (kept > 0) {
      this.reserve(this.held + kept);
      chunk.copy(this.hold, this.held, start, start + kept);
      this.held += kept;
    }
    this.dropped += end - start - kept;
  }

  private reserve(bytes: number): void {
    if (bytes <= this.hold.length) return;
    let size = Math.max(this.hold.length, INITIAL_HOLD_BYTES);
    while (size < bytes) size *= 2;
    const grown = Buffer.allocUnsafe(Math.min(size, this.maxLineBytes));
    this.hold.copy(grown, 0, 0, this.held);
    this.hold = grown;
  }

  private emitHeld(): void {
    let length = this.held;
    let truncated = this.dropped;
    if (this.lastByte === CARRIAGE_RETURN) {
      // The "\r" of a "\r\n" ending is not content: strip it if kept, uncount it if dropped.
      if (truncated > 0) truncated -= 1;
      else length -= 1;
    }
    if (truncated > 0) {
      const cut = utf8Boundary(this.hold, length);
      truncated += length - cut;
      length = cut;
    }
    const line = this.hold.toString("utf8", 0, length);
    this.held = 0;
    this.dropped = 0;
    this.lastByte = -1;
    // A line that needed a big buffer does not keep it: memory returns to the small default.
    if (this.hold.length > INITIAL_HOLD_BYTES * 16) this.hold = Buffer.alloc(0);
    this.onLine(line, truncated);
  }
}

/** The largest length <= `length` that does not end inside a UTF-8 multi-byte character. */
function utf8Boundary(bytes: Buffer, length: number): number {
  let lead = length - 1;
  // Step back over at most 3 continuation bytes (10xxxxxx) to the start of the last character.
  while (lead >= 0 && length - lead <= 3 && (bytes[lead] & 0xc0) === 0x80) lead -= 1;
  if (lead < 0) return length;
  const first = bytes[lead];
  const size = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
  return lead + size > length ? lead : length;
}
