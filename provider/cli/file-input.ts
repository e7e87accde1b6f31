import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { MAX_REQUEST_BODY_BYTES } from "../model/request-limits";
import { UsageError } from "./output";

/**
 * A file the user names whose content goes to the engine (a Service YAML, an env-vars file), as
 * text. One over the admin API's request limit could only be refused there: it is refused here,
 * from its size, and never read more than that limit (a 50 MB YAML used to be read and parsed whole
 * first: 15 s and 1.8 GB). `what` names it in errors: the flag, or FILE.
 */
export function readRequestFile(file: string, what: string): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    throw new UsageError(`${what}: cannot read "${file}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_REQUEST_BODY_BYTES) throw tooBig(file, what, `is ${size} bytes`);
    // Read up to one byte past the limit: a file that grows meanwhile (or reports no size) is caught too.
    const buffer = Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1);
    let length = 0;
    for (let got = 1; got > 0 && length < buffer.length; length += got) got = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > MAX_REQUEST_BODY_BYTES) throw tooBig(file, what, "is larger than that");
    return buffer.toString("utf8", 0, length);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${what}: cannot read "${file}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

function tooBig(file: string, what: string, size: string): UsageError {
  return new UsageError(`${what}: "${file}" ${size}; the engine takes at most ${MAX_REQUEST_BODY_BYTES} bytes (1 MiB) in a request`);
}
