import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, hostOf, revisionFromBody, transcript } from "../helpers/cli";

// What a container can rely on when it runs on Cloud Run (its container runtime contract), where
// the other files do not already show it: command and args as Kubernetes reads them, the HTTP/1
// request size limit.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
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
