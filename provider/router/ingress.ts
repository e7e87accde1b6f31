import { STATUS_CODES } from "node:http";
import net from "node:net";
import type { Logger } from "../base/logger";
import { audienceHost, withSignatureRemoved, type AccessGate } from "../identity/access-gate";
import { parseHost, type HostTarget } from "../model/derived-names";
import type { RevisionThrottlers } from "../scaling/revision-throttlers";
import { NoCapacityError, RequestTimeoutError, type Endpoint, type Lease } from "../scaling/throttler";
import { frontEndTarget, isReservedPath, isUnservedMethod } from "./front-end-rules";
import { H1ProxyClient } from "./h1-proxy-client";
import { proxyToH2 } from "./h2-exchange";
import { H2Sessions, type StreamHandler } from "./h2-ingress";
import type { H2IngressStream } from "./h2-ingress-stream";
import { proxyH2ToH1 } from "./h2-to-h1-proxy";
import { IngressConnection, type ConnectionTimeouts, type RequestHandler } from "./ingress-connection";
import { IngressRequest } from "./ingress-request";
import type { RequestObserver } from "./request-observer";
import { proxyRequest, proxyUpgrade } from "./proxy";
import type { IngressCall } from "./proxy-client";
import { INSTANCE_STILL_THERE, type ProxyOutcome } from "./proxy-outcome";
import type { RouteResult, RoutingTable } from "./routing-table";
import { affinityCookie } from "./session-affinity";
import type { RequestHead } from "./forwarding";

/** Node's own server defaults: idle kept-alive connections close after 5 s, a head must arrive within 60 s. */
const TIMEOUTS: ConnectionTimeouts = { keepAliveMs: 5_000, headersMs: 60_000 };
const HOST_TARGETS_KEPT = 1_024;

/**
 * The data plane: Host → service (or tag, or mapped domain) → revision by the weighted pick → the
 * revision's throttler (wait for a free slot, scale from zero) → an instance.
 */
export class Ingress implements RequestHandler, StreamHandler {
  /**
   * A plain TCP server on loopback: each connection speaks HTTP/1.1 through
   * router/ingress-connection.ts, or HTTP/2 when it begins with HTTP/2's preface (h2-ingress.ts).
   */
  readonly server: net.Server;
  /**
   * The same ingress for the engine's own containers, listening on the Docker bridge address: a
   * service URL resolves there inside them. Requests that arrive here come from a container (an
   * internal service answers only these).
   */
  readonly bridgeServer: net.Server;
  private readonly connections = new Set<IngressConnection>();
  /** HTTP/2 sessions, one side per listener (those on the bridge come from containers). */
  private readonly h2 = { loopback: new H2Sessions(this, false), bridge: new H2Sessions(this, true) };
  private readonly sweeper: NodeJS.Timeout;
  private readonly hostTargets = new Map<string, HostTarget | undefined>();
  private opened = false;
  private readonly openWaiters: (() => void)[] = [];
  private observer: RequestObserver | undefined;

  constructor(
    private readonly routes: RoutingTable,
    private readonly throttlers: RevisionThrottlers,
    private readonly log: Logger,
    /** Client addresses whose own X-Forwarded-* headers are kept (a proxy in front of the engine); none by default. */
    private readonly trustedProxies: ReadonlySet<string> = new Set(),
    /** Checks private and internal services' callers; without it every service is public. */
    private readonly gate?: AccessGate,
    /** The project of the engine's container at an address on its network (internal services answer only their own project's). */
    private readonly projectAt?: (address: string) => Promise<string | undefined>,
  ) {
    this.server = this.createServer(false);
    this.bridgeServer = this.createServer(true);
    this.sweeper = setInterval(() => this.closeExpired(), 1_000).unref();
    this.server.once("close", () => clearInterval(this.sweeper));
  }

  private createServer(fromContainers: boolean): net.Server {
    // allowHalfOpen: a client that ends its side after its request still gets the answer.
    return net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      const connection = new IngressConnection(socket, this, fromContainers);
      this.connections.add(connection);
      socket.once("close", () => this.connections.delete(connection));
    });
  }

  /** Every client connection, at shutdown: idle keep-alive ones must not hold the engine open. */
  closeConnections(): void {
    for (const connection of this.connections) connection.socket.destroy();
    this.h2.loopback.closeAll();
    this.h2.bridge.closeAll();
  }

  private closeExpired(): void {
    const now = Date.now();
    for (const connection of this.connections) if (connection.expired(now, TIMEOUTS)) connection.socket.destroy();
  }

  request(request: IngressRequest): void {
    this.handleOwned(request);
  }

  /** A stream an HTTP/2 client opened: one request, exactly as an HTTP/1.1 one. */
  stream(call: H2IngressStream): void {
    this.handleOwned(call);
  }

  /** A connection that began with HTTP/2's preface: its socket is an HTTP/2 session from here on. */
  http2(socket: net.Socket, firstBytes: Buffer, fromContainer: boolean): void {
    (fromContainer ? this.h2.bridge : this.h2.loopback).accept(socket, firstBytes);
  }

  private handleOwned(call: IngressCall): void {
    // Each request is owned here: whatever goes wrong with one is its own 500, never the engine's end.
    this.handle(call).catch((error) => {
      this.log.error("BUG: a request failed unexpectedly", { host: call.head.host, error: (error as Error).stack });
      call.sendError(500, "internal error");
    });
  }

  bug(error: unknown): void {
    this.log.error("BUG: a client connection failed unexpectedly", { error: (error as Error).stack ?? String(error) });
  }

  upgrade(request: IngressRequest, socket: net.Socket, head: Buffer): void {
    this.upgradeTo(request, socket, head).catch((error) => {
      this.log.error("BUG: an upgrade failed unexpectedly", { host: request.head.host, error: (error as Error).stack });
      socket.destroy();
    });
  }

  /** Who is told of every routed request once its response is complete (request logs, metrics). */
  observeRequests(observer: RequestObserver): void {
    this.observer = observer;
  }

  /**
   * Requests that arrive before the engine has re-adopted its instances and published its routes
   * wait for this instead of getting a 404 for a service that is alive.
   */
  open(): void {
    this.opened = true;
    for (const resolve of this.openWaiters.splice(0)) resolve();
  }

  /** Callers ask only while not opened (an await of nothing would still cost a tick per request). */
  private untilOpen(): Promise<void> {
    return new Promise((resolve) => this.openWaiters.push(resolve));
  }

  private async handle(request: IngressCall): Promise<void> {
    if (!this.opened) await this.untilOpen();
    // An HTTP/2 head the router cannot route (no authority, CONNECT); HTTP/1.1's are refused by its connection.
    if (request.head.invalid) return request.sendError(400, request.head.invalid);
    // Cloud Run's front end decodes some escapes, then answers these itself (router/front-end-rules.ts): no instance, no request log.
    request.head.url = frontEndTarget(request.head.url);
    if (isReservedPath(request.head.url)) return request.sendError(404, reservedPathMessage(request.head.url));
    if (isUnservedMethod(request.head.method))
      return request.sendError(405, `${request.head.method} requests are not passed to a container on Cloud Run`);
    const host = request.head.host;
    const route = this.routes.route(this.hostTarget(host), host, request.head.rawHeaders);
    if (!route.ok) return request.sendError(route.status, route.message);
    if (this.observer) request.observe(this.observer, route);
    // Awaited only for an internal service's request from a container: a public one costs no tick.
    const internal = this.checksProject(request, route) ? await this.fromItsProject(request, route) : request.fromContainer;
    const denial = this.deny(request, route, internal);
    if (denial) return request.sendError(denial.status, denial.message, denial.challenge);
    const declared = request.head.contentLength;
    if (declared !== undefined && route.bodyLimitBytes !== undefined && declared > route.bodyLimitBytes) {
      // Refused before it queues or wakes an instance: the body could never reach it.
      return request.sendError(413, bodyTooLarge(declared, route.bodyLimitBytes));
    }
    const throttler = this.throttlers.get(route.project, route.revision);
    if (!throttler) return request.sendError(503, `revision ${route.revision} is not serving`);
    // The request timeout counts from here, as Cloud Run's does from the request's arrival: time spent
    // waiting for an instance (its startup, from zero) is part of it. Read only when it waits.
    let arrivedAt: number | undefined;
    // A request without a body that could not even connect (the instance just died) goes once more,
    // to another instance: it never reached the app.
    for (let attempt = 0; attempt < 2; attempt++) {
      let lease: Lease;
      let timeoutMs = route.timeoutMs;
      try {
        let granted = (route.stickyInstance !== undefined && throttler.tryAcquireOn(route.stickyInstance)) || throttler.tryAcquire();
        if (!granted) {
          arrivedAt ??= performance.now();
          granted = await throttler.acquire(route.timeoutMs - (performance.now() - arrivedAt));
        }
        lease = granted;
        if (arrivedAt !== undefined) timeoutMs = Math.max(1, Math.round(route.timeoutMs - (performance.now() - arrivedAt)));
      } catch (error) {
        if (error instanceof RequestTimeoutError) return request.sendError(504, `upstream request timeout: ${error.message}`);
        if (!(error instanceof NoCapacityError)) throw error;
        // Cloud Run's answers: 429 when every instance is busy at the maximum, else 500.
        return request.sendError(
          error.atMaxScale ? 429 : 500,
          error.atMaxScale ? `too many requests: ${error.message}` : `no available instance: ${error.message}`,
        );
      }
      request.instanceId = lease.endpoint.instanceId;
      if (route.affinity && lease.endpoint.instanceId !== route.stickyInstance) {
        request.affinityCookie = affinityCookie(route.revision, lease.endpoint.instanceId);
      }
      try {
        const retryable = attempt === 0 && !request.head.hasBody;
        const outcome = await this.forward(request, lease.endpoint, timeoutMs, retryable);
        if (outcome.failure && !INSTANCE_STILL_THERE.has(outcome.failure.kind)) {
          this.log.warn("upstream failed", {
            revision: route.revision,
            instance: lease.endpoint.instanceId,
            cause: outcome.failure.kind,
            detail: outcome.failure.detail,
            retried: outcome.retry === true,
          });
          // Out of routing at once; the instance controller finds out whether it died.
          this.throttlers.reportUnreachable(route.project, route.revision, lease.endpoint.instanceId);
        }
        if (!outcome.retry) return;
      } catch (error) {
        this.log.warn("proxy failed", { revision: route.revision, error: (error as Error).message });
        return request.sendError(502, "proxy error");
      } finally {
        lease.release();
      }
    }
  }

  /**
   * The request's trip in the protocols of its two ends: the instance speaks HTTP/2 when its
   * service declared http2, else HTTP/1.1, whichever HTTP the client speaks (translated between).
   */
  private forward(call: IngressCall, endpoint: Endpoint, timeoutMs: number, retryable: boolean): Promise<ProxyOutcome> {
    const trusts = this.trusts(call);
    if (call instanceof IngressRequest) {
      return endpoint.http2
        ? proxyToH2(new H1ProxyClient(call), endpoint, timeoutMs, trusts, retryable)
        : proxyRequest(call, endpoint, timeoutMs, trusts, retryable);
    }
    const stream = call as H2IngressStream;
    return endpoint.http2
      ? proxyToH2(stream, endpoint, timeoutMs, trusts, retryable)
      : proxyH2ToH1(stream, endpoint, timeoutMs, trusts, retryable);
  }

  private async upgradeTo(request: IngressRequest, socket: net.Socket, head: Buffer): Promise<void> {
    if (!this.opened) await this.untilOpen();
    request.head.url = frontEndTarget(request.head.url);
    const route = this.routes.route(this.hostTarget(request.head.host), request.head.host, request.head.rawHeaders);
    const throttler = route.ok ? this.throttlers.get(route.project, route.revision) : undefined;
    if (!route.ok || !throttler || isReservedPath(request.head.url)) {
      socket.end(`HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n`);
      return;
    }
    const internal = this.checksProject(request, route) ? await this.fromItsProject(request, route) : request.fromContainer;
    const denial = this.deny(request, route, internal);
    if (denial) {
      const challenge = denial.challenge === undefined ? "" : `www-authenticate: ${denial.challenge}\r\n`;
      socket.end(`HTTP/1.1 ${denial.status} ${STATUS_CODES[denial.status]}\r\nconnection: close\r\n${challenge}content-length: 0\r\n\r\n`);
      return;
    }
    let lease: Lease;
    const arrivedAt = performance.now();
    try {
      // A websocket after a polling start (socket.io) needs the instance that holds the session.
      lease =
        (route.stickyInstance !== undefined && throttler.tryAcquireOn(route.stickyInstance)) || (await throttler.acquire(route.timeoutMs));
    } catch (error) {
      const status =
        error instanceof RequestTimeoutError
          ? "504 Gateway Timeout"
          : error instanceof NoCapacityError && error.atMaxScale
            ? "429 Too Many Requests"
            : "500 Internal Server Error";
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`);
      return;
    }
    // A websocket counts as in flight while it is open: its lease is released when it closes. It is
    // a request like any other on Cloud Run: closed when the request timeout passes.
    const timeLeftMs = Math.max(1, Math.round(route.timeoutMs - (performance.now() - arrivedAt)));
    proxyUpgrade(request, socket, head, lease.endpoint, () => lease.release(), this.trusts(request), timeLeftMs);
  }

  /**
   * Why the caller may not call this service (private or internal), or undefined: a public service
   * costs one check. A private service's caller passes with a verified token, which the instance
   * then gets with its signature removed, as on Cloud Run (withSignatureRemoved).
   */
  private deny(request: IngressCall, route: Extract<RouteResult, { ok: true }>, internal: boolean) {
    const { access } = route;
    if (access.public && !access.internalOnly) return undefined;
    if (!this.gate) return undefined;
    const key = `${route.project}/${route.service}`;
    const at = credentialAt(request.head);
    const denial = this.gate.check(access, internal, at < 0 ? undefined : request.head.rawHeaders[at], key, (aud) => {
      const host = audienceHost(aud);
      if (host === undefined) return false;
      const named = this.routes.serviceOf(this.hostTarget(host));
      return named?.project === route.project && named.service === route.service;
    });
    if (denial === undefined && !access.public && at >= 0) {
      const raw = request.head.rawHeaders.slice();
      raw[at] = withSignatureRemoved(raw[at]);
      request.head.rawHeaders = raw;
    }
    return denial;
  }

  /**
   * Cloud Run's internal ingress takes requests from VPC networks of the service's own project, not
   * from another project's workloads; here, from the engine's containers of that project (a
   * project is a namespace no other sees). Only an internal service's request from a container
   * needs the caller's project: a look-up in the runtime's map of addresses.
   */
  private checksProject(request: IngressCall, route: Extract<RouteResult, { ok: true }>): boolean {
    return request.fromContainer && route.access.internalOnly && this.projectAt !== undefined;
  }

  private async fromItsProject(request: IngressCall, route: Extract<RouteResult, { ok: true }>): Promise<boolean> {
    return (await this.projectAt!(request.head.remoteAddress.replace(/^::ffff:/, ""))) === route.project;
  }

  /** parseHost, remembered: clients send the same few Host values over and over. */
  private hostTarget(host: string | undefined): HostTarget | undefined {
    if (host === undefined) return undefined;
    let target = this.hostTargets.get(host);
    if (target === undefined && !this.hostTargets.has(host)) {
      target = parseHost(host);
      // Bounded: a client making up hosts costs a re-parse, not memory.
      if (this.hostTargets.size >= HOST_TARGETS_KEPT) this.hostTargets.clear();
      this.hostTargets.set(host, target);
    }
    return target;
  }

  private trusts(request: IngressCall): boolean {
    if (this.trustedProxies.size === 0) return false;
    return this.trustedProxies.has(request.head.remoteAddress.replace(/^::ffff:/, ""));
  }
}

/** Why a reserved path gets 404 where the app could serve it. */
function reservedPathMessage(url: string): string {
  const path = url.split("?")[0];
  return `${path} is reserved by Cloud Run's front end, which answers it 404 without passing it to the container; serve it under another path (such as ${path === "/healthz" ? "/health" : `${path}/`})`;
}

/** Cloud Run's 413 for an HTTP/1 request over its size limit, saying how to lift it. */
function bodyTooLarge(declared: number, limit: number): string {
  const mib = limit / (1024 * 1024);
  return `the request body of ${declared} bytes is over the ${mib} MiB limit of a request to a service that is not HTTP/2 end to end (deploy it with --use-http2 to lift the limit)`;
}

/**
 * Where in the head's raw lines the token a private service's caller presents is (the index of its
 * value), or -1: Cloud Run checks X-Serverless-Authorization when it is there (so the app keeps
 * Authorization for its own users' credentials, as Google's cloud-run-proxy and IAP use it), else
 * the first Authorization. Read only for private and internal services.
 */
function credentialAt(head: RequestHead): number {
  const raw = head.rawHeaders;
  let authorization = -1;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === SERVERLESS_AUTHORIZATION.length && name.toLowerCase() === SERVERLESS_AUTHORIZATION) return i + 1;
    if (authorization < 0 && name.length === AUTHORIZATION.length && name.toLowerCase() === AUTHORIZATION) authorization = i + 1;
  }
  return authorization;
}

const SERVERLESS_AUTHORIZATION = "x-serverless-authorization";
const AUTHORIZATION = "authorization";
