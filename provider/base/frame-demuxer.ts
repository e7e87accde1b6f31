import type { LineSplitter } from "./line-splitter";

/** Where a stream's payload goes: a LineSplitter, or anything that takes its bytes the same way. */
type Sink = Pick<LineSplitter, "push" | "end">;

const HEADER_BYTES = 8;
const STDERR = 2;

/**
 * Docker's multiplexed stream: each frame is an 8-byte header (stream 1 = stdout, 2 = stderr; then
 * the payload size, big-endian) and its payload. Frames are split into lines per stream. Headers are
 * read in place; only one cut across chunks is copied, into a buffer of its own, until complete.
 */
export class FrameDemuxer {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerBytes = 0;
  private remaining = 0;
  private target: Sink | undefined;

  constructor(private readonly streams: { stdout: Sink; stderr: Sink }) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - offset);
        this.target?.push(chunk.subarray(offset, offset + take));
        offset += take;
        this.remaining -= take;
      } else if (this.headerBytes === 0 && chunk.length - offset >= HEADER_BYTES) {
        this.startFrame(chunk, offset);
        offset += HEADER_BYTES;
      } else {
        const copied = chunk.copy(this.header, this.headerBytes, offset, offset + HEADER_BYTES - this.headerBytes);
        this.headerBytes += copied;
        offset += copied;
        if (this.headerBytes < HEADER_BYTES) return;
        this.headerBytes = 0;
        this.startFrame(this.header, 0);
      }
    }
  }

  end(): void {
    this.streams.stdout.end();
    this.streams.stderr.end();
  }

  private startFrame(bytes: Buffer, at: number): void {
    this.target = bytes[at] === STDERR ? this.streams.stderr : this.streams.stdout;
    this.remaining = bytes.readUInt32BE(at + 4);
  }
}

/** A whole multiplexed log (a non-following read) as text; a buffer without frames is taken as plain text. */
export function demuxBuffer(buffer: Buffer): string {
  let out = "";
  let offset = 0;
  while (offset + HEADER_BYTES <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    out += buffer.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + size).toString("utf8");
    offset += HEADER_BYTES + size;
  }
  return offset === 0 && buffer.length ? buffer.toString("utf8") : out;
}
