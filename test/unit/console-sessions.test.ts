import test from "ava";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ConsoleSessions } from "../../provider/api/console";

/** A server answering only what the console answers (the rest 418), on loopback, with a hand-driven clock. */
async function serve(t: { teardown(fn: () => void): void }) {
  let now = 1_000_000;
  let port = 0;
  const sessions = new ConsoleSessions(
    () => port,
    "tok",
    () => now,
  );
  const server = http.createServer((req, res) => {
    if (!sessions.handle(req, res)) {
      res.writeHead(418);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  t.teardown(() => server.close());
  const get = (path: string, cookie?: string) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders }>((resolve, reject) =>
      http
        .get({ host: "127.0.0.1", port, path, headers: cookie ? { cookie } : {} }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, headers: res.headers });
        })
        .on("error", reject),
    );
  return { sessions, get, advance: (ms: number) => (now += ms) };
}

test("a login code works once and within a minute; it sets an HttpOnly, SameSite=Strict session cookie for /console", async (t) => {
  const { sessions, get, advance } = await serve(t);
  t.is((await get("/console/")).status, 401);
  t.is((await get("/v1/engine")).status, 418, "other paths are left to the admin API");
  const { url } = sessions.login();
  const path = new URL(url).pathname + new URL(url).search;
  const login = await get(path);
  t.is(login.status, 302);
  t.is(login.headers.location, "/console/");
  const cookie = login.headers["set-cookie"]![0];
  t.regex(cookie, /^skiff_console=[\w-]+; HttpOnly; SameSite=Strict; Path=\/console; Max-Age=43200$/);
  const session = cookie.split(";")[0];
  t.is((await get("/console/", session)).status, 200);
  t.is((await get("/console/", "skiff_console=forged")).status, 401);
  t.is((await get(path)).status, 401, "spent");
  const late = sessions.login();
  advance(61_000);
  t.is((await get(new URL(late.url).pathname + new URL(late.url).search)).status, 401, "expired");
  t.is((await get("/console/api/etc/passwd", session)).status, 404);
  advance(13 * 3600_000);
  t.is((await get("/console/", session)).status, 401, "the session ends after 12 h");
});
