import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { InProcessLogs, type LogReadOptions, type LogSource } from "./container-logs";
import type { LogEncoding } from "./log-read";
import { DockerLogs } from "./docker-logs";
import { dockerEndpointFromEnvironment } from "./docker-log-stream";
import { LogStore, type LogRecord } from "./log-store";

/**
 * The log thread: reads containers' output from Docker on demand, collects it into services' logs,
 * splits, caps and writes it (InProcessLogs), follows it live for `logs tail`, and answers reads, so
 * none of that work runs on the daemon's event loop. Messages are the protocol of threaded-logs.ts.
 */

export interface LogWorkerData {
  dir: string;
  capBytes: number;
}

export type ToWorker =
  | { op: "attach"; containerId: string; source: LogSource; after?: string }
  | { op: "detach"; containerId: string }
  | { op: "collect"; req: number; containerId: string }
  | { op: "append"; project: string; service: string; record: LogRecord }
  | { op: "appendKept"; project: string; service: string; block: Uint8Array }
  | { op: "read"; req: number; project: string; service: string; options: LogReadOptions & { encoding: LogEncoding } }
  /** The daemon has written a piece of the read `req`; "stop": its reader went away. */
  | { op: "written" | "stop"; req: number }
  | { op: "lastTimeOf"; req: number; project: string; service: string; instance: string }
  | { op: "remove"; req: number; project: string; service: string }
  | { op: "subscribe" | "unsubscribe"; project: string; service: string }
  | { op: "close"; req: number };

export type FromWorker =
  | { op: "reply"; req: number; result?: unknown; error?: string }
  /** A piece of the read `req` (its bytes are transferred, not copied). */
  | { op: "piece"; req: number; piece: Uint8Array }
  | { op: "lines"; project: string; service: string; records: LogRecord[]; dropped: number }
  | { op: "error"; message: string };

/** Live lines sent to the daemon per service per turn at most; the rest are counted as dropped. */
const MAX_LIVE_LINES_PER_TURN = 2000;
/** Pieces of one read sent and not yet written by the daemon, at most: a slow reader holds the read here. */
const PIECES_IN_FLIGHT = 2;

/** A read's pieces on their way to the daemon: at most PIECES_IN_FLIGHT unwritten, and none once its reader is gone. */
class PieceFlow {
  private inFlight = 0;
  private stopped = false;
  private waiter?: { resolve: () => void; reject: (error: Error) => void };

  constructor(
    private readonly req: number,
    private readonly port: MessagePort,
  ) {}

  async send(piece: Uint8Array): Promise<void> {
    if (this.stopped) throw new Error("the reader went away");
    // Transferred: the daemon's thread takes the bytes over without a copy.
    const owned = piece.byteOffset === 0 && piece.byteLength === piece.buffer.byteLength ? piece : piece.slice();
    this.port.postMessage({ op: "piece", req: this.req, piece: owned } satisfies FromWorker, [owned.buffer as ArrayBuffer]);
    this.inFlight += 1;
    if (this.inFlight >= PIECES_IN_FLIGHT) await new Promise<void>((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  written(): void {
    this.inFlight -= 1;
    this.waiter?.resolve();
    this.waiter = undefined;
  }

  stop(): void {
    this.stopped = true;
    this.waiter?.reject(new Error("the reader went away"));
    this.waiter = undefined;
  }
}

if (parentPort) {
  const port = parentPort;
  const data = workerData as LogWorkerData;
  const send = (message: FromWorker) => port.postMessage(message);
  const store = new LogStore(data.dir, data.capBytes, (error) => send({ op: "error", message: error.message }));
  const logs = new InProcessLogs(new DockerLogs(dockerEndpointFromEnvironment()), store, (error) =>
    send({ op: "error", message: error.message }),
  );
  const attached = new Map<string, () => void>();
  const reads = new Map<number, PieceFlow>();
  const subscriptions = new Map<string, () => void>();
  const batches = new Map<string, { project: string; service: string; records: LogRecord[]; dropped: number }>();
  let flushScheduled = false;

  const flush = () => {
    flushScheduled = false;
    for (const batch of batches.values()) send({ op: "lines", ...batch });
    batches.clear();
  };

  const reply = (req: number, work: Promise<unknown>) =>
    work.then(
      (result) => send({ op: "reply", req, result }),
      (error: unknown) => send({ op: "reply", req, error: error instanceof Error ? error.message : String(error) }),
    );

  port.on("message", (message: ToWorker) => {
    switch (message.op) {
      case "attach":
        attached.set(message.containerId, logs.attach(message.containerId, message.source, message.after));
        break;
      case "detach":
        attached.get(message.containerId)?.();
        attached.delete(message.containerId);
        break;
      case "collect": {
        const { containerId } = message;
        void reply(
          message.req,
          logs.collect(containerId).finally(() => attached.delete(containerId)),
        );
        break;
      }
      case "append":
        logs.append(message.project, message.service, message.record);
        break;
      case "appendKept":
        // Transferred or cloned on its way here: the block is this thread's own.
        logs.handOverKept(message.project, message.service, message.block);
        break;
      case "read": {
        const { req } = message;
        const flow = new PieceFlow(req, port);
        reads.set(req, flow);
        void reply(
          req,
          logs.readInto(message.project, message.service, message.options, (piece) => flow.send(piece)).finally(() => reads.delete(req)),
        );
        break;
      }
      case "written":
        reads.get(message.req)?.written();
        break;
      case "stop":
        reads.get(message.req)?.stop();
        break;
      case "lastTimeOf":
        void reply(message.req, logs.lastTimeOf(message.project, message.service, message.instance));
        break;
      case "remove":
        void reply(message.req, logs.remove(message.project, message.service));
        break;
      case "subscribe": {
        const key = `${message.project}/${message.service}`;
        if (subscriptions.has(key)) break;
        const { project, service } = message;
        subscriptions.set(
          key,
          logs.subscribe(project, service, (record) => {
            let batch = batches.get(key);
            if (!batch) batches.set(key, (batch = { project, service, records: [], dropped: 0 }));
            if (batch.records.length < MAX_LIVE_LINES_PER_TURN) batch.records.push(record);
            else batch.dropped += 1;
            if (!flushScheduled) {
              flushScheduled = true;
              setImmediate(flush);
            }
          }),
        );
        break;
      }
      case "unsubscribe": {
        const key = `${message.project}/${message.service}`;
        subscriptions.get(key)?.();
        subscriptions.delete(key);
        break;
      }
      case "close":
        for (const detach of attached.values()) detach();
        attached.clear();
        void reply(message.req, logs.close());
        break;
    }
  });
}
