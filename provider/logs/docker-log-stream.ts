import type Docker from "dockerode";
import { connect, type NetConnectOpts, type Socket } from "node:net";

/**
 * Reading a container's log from Docker: once, up to its end (a read on demand), or followed.
 *
 * The log is requested as HTTP/1.0 on a socket of its own: Docker then sends its raw frame stream with
 * no chunked encoding, read here straight off the socket, where dockerode's stream would cost Node's
 * http client a chunk parse and a stream event per line (Docker writes each line as it comes).
 * Endpoints this cannot reach plainly (TLS, ssh, an agent, credentials, extra headers) fall back to
 * dockerode's stream.
 *
 * Reads are not paced (pausing the socket so several lines arrive per read): with Docker 20.10 a
 * follower that lags while Docker rotates its own log can lose or repeat lines, which pacing made
 * happen under load.
 */

/** A response head longer than this is not Docker's: give up on it. */
const MAX_HEAD_BYTES = 16 * 1024;

export interface LogStreamHandlers {
  /** Bytes of Docker's multiplexed stream, in order. */
  data(chunk: Buffer): void;
  /** The stream ended or broke (or was refused); called at most once, never after stop. */
  end(): void;
}

export interface LogStreamQuery {
  /** Lines from this second on (Docker's `since`). */
  since?: number;
  /** Only the last this many lines (Docker's `tail`). */
  tail?: number;
  /** Keep the stream open for new lines; otherwise it ends after the last line Docker has. */
  follow: boolean;
}

/** What of dockerode's modem this reads: where Docker listens and how it is spoken to. */
export interface Modem {
  socketPath?: unknown;
  host?: string;
  port?: number | string;
  protocol?: string;
  version?: string;
  username?: string;
  agent?: unknown;
  headers?: Record<string, string>;
  getSocketPath(): Promise<string> | undefined;
}

/**
 * Where Docker listens: its modem's settings (dockerode's, or read from DOCKER_HOST without loading
 * dockerode: see dockerEndpointFromEnvironment), and dockerode itself for endpoints this cannot
 * reach plainly, made only when needed.
 */
export interface LogEndpoint {
  modem?: Modem;
  docker(): Docker;
}

/**
 * Docker's endpoint as dockerode would find it (DOCKER_HOST, else the default socket), without
 * loading dockerode (a tenth of a second of a log thread's start): a unix socket or plain tcp is
 * read directly; anything else (ssh, TLS) goes through dockerode, loaded on first use.
 */
export function dockerEndpointFromEnvironment(env: NodeJS.ProcessEnv = process.env): LogEndpoint {
  let docker: Docker | undefined;

  const lazy = () => (docker ??= new (require("dockerode") as typeof Docker)());
  const host = env.DOCKER_HOST ?? "";
  const socket = (path: string): Modem => ({ socketPath: path, getSocketPath: () => Promise.resolve(path) });
  if (host === "") return { modem: socket("/var/run/docker.sock"), docker: lazy };
  if (host.startsWith("unix://")) return { modem: socket(host.slice("unix://".length)), docker: lazy };
  if (host.startsWith("tcp://") && !env.DOCKER_TLS_VERIFY && !env.DOCKER_CERT_PATH) {
    const url = new URL(`http://${host.slice("tcp://".length)}`);
    return {
      modem: { host: url.hostname, port: Number(url.port || 2375), protocol: "http", getSocketPath: () => undefined },
      docker: lazy,
    };
  }
  return { docker: lazy };
}

/** Reads (or follows) the container's stdout and stderr, with timestamps; returns a stop function. */
export function openLogStream(endpoint: LogEndpoint, containerId: string, query: LogStreamQuery, handlers: LogStreamHandlers): () => void {
  const modem = endpoint.modem;
  if (!modem) return throughDockerode(endpoint.docker(), containerId, query, handlers);
  const plain = !modem.username && !modem.agent && Object.keys(modem.headers ?? {}).length === 0;
  const params = `stdout=1&stderr=1&timestamps=1&follow=${query.follow ? 1 : 0}&since=${query.since ?? 0}${query.tail === undefined ? "" : `&tail=${query.tail}`}`;
  const path = `${modem.version ? `/${modem.version}` : ""}/containers/${encodeURIComponent(containerId)}/logs?${params}`;
  if (plain && modem.socketPath)
    return direct(
      modem.getSocketPath()!.then((socketPath) => ({ path: socketPath })),
      path,
      handlers,
    );
  if (plain && modem.host && modem.protocol === "http")
    return direct(Promise.resolve({ host: modem.host, port: Number(modem.port ?? 2375) }), path, handlers);
  return throughDockerode(endpoint.docker(), containerId, query, handlers);
}

function direct(address: Promise<NetConnectOpts>, path: string, handlers: LogStreamHandlers): () => void {
  let socket: Socket | undefined;
  let stopped = false;
  const close = () => socket?.destroy();
  const finish = () => {
    if (stopped) return;
    stopped = true;
    close();
    handlers.end();
  };
  /** The response head, until its blank line has arrived; after it the body is the frame stream. */
  let head: Buffer | undefined = Buffer.alloc(0);
  const receive = (chunk: Buffer) => {
    if (head) {
      head = Buffer.concat([head, chunk]);
      const blank = head.indexOf("\r\n\r\n");
      if (blank < 0) return void (head.length > MAX_HEAD_BYTES && finish());
      if (!/^HTTP\/1\.[01] 200 /.test(head.toString("latin1", 0, blank))) return finish();
      chunk = head.subarray(blank + 4);
      head = undefined;
    }
    if (chunk.length > 0) handlers.data(chunk);
  };
  address.then((to) => {
    if (stopped) return;
    socket = connect(to);
    socket.on("data", receive);
    // The socket is owned here: a broken log stream ends following, it never reaches the process.
    socket.on("end", finish);
    socket.on("error", finish);
    socket.on("close", finish);
    socket.write(`GET ${path} HTTP/1.0\r\nHost: docker\r\n\r\n`);
  }, finish);
  return () => {
    stopped = true;
    close();
  };
}

function throughDockerode(docker: Docker, containerId: string, query: LogStreamQuery, handlers: LogStreamHandlers): () => void {
  let stream: NodeJS.ReadableStream | undefined;
  let stopped = false;
  const destroy = () => (stream as unknown as { destroy?(): void } | undefined)?.destroy?.();
  const finish = () => {
    if (!stopped) handlers.end();
    stopped = true;
  };
  const options = {
    stdout: true,
    stderr: true,
    timestamps: true,
    since: query.since ?? 0,
    ...(query.tail === undefined ? {} : { tail: query.tail }),
  };
  const container = docker.getContainer(containerId);
  const opening = query.follow
    ? container.logs({ ...options, follow: true })
    : streamOfBuffer(container.logs({ ...options, follow: false }));
  opening.then((opened) => {
    stream = opened;
    if (stopped) return destroy();
    stream.on("data", (chunk: Buffer) => stopped || handlers.data(chunk));
    stream.on("end", finish);
    stream.on("error", finish);
  }, finish);
  return () => {
    stopped = true;
    destroy();
  };
}

/** dockerode answers a log read that does not follow with one Buffer: passed on as a stream of one chunk. */
async function streamOfBuffer(read: Promise<Buffer>): Promise<NodeJS.ReadableStream> {
  const { Readable } = await import("node:stream");
  return Readable.from([await read]);
}
