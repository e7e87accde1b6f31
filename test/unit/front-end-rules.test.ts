import test from "ava";
import { frontEndTarget, isReservedPath } from "../../provider/router/front-end-rules";
import { rawExchange, splitResponses } from "../helpers/raw-http";
import { wireIngress, type WireIngress } from "../helpers/wire-ingress";

// What Cloud Run's front end does before a request reaches the container (router/front-end-rules.ts),
// through the real Ingress in front of a raw-socket instance (service e) that records the exact
// bytes it receives: an app that works on skiff must not fail on Cloud Run for these.

let ingress: WireIngress;

test.before(async () => {
  ingress = await wireIngress(["e"]);
});

test.after.always(async () => {
  await ingress?.close();
});

const received = () => ingress.received("e").join("");

async function get(target: string): Promise<{ status: string; body: string; reached: string }> {
  const before = received().length;
  const [response] = splitResponses(await rawExchange(ingress.port, [`GET ${target} HTTP/1.1\r\nHost: e.localhost\r\n\r\n`]));
  return { status: response.status, body: response.body, reached: received().slice(before) };
}

test("reserved paths: /healthz and /eventlog, with or without a query; nothing else", (t) => {
  for (const url of ["/healthz", "/healthz?probe=1", "/eventlog", "/eventlog?x"]) t.true(isReservedPath(url), url);
  for (const url of [
    "/",
    "/healthz/",
    "/health",
    "/readyz",
    "/livez",
    "/_ah/health",
    "/api/healthz",
    "/healthzz",
    "/eventlogs",
    "/x?/healthz",
  ])
    t.false(isReservedPath(url), url);
});

test.serial("GET /healthz is answered 404 by the ingress, as Cloud Run's front end does, and never reaches the instance", async (t) => {
  // Cloud Run: a Google 404 page; the container's log and the request log have no trace of it.
  for (const target of ["/healthz", "/healthz?verbose=1", "/eventlog"]) {
    const answer = await get(target);
    t.is(answer.status, "HTTP/1.1 404 Not Found", target);
    t.regex(answer.body, /reserved by Cloud Run's front end/, target);
    t.is(answer.reached, "", target);
  }
});

test.serial("paths near the reserved ones reach the instance as they are", async (t) => {
  // Cloud Run: /healthz/, /health, /readyz, /livez and /_ah/health reached a deployed app.
  for (const target of ["/healthz/", "/health", "/readyz", "/livez", "/_ah/health"]) {
    const answer = await get(target);
    t.is(answer.status, "HTTP/1.1 200 OK", target);
    t.true(answer.reached.startsWith(`GET ${target} HTTP/1.1\r\n`), target);
  }
});

test.serial("TRACE is answered 405 and never reaches the instance, as Cloud Run never passes it to a container", async (t) => {
  // Cloud Run's known issues: services never receive TRACE (nor CONNECT, which the connection refuses with 400).
  const before = received().length;
  const [response] = splitResponses(await rawExchange(ingress.port, [`TRACE /x HTTP/1.1\r\nHost: e.localhost\r\n\r\n`]));
  t.is(response.status, "HTTP/1.1 405 Method Not Allowed");
  t.is(received().slice(before), "");
  // The connection stays usable: the next request is served.
  t.is((await get("/after-trace")).status, "HTTP/1.1 200 OK");
});

test("the path's escapes of unreserved characters and @ are decoded; the others, and the query, are kept", (t) => {
  const cases: [string, string][] = [
    ["/%41", "/A"],
    ["/plugin-assets/%40org%2Fpackage/asset.png", "/plugin-assets/@org%2Fpackage/asset.png"],
    ["/_next/static/chunks/app/%40modal/page.js", "/_next/static/chunks/app/@modal/page.js"],
    ["/%5Bslug%5D/%7euser/%2d%2E%5f", "/%5Bslug%5D/~user/-._"],
    ["/caf%C3%A9/a%20b/%25/%3F/%23", "/caf%C3%A9/a%20b/%25/%3F/%23"],
    ["/%61?q=%41%40", "/a?q=%41%40"],
    ["/%4", "/%4"],
    ["/%zz%4x", "/%zz%4x"],
    ["/x%", "/x%"],
  ];
  for (const [client, container] of cases) t.is(frontEndTarget(client), container, client);
  // Nothing to decode: the very same string (no copy made per request).
  const plain = "/a/b?c=%41";
  t.is(frontEndTarget(plain), plain);
});

test.serial("the instance receives the path as Cloud Run's front end passes it: %40 as @, %2F kept, the query untouched", async (t) => {
  // Cloud Run: `/plugin-assets/%40org%2Fpackage/asset.png` reached Express as `/plugin-assets/@org%2Fpackage/asset.png`.
  const answer = await get("/plugin-assets/%40org%2Fpackage/%41.png?v=%40");
  t.is(answer.status, "HTTP/1.1 200 OK");
  t.true(answer.reached.startsWith("GET /plugin-assets/@org%2Fpackage/A.png?v=%40 HTTP/1.1\r\n"), answer.reached);
  // A reserved path reached through an escape is still the reserved path.
  t.is((await get("/health%7A")).status, "HTTP/1.1 404 Not Found");
});
