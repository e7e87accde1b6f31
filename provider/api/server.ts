import http from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { Logger } from "../base/logger";
import { RpcError } from "../cloudrun-v2/rpc-status";
import { invalid, SkiffError } from "../model/errors";
import { internalError, readJson, sendJson, sendSkiffError } from "./http-util";

export interface RequestContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  req: http.IncomingMessage;
  res: http.ServerResponse;
}

/** A route answers with a JSON body (status 200), or writes the response itself and answers undefined. */
export type RouteHandler = (ctx: RequestContext) => unknown;

export interface Route {
  method: string;
  pattern: RegExp;
  handler: RouteHandler;
}

/** `/v1/projects/:project/services/:service` → a RegExp with named groups. */
export function route(method: string, path: string, handler: RouteHandler): Route {
  const source = path.replace(/:([a-zA-Z]+)/g, (_, name: string) => `(?<${name}>[^/]+)`);
  return { method, pattern: new RegExp(`^${source}$`), handler };
}

/**
 * Another API on the same port, under paths of its own (Google's Cloud Run APIs under /v2/ and
 * /apis/): its own routes, its own error shape, and, when the engine allows it, any bearer token.
 */
export interface ApiSurface {
  owns(path: string): boolean;
  routes: Route[];
  /**
   * Any bearer token from a loopback client is taken besides the engine's (`engine start
   * --api-allow-any-token`), for clients that can only send Google credentials. Never no token.
   */
  anyBearerFromLoopback: boolean;
  /** Writes an error in this API's shape: a SkiffError, or anything else as an internal error. */
  sendError(res: http.ServerResponse, error: unknown): void;
}

/**
 * The admin API: 127.0.0.1 only, and a bearer token on every request, checked before anything
 * else (a request without it changes nothing and learns nothing, not even whether a path exists).
 * The only exceptions are `publicPaths`, exact paths that serve what is public anyway (a JWKS), and
 * what `first` answers (the console, with its own session check: api/console.ts).
 */
export function createApiServer(
  routes: Route[],
  token: string,
  log: Logger,
  publicPaths: ReadonlyMap<string, () => unknown> = new Map(),
  surfaces: readonly ApiSurface[] = [],
  first?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean,
): http.Server {
  const expected = Buffer.from(`Bearer ${token}`);
  const adminSurface: ApiSurface = {
    owns: () => true,
    routes,
    anyBearerFromLoopback: false,
    sendError: (res, error) =>
      error instanceof SkiffError ? sendSkiffError(res, error) : sendJson(res, 500, internalError((error as Error).message)),
  };
  const server = http.createServer((req, res) =>
    serve(req, res).catch((error) => {
      log.error("BUG: an admin API request failed unexpectedly", { method: req.method, path: req.url, error: (error as Error).stack });
      if (!res.headersSent) sendJson(res, 500, internalError((error as Error).message));
      else res.destroy();
    }),
  );
  server.on("clientError", (_error, socket) => socket.destroy());
  return server;

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const target = originForm(req.url);
    // What anyone may read (the public keys identity tokens verify with), and nothing else.
    const open = req.method === "GET" ? publicPaths.get(target) : undefined;
    if (open) return sendJson(res, 200, open());
    if (first?.(req, res)) return;
    const rawPath = target.split(/[?#]/, 1)[0];
    const surface = surfaces.find((s) => s.owns(rawPath)) ?? adminSurface;
    if (!authorized(req, surface)) {
      res.setHeader("www-authenticate", "Bearer");
      return surface.sendError(res, new SkiffError("UNAUTHENTICATED", "missing or wrong bearer token; the token is in SKIFF_HOME/token"));
    }
    let url: URL;
    try {
      url = new URL(target, "http://127.0.0.1");
    } catch {
      return surface.sendError(res, invalid("path", `"${target}" is not a valid request path`));
    }
    // Routes match the path as sent: WHATWG URL parsing resolves "..", "." and their %2e spellings,
    // which would let /v1/projects/default/services/%2e%2e/%2e%2e/other/... act on project "other".
    const dotSegment = rawPath.split("/").find((segment) => /^(?:\.|%2e){1,2}$/i.test(segment));
    if (dotSegment !== undefined) {
      return surface.sendError(res, invalid("path", `"${dotSegment}" segments are not allowed in API paths; %-encode names`));
    }
    let matchedPath = false;
    for (const r of surface.routes) {
      const match = r.pattern.exec(rawPath);
      if (!match) continue;
      matchedPath = true;
      if (r.method !== req.method) continue;
      try {
        const body = req.method === "GET" || req.method === "DELETE" ? undefined : await readJson(req);
        const params = decodeParams(match.groups ?? {});
        const answer = await r.handler({ params, query: url.searchParams, body, req, res });
        if (answer !== undefined && !res.headersSent) sendJson(res, 200, answer);
      } catch (error) {
        if (!isExpected(error))
          log.error("admin API handler failed", { method: req.method, path: url.pathname, error: (error as Error).stack });
        if (!res.headersSent) surface.sendError(res, error);
      }
      return;
    }
    if (surface !== adminSurface) {
      const what = matchedPath ? "method not allowed" : "no such API path";
      return surface.sendError(res, new SkiffError("NOT_FOUND", `${what}: ${req.method} ${rawPath}`));
    }
    const code = matchedPath ? 405 : 404;
    sendJson(res, code, {
      error: {
        code: matchedPath ? "INVALID_ARGUMENT" : "NOT_FOUND",
        message: `${matchedPath ? "method not allowed" : "no such API path"}: ${req.method} ${rawPath}`,
        violations: [],
      },
    });
  }

  /** The engine's token; or, where the surface allows it, any bearer token from loopback. */
  function authorized(req: http.IncomingMessage, surface: ApiSurface): boolean {
    const given = Buffer.from(req.headers.authorization ?? "");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
    return surface.anyBearerFromLoopback && /^Bearer \S+$/.test(req.headers.authorization ?? "") && isLoopback(req.socket.remoteAddress);
  }
}

/**
 * The request target as a path: an absolute-form target (`GET http://host:port/path`, what a
 * client sends to an HTTP proxy) is taken as its path, as HTTP/1.1 servers must take it (RFC 9112
 * 3.2.2). gcloud reaches the engine that way: it puts the region in front of its endpoint's host
 * (`us-central1-localhost`), a name nothing resolves, so it is pointed at the admin port as its
 * proxy (README). Which host was named does not matter: the engine answers only for itself.
 */
export function originForm(url: string | undefined): string {
  const target = url ?? "/";
  const absolute = /^http:\/\/[^/?#]*/i.exec(target);
  if (!absolute) return target;
  const rest = target.slice(absolute[0].length);
  return rest.startsWith("/") ? rest : `/${rest}`;
}

/** Errors a handler throws on purpose, which are answers rather than bugs. */
function isExpected(error: unknown): boolean {
  return error instanceof SkiffError || error instanceof RpcError;
}

function isLoopback(address: string | undefined): boolean {
  return address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1";
}

/** Path parameters, %-decoded; a malformed escape is the client's mistake (400 naming the parameter), not the engine's. */
function decodeParams(groups: Record<string, string>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, raw] of Object.entries(groups)) {
    try {
      params[name] = decodeURIComponent(raw);
    } catch {
      throw invalid(name, `"${raw}" is not a valid %-encoded path segment`);
    }
  }
  return params;
}
