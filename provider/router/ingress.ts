import http from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "../base/logger";
import { parseHost } from "../model/derived-names";
import type { RevisionThrottlers } from "../scaling/revision-throttlers";
import { NoCapacityError, type Lease } from "../scaling/throttler";
import { hasBody, proxyRequest, proxyUpgrade, sendError } from "./proxy";
import type { RoutingTable } from "./routing-table";

/**
 * The data plane: Host → service (or tag, or mapped domain) → revision by the weighted pick → the
 * revision's throttler (wait for a free slot, scale from zero) → an instance.
 */
export class Ingress {
  readonly server: http.Server;
  private opened = false;
  private readonly openWaiters: (() => void)[] = [];

  constructor(
    private readonly routes: RoutingTable,
    private readonly throttlers: RevisionThrottlers,
    private readonly log: Logger,
    /** Client addresses whose own X-Forwarded-* headers are kept (a proxy in front of the engine); none by default. */
    private readonly trustedProxies: ReadonlySet<string> = new Set(),
  ) {
    // Each request is owned here: whatever goes wrong with one is its own 500, never the engine's end.
    this.server = http.createServer((req, res) =>
      this.handle(req, res).catch((error) => {
        this.log.error("BUG: a request failed unexpectedly", { host: req.headers.host, error: (error as Error).stack });
        sendError(res, 500, "internal error");
      }),
    );
    this.server.on("upgrade", (req, socket, head) =>
      this.upgrade(req, socket, head).catch((error) => {
        this.log.error("BUG: an upgrade failed unexpectedly", { host: req.headers.host, error: (error as Error).stack });
        socket.destroy();
      }),
    );
    // A client's broken connection is that client's business.
    this.server.on("clientError", (_error, socket) => socket.destroy());
    // Idle keep-alive connections from clients must not hold the engine open on shutdown.
    this.server.keepAliveTimeout = 5_000;
    this.server.headersTimeout = 60_000;
    this.server.requestTimeout = 0;
  }

  /**
   * Requests that arrive before the engine has re-adopted its instances and published its routes
   * wait for this instead of getting a 404 for a service that is alive.
   */
  open(): void {
    this.opened = true;
    for (const resolve of this.openWaiters.splice(0)) resolve();
  }

  private untilOpen(): Promise<void> | undefined {
    if (this.opened) return undefined;
    return new Promise((resolve) => this.openWaiters.push(resolve));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    await this.untilOpen();
    const route = this.routes.route(parseHost(req.headers.host), req.headers.host);
    if (!route.ok) return sendError(res, route.status, route.message);
    const throttler = this.throttlers.get(route.project, route.revision);
    if (!throttler) return sendError(res, 503, `revision ${route.revision} is not serving`);
    // A request without a body that could not even connect (the instance just died) goes once more,
    // to another instance: it never reached the app.
    for (let attempt = 0; attempt < 2; attempt++) {
      let lease: Lease;
      try {
        lease = await throttler.acquire();
      } catch (error) {
        if (!(error instanceof NoCapacityError)) throw error;
        // Cloud Run's answers: 429 when every instance is busy at the maximum, else 500.
        return sendError(res, error.atMaxScale ? 429 : 500, error.atMaxScale ? `too many requests: ${error.message}` : `no available instance: ${error.message}`);
      }
      try {
        const retryable = attempt === 0 && !hasBody(req);
        const outcome = await proxyRequest(req, res, lease.endpoint, route.timeoutMs, this.trusts(req), retryable);
        if (outcome.failure && outcome.failure.kind !== "timeout") {
          this.log.warn("upstream failed", { revision: route.revision, instance: lease.endpoint.instanceId, cause: outcome.failure.kind, detail: outcome.failure.detail, retried: outcome.retry === true });
          // Out of routing at once; the instance controller finds out whether it died.
          this.throttlers.reportUnreachable(route.project, route.revision, lease.endpoint.instanceId);
        }
        if (!outcome.retry) return;
      } catch (error) {
        this.log.warn("proxy failed", { revision: route.revision, error: (error as Error).message });
        return sendError(res, 502, "proxy error");
      } finally {
        lease.release();
      }
    }
  }

  private async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on("error", () => undefined); // owned here until handed to the proxy
    await this.untilOpen();
    const route = this.routes.route(parseHost(req.headers.host), req.headers.host);
    const throttler = route.ok ? this.throttlers.get(route.project, route.revision) : undefined;
    if (!route.ok || !throttler) {
      socket.end(`HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n`);
      return;
    }
    let lease: Lease;
    try {
      lease = await throttler.acquire();
    } catch (error) {
      const status = error instanceof NoCapacityError && error.atMaxScale ? "429 Too Many Requests" : "500 Internal Server Error";
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`);
      return;
    }
    // A websocket counts as in flight while it is open: its lease is released when it closes.
    proxyUpgrade(req, socket, head, lease.endpoint, () => lease.release(), this.trusts(req));
  }

  private trusts(req: http.IncomingMessage): boolean {
    if (this.trustedProxies.size === 0) return false;
    const address = (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    return this.trustedProxies.has(address);
  }
}
