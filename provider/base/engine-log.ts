import { closeSync, fstatSync, openSync, renameSync, statSync, writeSync } from "node:fs";

/** engine.log and engine.log.1 together hold at most this much. */
export const ENGINE_LOG_CAP_BYTES = 16 * 1024 * 1024;

/**
 * Where the daemon's own lines go when it runs detached: engine.log, rotated like the services'
 * logs (before a line would take it past half the cap it becomes engine.log.1, replacing the one
 * before), so an engine that runs for months keeps a bounded log. Writes are synchronous, as a
 * write to stdout's file is, so the last lines before a kill -9 are on disk. The file the launcher
 * gave the process as stdout and stderr keeps only what Node itself prints (a fatal crash); after a
 * rotation that is engine.log.1.
 */
export function rotatingEngineLog(path: string, capBytes = ENGINE_LOG_CAP_BYTES): (line: string) => void {
  let fd = openSync(path, "a");
  let size = fstatSync(fd).size;
  return (line) => {
    const bytes = Buffer.byteLength(line);
    if (size > 0 && size + bytes > capBytes / 2) {
      try {
        closeSync(fd);
        renameSync(path, `${path}.1`);
      } catch {
        // Cannot rotate (the folder went read-only?): keep appending where it can.
      }
      fd = openSync(path, "a");
      size = fstatSync(fd).size;
    }
    try {
      writeSync(fd, line);
      size += bytes;
    } catch {
      // A full disk drops the line; the engine keeps serving.
    }
  };
}

/** Is this process's stdout the file at `path` (the launcher started it detached, writing there)? */
export function stdoutIsFile(path: string): boolean {
  try {
    const out = fstatSync(1);
    const file = statSync(path);
    return out.isFile() && out.ino === file.ino && out.dev === file.dev;
  } catch {
    return false;
  }
}
