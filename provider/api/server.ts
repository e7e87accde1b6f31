import http from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { Logger } from "../base/logger";
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
  first?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean,
): http.Server {
  const expected = Buffer.from(`Bearer ${token}`);
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
    // What anyone may read (the public keys identity tokens verify with), and nothing else.
    const open = req.method === "GET" ? publicPaths.get(req.url ?? "") : undefined;
    if (open) return sendJson(res, 200, open());
    if (first?.(req, res)) return;
    const given = Buffer.from(req.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.setHeader("www-authenticate", "Bearer");
      return sendSkiffError(res, new SkiffError("UNAUTHENTICATED", "missing or wrong bearer token; the token is in SKIFF_HOME/token"));
    }
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://127.0.0.1");
    } catch {
      return sendSkiffError(res, invalid("path", `"${req.url}" is not a valid request path`));
    }
    // Routes match the path as sent: WHATWG URL parsing resolves "..", "." and their %2e spellings,
    // which would let /v1/projects/default/services/%2e%2e/%2e%2e/other/... act on project "other".
    const rawPath = (req.url ?? "/").split(/[?#]/, 1)[0];
    const dotSegment = rawPath.split("/").find((segment) => /^(?:\.|%2e){1,2}$/i.test(segment));
    if (dotSegment !== undefined) {
      return sendSkiffError(res, invalid("path", `"${dotSegment}" segments are not allowed in API paths; %-encode names`));
    }
    let matchedPath = false;
    for (const r of routes) {
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
        if (error instanceof SkiffError) return sendSkiffError(res, error);
        log.error("admin API handler failed", { method: req.method, path: url.pathname, error: (error as Error).stack });
        if (!res.headersSent) sendJson(res, 500, internalError((error as Error).message));
      }
      return;
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
