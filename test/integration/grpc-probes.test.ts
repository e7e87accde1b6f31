import test from "ava";
import { deploy, describeRevision, describeService, hostOf, transcript } from "../helpers/cli";
import { TestEngine, startEngine } from "../helpers/engine";
import { echoClient, grpcImage, say, type EchoClient } from "../helpers/grpc";

// gRPC probes on real Docker against a grpc-js server with gRPC's standard health service
// (test/fixtures/grpc-server.js): a startup probe waits for SERVING (it is no longer a TCP
// connect), one naming a service the server does not know fails the revision with the call's
// status, and a liveness probe replaces the instance once its health turns NOT_SERVING.

let engine: TestEngine;
let image: string;
const clients: EchoClient[] = [];

test.before(async () => {
  [image, engine] = await Promise.all([grpcImage(), startEngine()]);
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

test("a gRPC startup probe holds the revision until the health service answers SERVING", async (t) => {
  const args = [
    "deploy",
    "warming",
    "--image",
    image,
    "--use-http2",
    "--set-env-vars",
    "FIXTURE_HEALTH_WARMUP_MS=3000",
    "--startup-probe",
    "grpc.service=skiff.test.Echo,periodSeconds=1,failureThreshold=30",
  ];
  const began = Date.now();
  const result = await engine.skiff(args, { timeoutMs: 120_000 });
  const tookMs = Date.now() - began;
  t.is(result.code, 0, transcript(args, result));
  const checks = await say(clientOf("warming"), "checks");
  t.falsy(checks.error, checks.error?.message);
  t.log(`ready after ${tookMs} ms and ${checks.message?.text} health checks`);
  // NOT_SERVING for 3 s at one check a second: the probe asked several times (a TCP connect asks none).
  t.true(Number(checks.message?.text) >= 3, `health checks before SERVING: ${checks.message?.text}`);
  t.true(tookMs >= 3000, `the deploy waited for SERVING: ${tookMs} ms`);
  const revision = (await describeService(engine, "warming")).latestReadyRevision ?? "";
  t.deepEqual((await describeRevision(engine, revision)).template.startupProbe.grpc, { service: "skiff.test.Echo" });
});

test("a gRPC startup probe of a service the server does not know fails the revision with the call's status", async (t) => {
  const args = [
    "deploy",
    "unknown-health",
    "--image",
    image,
    "--use-http2",
    "--startup-probe",
    "grpc.service=nope,periodSeconds=1,failureThreshold=3",
  ];
  const failed = await engine.skiff(args, { timeoutMs: 120_000 });
  t.not(failed.code, 0, transcript(args, failed));
  const revision = (await describeService(engine, "unknown-health")).latestCreatedRevision ?? "";
  t.regex(
    (await describeRevision(engine, revision)).error ?? "",
    /startup probe gRPC health check of "nope" on port 8080 did not answer SERVING within the startup deadline of 3 s \(the last call failed: the health call failed: grpc-status 5/,
  );
});

test("a gRPC liveness probe replaces the instance once its health turns NOT_SERVING; the next call reaches a new instance", async (t) => {
  await deploy(engine, "live-grpc", [
    "--image",
    image,
    "--use-http2",
    "--liveness-probe",
    "grpc.port=8080,periodSeconds=1,failureThreshold=2",
  ]);
  const client = clientOf("live-grpc");
  const before = await say(client, "hello");
  t.falsy(before.error, before.error?.message);
  // Healthy, it stays: the same instance after three periods of SERVING.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  t.is((await say(client, "hello")).message?.instance, before.message?.instance, "a SERVING instance is not replaced");
  const sickAt = Date.now();
  t.falsy((await say(client, "sick")).error);
  let after = before;
  while (Date.now() - sickAt < 30_000) {
    after = await say(client, "hello");
    if (!after.error && after.message?.instance !== before.message?.instance) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const tookMs = Date.now() - sickAt;
  t.log(`a new instance answered ${tookMs} ms after "sick"`);
  t.falsy(after.error, after.error?.message);
  t.not(after.message?.instance, before.message?.instance, "a new instance answers after the old one failed its probe");
  t.true(tookMs < 15_000, `replaced in ${tookMs} ms`);
  const revision = (await describeService(engine, "live-grpc")).latestReadyRevision ?? "";
  t.regex(
    (await describeRevision(engine, revision)).instanceError ?? "",
    /its liveness probe gRPC health check on port 8080 failed 2 times in a row \(the last answer was NOT_SERVING\)/,
  );
});
