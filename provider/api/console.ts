import { randomBytes } from "node:crypto";
import http from "node:http";
import type { Store } from "../state/store";
import { CONSOLE_PAGE } from "./console-page";
import { route, type Route } from "./server";

/** A login code is good once, for this long. */
const CODE_TTL_MS = 60_000;
/** A console session lasts this long from its login. */
const SESSION_TTL_MS = 12 * 60 * 60_000;
const COOKIE = "skiff_console";

/**
 * The console: a page served on the admin port under /console, for a person with a browser. The
 * browser never holds the engine's token: `skiff console` (which has it) asks for a one-time login
 * code (POST /v1/console/logins); opening the login URL spends the code and sets an HttpOnly,
 * SameSite=Strict session cookie for /console. The page then reads the admin API through
 * /console/api/..., which this server passes on to the admin API with the token, GET only: the
 * console reads, it changes nothing. Without a session every /console path is 401.
 */
export class ConsoleSessions {
  private readonly codes = new Map<string, number>();
  private readonly sessions = new Map<string, number>();

  constructor(
    private readonly apiPort: () => number,
    private readonly token: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new one-time login code and the URL that spends it. */
  login(): { url: string; expiresAt: string } {
    const code = randomBytes(24).toString("base64url");
    const expires = this.now() + CODE_TTL_MS;
    this.codes.set(code, expires);
    return { url: `http://127.0.0.1:${this.apiPort()}/console/login?code=${code}`, expiresAt: new Date(expires).toISOString() };
  }

  /** Answers a /console path (true), or leaves the request to the admin API (false). */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const url = req.url ?? "/";
    if (url !== "/console" && !url.startsWith("/console/") && !url.startsWith("/console?")) return false;
    const path = url.split("?", 1)[0];
    if (path === "/console/login") this.spendCode(new URL(url, "http://127.0.0.1").searchParams.get("code"), res);
    else if (!this.hasSession(req)) deny(res);
    else if (req.method !== "GET") send(res, 405, "text/plain; charset=utf-8", "the console only reads\n");
    else if (path === "/console" || path === "/console/") send(res, 200, "text/html; charset=utf-8", CONSOLE_PAGE);
    else if (path.startsWith("/console/api/")) this.passOn(url.slice("/console/api".length), res);
    else send(res, 404, "text/plain; charset=utf-8", "not found\n");
    return true;
  }

  private spendCode(code: string | null, res: http.ServerResponse): void {
    const expires = code === null ? undefined : this.codes.get(code);
    if (code !== null) this.codes.delete(code);
    this.sweep();
    if (expires === undefined || expires < this.now())
      return deny(res, "this login link was used already or has expired; run skiff console again\n");
    const session = randomBytes(32).toString("base64url");
    this.sessions.set(session, this.now() + SESSION_TTL_MS);
    res.writeHead(302, {
      location: "/console/",
      "set-cookie": `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/console; Max-Age=${SESSION_TTL_MS / 1000}`,
      "cache-control": "no-store",
    });
    res.end();
  }

  private hasSession(req: http.IncomingMessage): boolean {
    const cookies = req.headers.cookie ?? "";
    for (const part of cookies.split(";")) {
      const [name, value] = part.trim().split("=", 2);
      if (name !== COOKIE || value === undefined) continue;
      const expires = this.sessions.get(value);
      if (expires !== undefined && expires >= this.now()) return true;
    }
    return false;
  }

  /** A GET of the admin API with the engine's token, its answer passed back as it is. */
  private passOn(path: string, res: http.ServerResponse): void {
    if (!path.startsWith("/v1/") && path !== "/metrics") return send(res, 404, "text/plain; charset=utf-8", "not an admin API path\n");
    const upstream = http.get(
      { host: "127.0.0.1", port: this.apiPort(), path, headers: { authorization: `Bearer ${this.token}` } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, {
          "content-type": answer.headers["content-type"] ?? "application/json",
          "cache-control": "no-store",
        });
        answer.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      if (!res.headersSent) send(res, 502, "text/plain; charset=utf-8", `the admin API did not answer: ${error.message}\n`);
      else res.destroy();
    });
    res.on("close", () => upstream.destroy());
  }

  private sweep(): void {
    const now = this.now();
    for (const [code, expires] of this.codes) if (expires < now) this.codes.delete(code);
    for (const [session, expires] of this.sessions) if (expires < now) this.sessions.delete(session);
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
  res.end(body);
}

function deny(res: http.ServerResponse, message = "log in with the URL skiff console prints\n"): void {
  send(res, 401, "text/plain; charset=utf-8", message);
}

/** The admin API's side of the console: login codes for `skiff console`, and the projects the page lists. */
export function consoleRoutes(sessions: ConsoleSessions, store: Store): Route[] {
  return [
    route("POST", "/v1/console/logins", () => sessions.login()),
    route("GET", "/v1/projects", () => {
      const projects = new Set<string>(["default"]);
      for (const s of store.listServices()) projects.add(s.project);
      for (const j of store.jobs.listJobs()) projects.add(j.project);
      return { projects: [...projects].sort() };
    }),
  ];
}
