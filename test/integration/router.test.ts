import test from "ava";
import * as http from "node:http";
import * as net from "node:net";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, hostOf, listServices, revisionFromBody } from "../helpers/cli";
import { docker } from "../helpers/docker";
import { inIpv4Subnet } from "../../provider/runtime/host-network";

// The request path: routing by Host, the proxy's headers, streaming, the request timeout and project
// isolation.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  await deploy(engine, "web", ["--image", image]);
});

test.after.always(async () => {
  await engine?.dispose();
});

test("on Linux the engine reaches instances at their address on its own Docker bridge network (also when it started with no container running, the bridge down)", async (t) => {
  const info = await (await engine.api()).engineInfo();
  t.is(info.instanceAddressing, "bridge");
  const ready = engine
    .logTail(500)
    .split("\n")
    .filter((line) => line.includes("instance ready") && line.includes("web-"));
  t.true(ready.length >= 1, engine.logTail(20));
  const [, address] = /"address":"([\d.]+):8080"/.exec(ready[0]) ?? [];
  // Each engine's containers share a network of its own, on whose gateway the engine serves them.
  const subnets = (
    await docker(["network", "inspect", `skiff-${engine.engineId}`, "--format", "{{range .IPAM.Config}}{{.Subnet}} {{end}}"])
  )
    .trim()
    .split(/\s+/);
  t.true(
    subnets.some((subnet) => inIpv4Subnet(address ?? "", subnet)),
    `${address} is on the engine's network (${subnets.join(", ")})`,
  );
});

test("a request that outlives the service's timeout gets 504, the instance lives on and serves the next", async (t) => {
  await deploy(engine, "slow", ["--image", image, "--timeout", "2"]);
  const before = (await engine.containers()).filter((c) => c.labels["skiff.service"] === "slow").map((c) => c.id);

  const late = await engine.request(hostOf(engine, "slow"), "/sleep?ms=4000", { timeoutMs: 20_000 });
  t.is(late.status, 504, late.body);

  const quick = await engine.request(hostOf(engine, "slow"), "/sleep?ms=10");
  t.is(quick.status, 200, quick.body);
  const after = (await engine.containers()).filter((c) => c.labels["skiff.service"] === "slow" && c.state === "running");
  t.deepEqual(
    after.map((c) => c.id),
    before,
    "the timeout did not kill or replace the instance",
  );
});

test("a response with Set-Cookie gets Cache-Control: private", async (t) => {
  const answer = await engine.request(hostOf(engine, "web"), "/cookie");
  t.is(answer.status, 200, answer.body);
  t.truthy(answer.headers["set-cookie"], "the cookie itself passes through");
  t.regex(String(answer.headers["cache-control"]), /\bprivate\b/);
});

test("the container sees X-Forwarded-For, -Proto and -Host", async (t) => {
  const host = hostOf(engine, "web");
  const answer = await engine.request(host, "/headers");
  t.is(answer.status, 200, answer.body);
  const seen = JSON.parse(answer.body) as Record<string, string>;
  t.regex(seen["x-forwarded-for"] ?? "", /127\.0\.0\.1/);
  t.is(seen["x-forwarded-proto"], "http");
  t.is(seen["x-forwarded-host"], host);
});

test("an unknown host gets 404 naming it", async (t) => {
  const answer = await engine.request(`nobody-here.localhost:${engine.ingressPort}`, "/");
  t.is(answer.status, 404);
  t.true(answer.body.includes("nobody-here"), answer.body);
});

test("a streamed response arrives whole, chunk by chunk", async (t) => {
  const answer = await engine.request(hostOf(engine, "web"), "/stream?chunks=5&intervalMs=50");
  t.is(answer.status, 200, answer.body);
  t.is(answer.body, [0, 1, 2, 3, 4].map((i) => `chunk ${i}\n`).join(""));
});

test("request and response bodies stream: the echo of part one arrives before part two is sent", async (t) => {
  // A proxy that buffers either body deadlocks here (part two waits for the echo of part one), so
  // the exchange only completes within the bound if both directions stream.
  const echoed = await new Promise<string>((resolve, reject) => {
    const req = http.request({
      host: "127.0.0.1",
      port: engine.ingressPort,
      method: "POST",
      path: "/echo",
      headers: { host: hostOf(engine, "web"), "content-type": "text/plain", "transfer-encoding": "chunked" },
      agent: false,
    });
    const timer = setTimeout(() => req.destroy(new Error("the echo of part one never arrived while the request was open")), 15_000);
    req.on("error", reject);
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
        if (body === "part one;") req.end("part two.");
      });
      res.on("end", () => {
        clearTimeout(timer);
        resolve(body);
      });
    });
    req.write("part one;");
  });
  t.is(echoed, "part one;part two.");
});

test("a large request body echoes back byte for byte", async (t) => {
  const body = "0123456789abcdef".repeat(64 * 1024);
  const answer = await engine.request(hostOf(engine, "web"), "/echo", { method: "POST", body, headers: { "content-type": "text/plain" } });
  t.is(answer.status, 200);
  t.is(answer.body.length, body.length);
  t.true(answer.body === body, "the echoed body equals the sent one");
});

test("projects are isolated: the same name in two projects is two services on two URLs", async (t) => {
  await deploy(engine, "twin", ["--image", image, "--env", "FIXTURE_SIDE=default"]);
  await deploy(engine, "twin", ["--image", image, "--project", "other", "--env", "FIXTURE_SIDE=other"]);
  const mine = JSON.parse((await engine.request(hostOf(engine, "twin"), "/env")).body) as Record<string, string>;
  const theirs = JSON.parse((await engine.request(hostOf(engine, "twin", "other"), "/env")).body) as Record<string, string>;
  t.is(mine.FIXTURE_SIDE, "default");
  t.is(theirs.FIXTURE_SIDE, "other");

  const otherList = (await listServices(engine, "other")).map((s) => s.name);
  t.deepEqual(otherList, ["twin"], "the other project sees only its own service");
  t.false(otherList.includes("web"));
  const webInOther = await engine.request(hostOf(engine, "web", "other"), "/");
  t.is(webInOther.status, 404, "a default-project service has no URL in another project");

  const described = await describeService(engine, "twin", "other");
  t.is(described.project, "other");
  t.is(
    revisionFromBody((await engine.request(hostOf(engine, "twin", "other"), "/")).body),
    described.latestReadyRevision ?? "(none ready)",
  );
});

test("an upgrade (a websocket's handshake) passes through: 101 from the instance, then bytes both ways on the same connection, and its slot is freed when it closes", async (t) => {
  // One slot in all: while the upgraded connection is open it holds it; after, a request must get it.
  await deploy(engine, "ws", ["--image", image, "--concurrency", "1", "--max-instances", "1"]);
  const socket = net.connect(engine.ingressPort, "127.0.0.1");
  t.teardown(() => socket.destroy());
  let received = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => (received += chunk));
  await new Promise((resolve, reject) => (socket.once("connect", resolve), socket.once("error", reject)));
  // The first bytes of the new protocol ride in the same packet as the head.
  socket.write(`GET /ws HTTP/1.1\r\nHost: ${hostOf(engine, "ws")}\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nfirst;`);
  await pollFor(() => received.includes("first;"));
  t.regex(received, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  t.regex(received, /\r\nx-forwarded-for: 127\.0\.0\.1\r\n/);
  socket.write("second;");
  await pollFor(() => received.includes("second;"));
  t.true(received.endsWith("\r\n\r\nfirst;second;"), received);
  socket.end();
  await new Promise((resolve) => socket.once("close", resolve));
  const after = await engine.request(hostOf(engine, "ws"), "/");
  t.is(after.status, 200, after.body);
});

async function pollFor(done: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
