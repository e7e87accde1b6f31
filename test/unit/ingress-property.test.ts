import test from "ava";
import fc from "fast-check";
import net from "node:net";
import { completeResponses, type ParsedResponse } from "../helpers/raw-http";
import { requestFramer, wireIngress, type WireIngress } from "../helpers/wire-ingress";

// A property of the data plane, on generated traffic: several clients at once, each sending a
// sequence of requests with random framing (no body, Content-Length, chunked with extensions and
// trailers; origin-form with Host, or absolute-form with a decoy Host naming another service),
// pipelined on one connection and cut into random TCP writes. Every request must reach exactly the
// service its Host (or absolute target) names, with exactly its own headers, body and trailers, and
// every response must reach exactly its own client, in order. The real Ingress, routing, throttlers
// and proxy run in front of raw-socket instances on loopback (test/fixtures/wire-server.js), which
// answer with the bytes they received. Bounded: a fixed number of runs, a few seconds in all.

const SERVICES = ["s0", "s1", "s2"];
let ingress: WireIngress;

test.before(async () => {
  ingress = await wireIngress(SERVICES);
});

test.after.always(async () => {
  await ingress?.close();
});

interface GeneratedRequest {
  service: number;
  decoy: number;
  absolute: boolean;
  method: "GET" | "POST" | "PUT";
  path: string;
  extraHeaders: [string, string][];
  framing: "none" | "length" | "chunked";
  body: Uint8Array;
  /** Where the chunked body is cut into chunks (offsets). */
  cuts: number[];
  extensions: boolean;
  trailers: [string, string][];
}

const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);
const headerValue = fc.stringMatching(/^[A-Za-z0-9 ,;=./_-]{0,24}$/).map((v) => v.trim());

const request: fc.Arbitrary<GeneratedRequest> = fc.record({
  service: fc.nat(SERVICES.length - 1),
  decoy: fc.nat(SERVICES.length - 1),
  absolute: fc.boolean(),
  method: fc.constantFrom("GET" as const, "POST" as const, "PUT" as const),
  path: fc.array(token, { minLength: 0, maxLength: 3 }).map((parts) => `/${parts.join("/")}`),
  extraHeaders: fc.array(
    fc.tuple(
      token.map((n) => `x-h-${n}`),
      headerValue,
    ),
    { maxLength: 4 },
  ),
  framing: fc.constantFrom("none" as const, "length" as const, "chunked" as const),
  body: fc.uint8Array({ minLength: 0, maxLength: 3_000 }),
  cuts: fc.array(fc.nat(3_000), { maxLength: 4 }),
  extensions: fc.boolean(),
  trailers: fc.array(
    fc.tuple(
      token.map((n) => `x-tr-${n}`),
      headerValue,
    ),
    { maxLength: 3 },
  ),
});

const client = fc.record({
  requests: fc.array(request, { minLength: 1, maxLength: 5 }),
  /** Where the client's bytes are cut into separate writes (fractions of their length). */
  splits: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
});

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

/** The request as the client sends it; its id header lets its echo be found again. */
function encode(req: GeneratedRequest, id: string): string {
  const host = `${SERVICES[req.service]}.localhost`;
  const target = req.absolute ? `http://${host}${req.path}` : req.path;
  // An absolute target wins over the Host line, which then names a decoy.
  const hostLine = req.absolute ? `${SERVICES[req.decoy]}.localhost` : host;
  let head = `${req.method} ${target} HTTP/1.1\r\nHost: ${hostLine}\r\nX-Id: ${id}\r\n`;
  for (const [name, value] of req.extraHeaders) head += `${name}: ${value}\r\n`;
  const body = latin1(req.body);
  if (req.framing === "none") return `${head}\r\n`;
  if (req.framing === "length") return `${head}Content-Length: ${body.length}\r\n\r\n${body}`;
  let chunked = `${head}Transfer-Encoding: chunked\r\n\r\n`;
  const cuts = [...new Set(req.cuts.filter((c) => c > 0 && c < body.length))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...cuts, body.length]) {
    if (to === from) continue;
    chunked += `${(to - from).toString(16)}${req.extensions ? ';ext="x y"' : ""}\r\n${body.slice(from, to)}\r\n`;
    from = to;
  }
  chunked += "0\r\n";
  for (const [name, value] of req.trailers) chunked += `${name}: ${value}\r\n`;
  return `${chunked}\r\n`;
}

/** A request as the instance received it (the echo): head lines, decoded body, trailer lines. */
function decode(raw: string): { requestLine: string; headers: string[]; body: string; trailers: string[] } {
  const [message] = requestFramer().feed(raw);
  if (!message || message.raw.length !== raw.length)
    throw new Error(`the echo is not one whole request: ${JSON.stringify(raw.slice(0, 200))}`);
  const headEnd = raw.indexOf("\r\n\r\n");
  const [requestLine = "", ...headers] = raw.slice(0, headEnd).split("\r\n");
  let rest = raw.slice(headEnd + 4);
  if (!headers.some((h) => /^transfer-encoding: chunked$/i.test(h))) return { requestLine, headers, body: rest, trailers: [] };
  let body = "";
  for (;;) {
    const lineEnd = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, lineEnd), 16);
    rest = rest.slice(lineEnd + 2);
    if (size === 0) break;
    body += rest.slice(0, size);
    rest = rest.slice(size + 2);
  }
  return { requestLine, headers, body, trailers: rest.split("\r\n").filter(Boolean) };
}

/** Sends the client's bytes in the given writes; resolves with the responses once `count` have arrived whole. */
function converse(parts: string[], count: number): Promise<ParsedResponse[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(ingress.port, "127.0.0.1");
    let raw = "";
    const timer = setTimeout(
      () => (socket.destroy(), reject(new Error(`only part of ${count} responses within 5 s: ${JSON.stringify(raw.slice(0, 500))}`))),
      5_000,
    );
    socket.setEncoding("latin1");
    socket.on("error", (error) => (clearTimeout(timer), reject(error)));
    socket.on("data", (chunk: string) => {
      raw += chunk;
      const { responses, rest } = completeResponses(raw);
      if (responses.length >= count && rest === "") {
        clearTimeout(timer);
        socket.destroy();
        resolve(responses);
      }
    });
    socket.on("connect", async () => {
      for (const part of parts) {
        socket.write(part, "latin1");
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}

test("every request reaches exactly the service it names, with its own headers, body and trailers; every response reaches its own client, in order", async (t) => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(client, { minLength: 1, maxLength: 3 }), async (clients) => {
      run++;
      await Promise.all(
        clients.map(async (c, clientIndex) => {
          const ids = c.requests.map((_, i) => `${run}-${clientIndex}-${i}`);
          const bytes = c.requests.map((req, i) => encode(req, ids[i])).join("");
          const cuts = [...new Set(c.splits.map((f) => Math.floor(f * bytes.length)))]
            .filter((n) => n > 0 && n < bytes.length)
            .sort((a, b) => a - b);
          const parts = [0, ...cuts].map((from, i) => bytes.slice(from, [...cuts, bytes.length][i]));
          const responses = await converse(parts, c.requests.length);
          if (responses.length !== c.requests.length) throw new Error(`${responses.length} responses to ${c.requests.length} requests`);
          for (const [i, req] of c.requests.entries()) {
            const response = responses[i];
            const where = `client ${clientIndex} request ${i}`;
            if (response.status !== "HTTP/1.1 200 OK") throw new Error(`${where}: ${response.status} ${response.body}`);
            const service = SERVICES[req.service];
            if (!response.headers.includes(`x-service: ${service}`))
              throw new Error(`${where}: answered by ${response.headers.find((h) => h.startsWith("x-service"))}, not ${service}`);
            const echo = decode(response.body);
            if (echo.requestLine !== `${req.method} ${req.path} HTTP/1.1`)
              throw new Error(`${where}: the instance got ${echo.requestLine}`);
            const own = echo.headers.filter((h) => /^(host|x-id|x-h-[^:]*):/i.test(h));
            const expected = [
              ...(req.absolute ? [`host: ${service}.localhost`] : [`Host: ${service}.localhost`]),
              `X-Id: ${ids[i]}`,
              ...req.extraHeaders.map(([n, v]) => `${n}: ${v}`),
            ];
            if (JSON.stringify(own) !== JSON.stringify(expected))
              throw new Error(`${where}: headers ${JSON.stringify(own)}, expected ${JSON.stringify(expected)}`);
            const body = req.framing === "none" ? "" : latin1(req.body);
            if (echo.body !== body) throw new Error(`${where}: a body of ${echo.body.length} bytes, expected ${body.length}`);
            const trailers = req.framing === "chunked" ? req.trailers.map(([n, v]) => `${n}: ${v}`) : [];
            if (JSON.stringify(echo.trailers) !== JSON.stringify(trailers))
              throw new Error(`${where}: trailers ${JSON.stringify(echo.trailers)}, expected ${JSON.stringify(trailers)}`);
          }
        }),
      );
    }),
    { numRuns: 300, interruptAfterTimeLimit: 8_000 },
  );
  t.true(run >= 10, `only ${run} runs in the time allowed`);
});
