import { linesAfter, normalizeTime } from "./log-time";
import type { LogLine } from "./log-store";
import { openLogStream, type LogEndpoint } from "./docker-log-stream";
import { FrameDemuxer } from "../base/frame-demuxer";
import { LineSplitter } from "../base/line-splitter";
import { joinDockerPieces } from "./docker-pieces";

/**
 * Longer lines are cut: one runaway line must not cost the engine memory or CPU. Cloud Logging takes
 * an entry of up to 256 KB, so a JSON line Cloud Run reads whole is read whole here too (with room
 * for the times Docker puts in every 16 KiB, docker-pieces.ts); a line is held only while it spans
 * chunks, in a buffer that grows as it needs to.
 */
export const MAX_LOG_LINE_BYTES = 256 * 1024 + 16 * 36;
/** A followed container's log stream silent this long is checked for lines Docker has but did not send. */
const FOLLOW_STALL_MS = 5_000;

/**
 * Containers' logs as Docker keeps them, read once (a tail, or from a time on) or followed, as
 * LogLines. Used by DockerRuntime, and by the log thread on its own (log-thread.ts), which then need
 * not load dockerode for the usual endpoints.
 */
export class DockerLogs {
  constructor(private readonly endpoint: LogEndpoint) {}

  /** Lines of the container's log as LogLines: demultiplexed, split, each cut at MAX_LOG_LINE_BYTES. */
  private lineReader(onLine: (line: LogLine) => void, accept: (time: string) => boolean): FrameDemuxer {
    const splitterFor = (stream: "stdout" | "stderr") =>
      new LineSplitter(MAX_LOG_LINE_BYTES, (line, truncated) => {
        const space = line.indexOf(" ");
        const time = line.slice(0, space);
        if (!accept(time)) return;
        const whole = joinDockerPieces(line.slice(space + 1));
        const text = truncated > 0 ? `${whole} [line cut: ${truncated} more bytes]` : whole;
        onLine({ time, stream, text });
      });
    return new FrameDemuxer({ stdout: splitterFor("stdout"), stderr: splitterFor("stderr") });
  }

  readLogs(containerId: string, options: { sinceSeconds?: number; tail?: number }, onLine: (line: LogLine) => void): Promise<void> {
    return new Promise((resolve) => {
      const demux = this.lineReader(onLine, () => true);
      openLogStream(
        this.endpoint,
        containerId,
        { since: options.sinceSeconds, tail: options.tail, follow: false },
        {
          data: (chunk) => demux.push(chunk),
          end: () => {
            demux.end();
            resolve();
          },
        },
      );
    });
  }

  followLogs(containerId: string, sinceSeconds: number, onLine: (line: LogLine) => void): () => void {
    let stopped = false;
    let closeStream: () => void = () => undefined;
    /** The time of the last whole line passed on (as Docker wrote it, normalised only when used), and when bytes last arrived. */
    let lastTime: string | undefined;
    let lastDataAt = Date.now();
    let generation = 0;
    const open = (since: number, after: string | undefined) => {
      const mine = ++generation;
      const isNew = linesAfter(after);
      const demux = this.lineReader(
        (line) => {
          lastTime = line.time;
          onLine(line);
        },
        (time) => !stopped && mine === generation && isNew(time),
      );
      closeStream = openLogStream(
        this.endpoint,
        containerId,
        { since, follow: true },
        {
          data: (chunk) => {
            lastDataAt = Date.now();
            demux.push(chunk);
          },
          end: () => demux.end(),
        },
      );
    };
    open(sinceSeconds, undefined);
    // Docker 20.10's json-file follower can stop delivering for good when the file it reads is
    // rotated away twice in quick succession (a flood, or one huge line): a follow that has been
    // silent for a while is checked against the log's last line, and reopened after the last line
    // passed on when Docker has newer ones.
    const watchdog = setInterval(() => {
      if (stopped || Date.now() - lastDataAt < FOLLOW_STALL_MS) return;
      lastDataAt = Date.now();
      void this.lastLogTime(containerId).then((newest) => {
        const last = lastTime === undefined ? undefined : normalizeTime(lastTime);
        if (stopped || newest === undefined || (last !== undefined && newest <= last)) return;
        closeStream();
        open(last ? Math.floor(Date.parse(last) / 1000) : sinceSeconds, last);
      });
    }, FOLLOW_STALL_MS);
    watchdog.unref();
    return () => {
      stopped = true;
      clearInterval(watchdog);
      closeStream();
    };
  }

  /** The (normalised) time of the newest line Docker has for the container; tail=1 reads only the end of its log. */
  private async lastLogTime(containerId: string): Promise<string | undefined> {
    let last: string | undefined;
    await this.readLogs(containerId, { tail: 1 }, (line) => (last = line.time));
    return last === undefined ? undefined : normalizeTime(last);
  }
}
