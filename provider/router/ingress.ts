import http from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "../base/logger";
import { parseHost } from "../model/derived-names";
import { NoInstanceError, RevisionHandler } from "../scaling/revision-handler";
import { proxyRequest, proxyUpgrade, sendError } from "./proxy";
import type { RoutingTable } from "./routing-table";

export type HandlerLookup = (project: string, revision: string) => RevisionHandler | undefined;

/**
 * The data plane: Host → service (or tag, or mapped domain) → revision by the weighted pick →
 * the revision's handler → an instance on loopback.
 */
export class Ingress {
  readonly server: http.Server;

  constructor(
    private readonly routes: RoutingTable,
    private readonly handlerFor: HandlerLookup,
    private readonly log: Logger,
  ) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on("upgrade", (req, socket, head) => void this.upgrade(req, socket, head));
    // Idle keep-alive connections from clients must not hold the engine open on shutdown.
    this.server.keepAliveTimeout = 5_000;
    this.server.headersTimeout = 60_000;
    this.server.requestTimeout = 0;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const route = this.routes.route(parseHost(req.headers.host), req.headers.host);
    if (!route.ok) return sendError(res, route.status, route.message);
    const handler = this.handlerFor(route.project, route.revision);
    if (!handler) return sendError(res, 503, `revision ${route.revision} is not serving`);
    let lease;
    try {
      lease = await handler.acquire();
    } catch (error) {
      if (error instanceof NoInstanceError) return sendError(res, 500, `no available instance: ${error.message}`);
      throw error;
    }
    try {
      await proxyRequest(req, res, lease.endpoint.hostPort, route.timeoutMs);
    } catch (error) {
      this.log.warn("proxy failed", { revision: route.revision, error: (error as Error).message });
      sendError(res, 502, "proxy error");
    } finally {
      lease.release();
    }
  }

  private async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const route = this.routes.route(parseHost(req.headers.host), req.headers.host);
    const handler = route.ok ? this.handlerFor(route.project, route.revision) : undefined;
    if (!route.ok || !handler) {
      socket.end(`HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n`);
      return;
    }
    try {
      const lease = await handler.acquire();
      proxyUpgrade(req, socket, head, lease.endpoint.hostPort, () => lease.release());
    } catch {
      socket.end(`HTTP/1.1 500 Internal Server Error\r\nconnection: close\r\n\r\n`);
    }
  }
}
