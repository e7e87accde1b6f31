import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { traceOf } from "../../provider/router/forwarding";
import { Ingress } from "../../provider/router/ingress";
import type { CompletedRequest } from "../../provider/router/request-observer";
import { RoutingTable } from "../../provider/router/routing-table";
import { RevisionThrottlers } from "../../provider/scaling/revision-throttlers";
import { RecordingLogger } from "./instance-harness";
import { routeToLoopbackInstance } from "./loopback-route";

/**
 * The data plane without Docker, for HTTP/2: the real Ingress, routing table, throttlers and
 * proxies in front of instances that are plain Node servers on loopback (an h2c `http2` server, or
 * an `http` one), one per service of project `default`. Tests speak to it with Node's http2 client
 * (prior knowledge) or HTTP/1.1, and see what each instance received.
 */

export interface InstanceSpec {
  /** The instance speaks h2c (its service declared http2); else HTTP/1.1. */
  http2: boolean;
  /** For an h2c instance. */
  onStream?: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[]) => void;
  /** For an HTTP/1.1 instance. */
  onRequest?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  concurrency?: number;
  timeoutMs?: number;
}

/** What the request observer was told of one request (copied: the request object is the ingress's). */
export interface Observed {
  service: string;
  url: string;
  protocol: string;
  status: number;
  instanceId: string | undefined;
  requestBodyBytes: number;
  responseBytes: number;
  cut: boolean;
  traceId: string;
}

export interface H2Harness {
  port: number;
  logger: RecordingLogger;
  /** Every request the ingress reported to its request observer, in order. */
  observed: Observed[];
  /** The instance servers by service (to close them under the router, or see their sessions). */
  instance(service: string): http2.Http2Server | http.Server;
  /** A prior-knowledge HTTP/2 session to the ingress. */
  connect(): http2.ClientHttp2Session;
  close(): Promise<void>;
}

export async function h2Harness(services: Record<string, InstanceSpec>): Promise<H2Harness> {
  const routes = new RoutingTable();
  const throttlers = new RevisionThrottlers();
  // As the instance controller does when the container still runs: back into routing at once.
  throttlers.onUnreachable((project, revision, instanceId) => throttlers.get(project, revision)?.resume(instanceId));
  const servers = new Map<string, http2.Http2Server | http.Server>();
  const sockets = new Set<net.Socket>();
  for (const [service, spec] of Object.entries(services)) {
    let server: http2.Http2Server | http.Server;
    if (spec.http2) {
      const h2 = http2.createServer();
      h2.on("stream", (stream, headers, _flags, rawHeaders) => {
        stream.on("error", () => undefined);
        spec.onStream?.(stream, headers, rawHeaders);
      });
      h2.on("sessionError", () => undefined);
      server = h2;
    } else {
      server = http.createServer((req, res) => spec.onRequest?.(req, res));
    }
    server.on("connection", (socket: net.Socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.set(service, server);
    routeToLoopbackInstance(routes, throttlers, service, {
      port: (server.address() as AddressInfo).port,
      concurrency: spec.concurrency,
      timeoutMs: spec.timeoutMs,
      http2: spec.http2,
    });
  }
  const logger = new RecordingLogger(() => Date.now());
  const ingress = new Ingress(routes, throttlers, logger);
  const observed: Observed[] = [];
  ingress.observeRequests({
    completed: (r: CompletedRequest) =>
      observed.push({
        service: r.servedBy.service,
        url: r.head.url,
        protocol: r.protocol,
        status: r.status,
        instanceId: r.instanceId,
        requestBodyBytes: r.requestBodyBytes,
        responseBytes: r.responseBytes,
        cut: r.cut,
        traceId: traceOf(r.head).traceId,
      }),
  });
  ingress.open();
  await new Promise<void>((resolve) => ingress.server.listen(0, "127.0.0.1", resolve));
  const port = (ingress.server.address() as AddressInfo).port;
  const clients = new Set<http2.ClientHttp2Session>();
  return {
    port,
    logger,
    observed,
    instance: (service) => servers.get(service)!,
    connect: () => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on("error", () => undefined);
      clients.add(session);
      return session;
    },
    close: async () => {
      for (const session of clients) session.destroy();
      ingress.closeConnections();
      await new Promise((resolve) => ingress.server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await Promise.all([...servers.values()].map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

/** One request on a session: status, headers, body, trailers, and how the stream ended. */
export interface H2Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
  trailers: http2.IncomingHttpHeaders | undefined;
  /** RST_STREAM code when the stream was reset (0: ended normally). */
  rstCode: number;
  error?: string;
}

export function h2Request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: string | Buffer,
): Promise<H2Answer> {
  return new Promise((resolve) => {
    const stream = session.request({ ":authority": "svc.localhost", ...headers }, { endStream: body === undefined });
    const answer: H2Answer = { status: 0, headers: {}, body: "", trailers: undefined, rstCode: 0 };
    stream.on("response", (h) => {
      answer.status = Number(h[":status"]);
      answer.headers = h;
    });
    stream.on("trailers", (t) => (answer.trailers = t));
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (answer.body += chunk));
    stream.on("error", (error: NodeJS.ErrnoException) => (answer.error = error.code ?? error.message));
    stream.on("close", () => {
      answer.rstCode = stream.rstCode ?? 0;
      resolve(answer);
    });
    if (body !== undefined) stream.end(body);
  });
}
