import { promises as fs } from "node:fs";

const NEWLINE = 0x0a;
/** Files are read backwards in pieces this big. */
const READ_CHUNK_BYTES = 64 * 1024;
const ignore = () => undefined;

/**
 * Calls onLine for each non-empty line of the file, newest first, until it returns false, the file's
 * start, or `budget` bytes read. Returns the bytes read.
 */
export async function readLinesBackwards(path: string, budget: number, onLine: (line: string) => boolean): Promise<number> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  try {
    let position = (await handle.stat()).size;
    let bytesRead = 0;
    const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, Math.max(position, 1)));
    // Pieces of a line that spans chunks, newest piece first; copied because `chunk` is reused.
    let pieces: Buffer[] = [];
    const lineFrom = (start: Buffer) => (pieces.length === 0 ? start : Buffer.concat([start, ...pieces.reverse()]));
    while (position > 0 && bytesRead < budget) {
      const length = Math.min(chunk.length, position, budget - bytesRead);
      position -= length;
      const { bytesRead: got } = await handle.read(chunk, 0, length, position);
      bytesRead += got;
      if (got < length) return bytesRead; // the file shrank under us: stop rather than misalign
      let end = got;
      while (end > 0) {
        const newline = chunk.lastIndexOf(NEWLINE, end - 1);
        if (newline < 0) break;
        const line = lineFrom(chunk.subarray(newline + 1, end));
        pieces = [];
        end = newline;
        if (line.length > 0 && !onLine(line.toString("utf8"))) return bytesRead;
      }
      if (end > 0) pieces.push(Buffer.from(chunk.subarray(0, end)));
    }
    // At the start of the file the last pieces are its first line; cut off by the budget, they are not.
    if (position === 0 && pieces.length > 0) {
      const line = lineFrom(Buffer.alloc(0));
      if (line.length > 0) onLine(line.toString("utf8"));
    }
    return bytesRead;
  } finally {
    await handle.close().catch(ignore);
  }
}
