import test from "ava";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as net from "node:net";
import * as path from "node:path";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, hostOf, revisionFromBody, transcript } from "../helpers/cli";
import { docker } from "../helpers/docker";
import { eventually } from "../helpers/http";
import { SHORT_WINDOW_FLAGS, serviceContainers } from "../helpers/scaling";

// What a container can rely on when it runs on Cloud Run (its container runtime contract), where
// the other files do not already show it: command and args as Kubernetes reads them, the HTTP/1
// request size limit, a request timeout that counts an instance's startup and ends a websocket,
// SIGTERM whatever the image's STOPSIGNAL. The engine scales to zero within seconds (SHORT_WINDOW_FLAGS).

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine({ flags: SHORT_WINDOW_FLAGS })]);
});

test.after.always(async () => {
  await engine?.dispose();
});

test('--command and --args of "" reset to the image\'s ENTRYPOINT and CMD, as gcloud says, and the revision serves', async (t) => {
  // The fixture image's ENTRYPOINT is ["/node", "/server.js"]; an empty command is the same as none
  // (Kubernetes' rule), never an image with no entrypoint at all.
  const args = ["deploy", "reset", "--image", image, "--command", "", "--args", ""];
  const result = await engine.skiff(args);
  t.is(result.code, 0, transcript(args, result));
  const revision = (await describeService(engine, "reset")).latestReadyRevision ?? "";
  const answer = await engine.request(hostOf(engine, "reset"), "/");
  t.is(answer.status, 200, answer.body);
  t.is(revisionFromBody(answer.body), revision);

  // A command given drops the image's CMD and runs with the args given.
  await deploy(engine, "reset", ["--image", image, "--command", "/node", "--args", "/server.js"]);
  t.is((await engine.request(hostOf(engine, "reset"), "/")).status, 200);
  // Then back to the image's ENTRYPOINT, keeping the args: /node /server.js /server.js still serves.
  const back = ["deploy", "reset", "--image", image, "--command", ""];
  const reset = await engine.skiff(back);
  t.is(reset.code, 0, transcript(back, reset));
  t.is((await engine.request(hostOf(engine, "reset"), "/")).status, 200);
});

test("a request body over 32 MiB to a service that is not HTTP/2 end to end is answered 413 and never reaches the container", async (t) => {
  await deploy(engine, "upload", ["--image", image]);
  const MiB = 1024 * 1024;
  const under = await engine.request(hostOf(engine, "upload"), "/echo", { method: "POST", body: Buffer.alloc(32 * MiB, 0x61) });
  t.is(under.status, 200);
  t.is(under.body.length, 32 * MiB, "32 MiB exactly is within the limit and echoes back whole");

  const over = await engine.request(hostOf(engine, "upload"), "/echo?over", { method: "POST", body: Buffer.alloc(32 * MiB + 1, 0x61) });
  t.is(over.status, 413, over.body.slice(0, 200));
  t.regex(over.body, /over the 32 MiB limit.*--use-http2/);
  const logs = await engine.skiff(["logs", "read", "upload", "--limit", "50"]);
  t.false(logs.stdout.includes("POST /echo?over"), "the container never saw the request");
  t.is((await engine.request(hostOf(engine, "upload"), "/")).status, 200, "the service goes on serving");
});

test("the request timeout counts from the request's arrival, an instance's startup included: 504 when the start from zero outlasts it", async (t) => {
  // An app that takes 4 s to listen, with a 2 s request timeout: on Cloud Run the first request
  // after scale to zero is answered 504 at 2 s (the contract: the timeout includes startup time).
  await deploy(engine, "slowstart", ["--image", image, "--timeout", "2", "--env", "FIXTURE_LISTEN_DELAY_MS=4000"]);
  await eventually("slowstart scaled to zero", async () => (await serviceContainers(engine, "slowstart")).length === 0, 30_000);
  const started = Date.now();
  const cold = await engine.request(hostOf(engine, "slowstart"), "/", { timeoutMs: 20_000 });
  const tookMs = Date.now() - started;
  t.is(cold.status, 504, cold.body);
  t.regex(cold.body, /upstream request timeout/);
  t.true(tookMs >= 1_900 && tookMs < 3_900, `answered at the 2 s timeout, not after the 4 s start: ${tookMs} ms`);
  // The instance it woke serves the next request once it listens.
  await eventually("a warm request served", async () => (await engine.request(hostOf(engine, "slowstart"), "/")).status === 200, 20_000);
});

/** The fixture image with `STOPSIGNAL SIGQUIT`, as nginx's official image has: built from it locally. */
async function sigquitImage(): Promise<string> {
  const context = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-stopsignal-"));
  try {
    await fs.writeFile(path.join(context, "Dockerfile"), `FROM ${image}\nSTOPSIGNAL SIGQUIT\n`);
    const tag = `skiff-test/fixture-sigquit:${image.split(":")[1]}`;
    await docker(["build", "--quiet", "--label", "skiff.test=true", "--tag", tag, context], { timeoutMs: 120_000 });
    return tag;
  } finally {
    await fs.rm(context, { recursive: true, force: true });
  }
}

test("an instance is stopped with SIGTERM even when its image's STOPSIGNAL names another signal", async (t) => {
  // The fixture logs `SIGTERM trapped at <ms>` and keeps running (FIXTURE_TRAP_SIGTERM=1); a SIGQUIT
  // would end it at once with no such line.
  await deploy(engine, "stopsignal", ["--image", await sigquitImage(), "--env", "FIXTURE_TRAP_SIGTERM=1"]);
  const [container] = await serviceContainers(engine, "stopsignal");
  t.truthy(container, "the service runs one instance");
  const deleted = await engine.skiff(["services", "delete", "stopsignal", "-q"]);
  t.is(deleted.code, 0, transcript(["services", "delete", "stopsignal"], deleted));
  const log = await eventually(
    "the instance logged SIGTERM",
    async () => {
      const text = await docker(["logs", container.id]).catch(() => "");
      return /SIGTERM trapped at \d+/.test(text) && text;
    },
    8_000,
    200,
  );
  t.regex(log, /fixture: SIGTERM trapped at \d+, ignoring/);
});

test("a websocket is a request: it is closed when the service's request timeout passes, and its slot freed", async (t) => {
  await deploy(engine, "ws-timeout", ["--image", image, "--timeout", "2", "--concurrency", "1", "--max-instances", "1"]);
  const socket = net.connect(engine.ingressPort, "127.0.0.1");
  t.teardown(() => socket.destroy());
  let received = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => (received += chunk));
  const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now())));
  await new Promise((resolve, reject) => (socket.once("connect", resolve), socket.once("error", reject)));
  const opened = Date.now();
  socket.write(`GET /ws HTTP/1.1\r\nHost: ${hostOf(engine, "ws-timeout")}\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nping;`);
  await eventually("the echo", async () => received.includes("ping;"), 5_000, 20);
  t.regex(received, /^HTTP\/1\.1 101 /);
  const closedAt = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(0), 8_000))]);
  t.true(closedAt > 0, "the ingress closed the websocket");
  t.true(closedAt - opened >= 1_800 && closedAt - opened < 4_000, `closed at the 2 s timeout: after ${closedAt - opened} ms`);
  t.is((await engine.request(hostOf(engine, "ws-timeout"), "/")).status, 200, "its one slot is free again");
});
