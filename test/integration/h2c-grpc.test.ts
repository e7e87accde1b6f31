import test from "ava";
import http2 from "node:http2";
import net from "node:net";
import { deploy, describeRevision, describeService, hostOf, revisionFromBody, transcript } from "../helpers/cli";
import { containersWithLabels, run } from "../helpers/docker";
import { containerOf, nodeIn } from "../helpers/in-container";
import { isAlive, TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { eventually } from "../helpers/http";
import { count, echoClient, grpc, grpcImage, say, type EchoClient, type Message } from "../helpers/grpc";
import { H2_PREFACE } from "../../provider/router/h2-preface";

// Issue 23, HTTP/2 end to end: a gRPC server (@grpc/grpc-js, which speaks only h2c) deployed with
// --use-http2 is reached through the ingress by a gRPC client on the host: unary calls with their
// metadata and trailers, a server stream of 1,000 messages, a bidirectional stream; a 90/10 split
// as the gRPC client sees it; DEADLINE_EXCEEDED at the request timeout; streams queue at an
// instance's concurrency like requests. An HTTP/1.1 client (curl) reaches the same service
// (translated to h2c), an HTTP/2 client reaches a plain HTTP/1.1 service (translated the other
// way), and what clients and instances do to their streams never takes the engine down.
// Serial: the split counts and the timing of the queue must not share the engine's CPU.

let engine: TestEngine;
let image: string;
let plainImage: string;
const clients: EchoClient[] = [];

test.before(async () => {
  [image, plainImage, engine] = await Promise.all([grpcImage(), fixtureImage(), startEngine()]);
  await deploy(engine, "grpc", ["--image", image, "--use-http2", "--min-instances", "1"]);
});

test.after.always(async () => {
  for (const client of clients) client.close();
  await engine?.dispose();
});

function clientOf(service: string): EchoClient {
  const client = echoClient(engine.ingressPort, hostOf(engine, service));
  clients.push(client);
  return client;
}

async function latestRevision(service: string): Promise<string> {
  return (await describeService(engine, service)).latestCreatedRevision ?? "";
}

test.serial(
  "deploy --use-http2 makes an h2c service: its export names the port h2c; a gRPC client's unary call keeps metadata and trailers",
  async (t) => {
    const exported = await engine.skiff(["services", "describe", "grpc", "--format", "export"]);
    t.regex(exported.stdout, /name: h2c/, transcript(["services", "describe", "grpc", "--format", "export"], exported));
    const client = clientOf("grpc");
    const metadata = new grpc.Metadata();
    metadata.set("x-client", "abc");
    metadata.set("x-data-bin", Buffer.from([0, 1, 2, 255]));
    const answer = await say(client, "world", metadata);
    t.is(answer.error, undefined, answer.error?.message);
    t.is(answer.message?.text, "hello world");
    t.is(answer.message?.revision, await latestRevision("grpc"));
    t.deepEqual(answer.initial?.get("x-echo"), ["abc"], "initial metadata from the server");
    t.deepEqual(answer.trailing?.get("x-trailer"), ["done:abc"], "trailing metadata (a trailer beside grpc-status)");
    t.deepEqual(answer.trailing?.get("x-data-bin"), [Buffer.from([0, 1, 2, 255])], "binary metadata both ways");
  },
);

test.serial(
  "a gRPC call is a request in the service's log: logs read --requests-only has it with protocol HTTP/2, its status and the client's trace id",
  async (t) => {
    const trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const metadata = new grpc.Metadata();
    metadata.set("traceparent", `00-${trace}-00f067aa0ba902b7-01`);
    const answer = await say(clientOf("grpc"), "logged", metadata);
    t.is(answer.error, undefined, answer.error?.message);
    const args = ["logs", "read", "grpc", "--requests-only", "--format", "json"];
    type Entry = {
      httpRequest?: { requestMethod: string; requestUrl: string; status: number; protocol: string; latency: string };
      trace?: string;
    };
    const entry = await eventually("the call's request entry", async () => {
      const result = await engine.skiff(args);
      if (result.code !== 0) throw new Error(transcript(args, result));
      return (JSON.parse(result.stdout) as Entry[]).find((e) => e.trace?.endsWith(`/traces/${trace}`));
    });
    t.like(entry.httpRequest, { requestMethod: "POST", status: 200, protocol: "HTTP/2" });
    t.regex(entry.httpRequest!.requestUrl, /\/skiff\.test\.Echo\/Say$/);
    t.regex(entry.httpRequest!.latency, /^\d+\.\d+s$/);
  },
);

test.serial(
  "a server stream of 1,000 messages arrives whole and in order; a bidirectional stream answers each message before the next is sent",
  async (t) => {
    const client = clientOf("grpc");
    const streamed = await count(client, { count: 1000 });
    t.is(streamed.status.code, grpc.status.OK, streamed.status.details);
    t.is(streamed.messages.length, 1000);
    t.true(
      streamed.messages.every((m, i) => m.index === i),
      "in order",
    );

    const chat = client.Chat();
    const received: Message[] = [];
    for (let i = 0; i < 100; i++) {
      const echoed = new Promise<Message>((resolve) => chat.once("data", resolve));
      chat.write({ text: `m${i}`, index: i });
      received.push(await echoed);
    }
    const status = new Promise<grpc.StatusObject>((resolve) => chat.on("status", resolve));
    chat.end();
    t.is((await status).code, grpc.status.OK);
    t.deepEqual(
      received.map((m) => m.text),
      Array.from({ length: 100 }, (_, i) => `m${i}`),
    );
  },
);

test.serial(
  "a 90/10 split across two revisions, as a gRPC client sees it over one connection: each share within ±3 points of 1,000 calls",
  async (t) => {
    const first = await latestRevision("grpc");
    await deploy(engine, "grpc", ["--image", image, "--update-env-vars", "VERSION=2"]);
    const second = await latestRevision("grpc");
    t.not(first, second);
    t.is((await describeRevision(engine, second)).template.http2, true, "the new revision keeps http2");
    const args = ["services", "update-traffic", "grpc", "--to-revisions", `${first}=90,${second}=10`];
    const updated = await engine.skiff(args);
    t.is(updated.code, 0, transcript(args, updated));

    const client = clientOf("grpc");
    const byRevision: Record<string, number> = {};
    let failures = 0;
    // 10 calls at a time on the one channel: streams of one HTTP/2 connection, each routed on its own.
    for (let batch = 0; batch < 100; batch++) {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => say(client, `${batch}.${i}`)));
      for (const answer of answers) {
        if (answer.message) byRevision[answer.message.revision] = (byRevision[answer.message.revision] ?? 0) + 1;
        else failures++;
      }
    }
    t.is(failures, 0);
    const shareFirst = ((byRevision[first] ?? 0) / 1000) * 100;
    const shareSecond = ((byRevision[second] ?? 0) / 1000) * 100;
    t.true(Math.abs(shareFirst - 90) <= 3, `${first}: ${shareFirst}% (${JSON.stringify(byRevision)})`);
    t.true(Math.abs(shareSecond - 10) <= 3, `${second}: ${shareSecond}% (${JSON.stringify(byRevision)})`);
  },
);

test.serial(
  "past the request timeout a gRPC call ends DEADLINE_EXCEEDED: a unary call that never answers, and a stream after its first messages",
  async (t) => {
    await deploy(engine, "grpc-slow", ["--image", image, "--use-http2", "--timeout", "2s", "--min-instances", "1"]);
    const client = clientOf("grpc-slow");
    const started = Date.now();
    const slept = await new Promise<grpc.ServiceError | null>((resolve) => client.Sleep({ ms: 6_000 }, (error) => resolve(error)));
    const elapsed = Date.now() - started;
    t.is(slept?.code, grpc.status.DEADLINE_EXCEEDED, slept?.message);
    t.is(slept?.details, "upstream request timeout");
    t.true(elapsed >= 1_900 && elapsed < 4_000, `ended after ${elapsed} ms (timeout 2 s)`);

    const streamed = await count(client, { count: 3, gap_ms: 100, hold_ms: 6_000 });
    t.is(streamed.messages.length, 3, "the messages before the timeout arrived");
    t.is(streamed.status.code, grpc.status.DEADLINE_EXCEEDED, streamed.status.details);
  },
);

test.serial("at concurrency 1 with at most 2 instances, the third of three concurrent streams waits for a free instance", async (t) => {
  await deploy(engine, "grpc-one", ["--image", image, "--use-http2", "--concurrency", "1", "--min-instances", "2", "--max-instances", "2"]);
  const revision = await latestRevision("grpc-one");
  // Both instances listening first: deploy returns with the first.
  for (let i = 0; i < 100 && (await describeRevision(engine, revision)).scaling?.readyInstances !== 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const client = clientOf("grpc-one");
  // Each stream sends one message at once, then holds its instance for 3 s before it ends.
  const started = Date.now();
  const streams = [0, 1, 2].map(() => count(client, { count: 1, hold_ms: 3_000 }));
  // While the first two hold both instances, the third is queued in the throttler.
  let queued = 0;
  for (let i = 0; i < 20 && queued === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    queued = (await describeRevision(engine, revision)).scaling?.queued ?? 0;
  }
  const results = await Promise.all(streams);
  t.is(queued, 1, "one stream waited in the queue");
  const firsts = results.map((r) => r.at[0] - started).sort((a, b) => a - b);
  t.true(
    results.every((r) => r.status.code === grpc.status.OK),
    results.map((r) => r.status.details).join(", "),
  );
  t.true(firsts[1] < 2_000, `two streams began at once (${firsts.join(", ")} ms)`);
  t.true(firsts[2] >= 2_900, `the third began once one of them ended, after 3 s (${firsts.join(", ")} ms)`);
  const instances = new Set(results.map((r) => r.messages[0]?.instance));
  t.is(instances.size, 2, "on the two instances");
});

test.serial(
  "an HTTP/1.1 client (curl, no --http2) reaches the h2c service: its gRPC call translated to h2c, the answer chunked with grpc-status as a trailer",
  async (t) => {
    // Say { text: "curl" } as a gRPC frame: no compression, a 4-byte length, then the protobuf message.
    const message = Buffer.from([0x0a, 4, ...Buffer.from("curl")]);
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
    const args = [
      "--http1.1",
      "--raw",
      "-sS",
      "-D",
      "-",
      "-H",
      `Host: ${hostOf(engine, "grpc")}`,
      "-H",
      "content-type: application/grpc",
      "-H",
      "te: trailers",
      "--data-binary",
      "@-",
      `http://127.0.0.1:${engine.ingressPort}/skiff.test.Echo/Say`,
    ];
    const result = await run("curl", args, { input: frame.toString("latin1") });
    t.is(result.code, 0, result.stderr);
    t.regex(result.stdout, /^HTTP\/1\.1 200 OK\r\n/);
    t.regex(result.stdout, /content-type: application\/grpc(\+proto)?\r\n/i);
    t.regex(result.stdout, /transfer-encoding: chunked\r\n/i);
    t.true(result.stdout.includes("hello curl"), "the answer's message");
    t.regex(result.stdout, /\r\n0\r\ngrpc-status: 0\r\n/, "grpc-status as a trailer after the last chunk");
  },
);

test.serial("an HTTP/2 client (Node's http2, and curl --http2-prior-knowledge) reaches a plain HTTP/1.1 service, translated", async (t) => {
  await deploy(engine, "plain", ["--image", plainImage]);
  const revision = await latestRevision("plain");
  const session = http2.connect(`http://127.0.0.1:${engine.ingressPort}`);
  session.on("error", () => undefined);
  const answer = await new Promise<{ status: number; revision: string; body: string }>((resolve, reject) => {
    const stream = session.request({ ":path": "/", ":authority": hostOf(engine, "plain") });
    let body = "";
    let status = 0;
    let rev = "";
    stream.on("response", (headers) => {
      status = Number(headers[":status"]);
      rev = String(headers["x-revision"]);
    });
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (body += chunk));
    stream.on("end", () => resolve({ status, revision: rev, body }));
    stream.on("error", reject);
  });
  session.close();
  t.is(answer.status, 200);
  t.is(answer.revision, revision);
  t.is(revisionFromBody(answer.body), revision);
  const curl = await run("curl", [
    "-sS",
    "--http2-prior-knowledge",
    "-D",
    "-",
    "-H",
    `Host: ${hostOf(engine, "plain")}`,
    `http://127.0.0.1:${engine.ingressPort}/`,
  ]);
  t.is(curl.code, 0, curl.stderr);
  t.regex(curl.stdout, /^HTTP\/2 200/);
  t.true(curl.stdout.includes(`K_REVISION=${revision}`));

  // From one of the engine's own containers, on the bridge's listener: HTTP/2 there too.
  const inside = await nodeIn(await containerOf(engine, { "skiff.service": "plain" }), H2_GET, [
    (await describeService(engine, "plain")).url,
  ]);
  t.is(inside.code, 0, inside.stderr);
  t.is(inside.stdout.trim(), `200 K_REVISION=${revision}`);
});

/** An HTTP/2 GET (prior knowledge) with the container's node, printing the status and body. */
const H2_GET = `
const http2 = require("node:http2");
const url = new URL(process.argv[1]);
const session = http2.connect(url.origin);
session.on("error", (e) => { console.error(e.message); process.exit(1); });
const stream = session.request({ ":path": "/" });
let status = 0, body = "";
stream.on("response", (h) => (status = h[":status"]));
stream.setEncoding("utf8");
stream.on("data", (c) => (body += c));
stream.on("end", () => { console.log(status, body.trim()); session.close(); });
`;

test.serial(
  "garbage after the preface, clients that cancel streams, and an instance killed mid-stream: the engine stays up and serves",
  async (t) => {
    // Garbage frames after the preface: the session ends with GOAWAY; nothing else does.
    await new Promise<void>((resolve) => {
      const socket = net.connect(engine.ingressPort, "127.0.0.1", () => {
        socket.write(
          Buffer.concat([H2_PREFACE, Buffer.from([0, 0, 8, 0xfe, 0xff, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8]), Buffer.alloc(64, 0xaa)]),
        );
      });
      socket.on("error", () => undefined);
      socket.on("close", () => resolve());
      setTimeout(() => socket.destroy(), 1_000);
    });
    const client = clientOf("grpc-slow");
    // Clients that give up: cancelled mid-stream, and mid-call.
    for (let i = 0; i < 5; i++) {
      const stream = client.Count({ count: 100_000, gap_ms: 1 });
      stream.on("error", () => undefined);
      await new Promise((resolve) => stream.once("data", resolve));
      stream.cancel();
      const call = client.Sleep({ ms: 500 }, () => undefined);
      setTimeout(() => call.cancel(), 50);
    }
    const after = await say(client, "still here");
    t.is(after.message?.text, "hello still here", after.error?.message);

    // The instance killed while it streams: that call fails, the next ones are served by its replacement.
    const revision = await latestRevision("grpc-slow");
    const [container] = (await containersWithLabels({ "skiff.engine": engine.engineId, "skiff.revision": revision })).filter(
      (c) => c.state === "running",
    );
    const cut = count(client, { count: 1000, gap_ms: 10 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await run("docker", ["kill", container.id]);
    const cutResult = await cut;
    t.true(cutResult.messages.length > 0 && cutResult.messages.length < 1000, `${cutResult.messages.length} messages before the kill`);
    t.not(cutResult.status.code, grpc.status.OK, "a stream cut off is never reported complete");
    let served: Message | undefined;
    for (let i = 0; i < 50 && !served; i++) {
      served = (await say(client, "again")).message;
      if (!served) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    t.is(served?.text, "hello again");
    const status = await engine.skiff(["engine", "status"]);
    t.is(status.code, 0, "the engine is up");
  },
);

test.serial(
  "engine stop right after HTTP/2 and HTTP/1.1 traffic: the daemon exits at once (idle connections to instances do not hold it)",
  async (t) => {
    const call = await say(clientOf("grpc"), "before the stop");
    t.is(call.message?.text, "hello before the stop", call.error?.message);
    const plain = await engine.request(hostOf(engine, "plain"));
    t.is(plain.status, 200, plain.body);
    const pid = engine.pid;
    const started = Date.now();
    const stopped = await engine.stop();
    const took = Date.now() - started;
    t.is(stopped.code, 0, stopped.stderr);
    // `engine stop` waits up to 15 s for the daemon and then kills it. Idle connections to instances
    // used to keep the daemon's event loop alive until they timed out: 4 s for HTTP/1.1, and the
    // whole 30 s for an HTTP/2 session (so it was killed). Now it exits in a fraction of a second.
    t.true(took < 3_000, `engine stop took ${took} ms`);
    t.false(isAlive(pid), `daemon ${pid} is gone`);
  },
);
