import { execFile } from "node:child_process";
import { promisify } from "node:util";
import test from "ava";
import { deploy } from "../helpers/cli";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixturePath } from "../helpers/fixture-image";
import { buildNodeImage } from "../helpers/node-image";

// What Cloud Run's front end does before the container sees a request (router/front-end-rules.ts),
// through a real engine on real Docker and curl (HTTP/1.1 and HTTP/2 with prior knowledge): service
// w runs the raw-socket instance (test/fixtures/wire-server.js) that answers with the exact bytes it
// received, so each test sees what reached the container.

const run = promisify(execFile);
let engine: TestEngine;

test.before(async () => {
  const [wireImage, started] = await Promise.all([
    buildNodeImage({ script: fixturePath("wire-server.js"), repository: "skiff-test/wire", labels: { "skiff.test": "true" } }),
    startEngine(),
  ]);
  engine = started;
  await deploy(engine, "w", ["--image", wireImage, "--min-instances", "1"]);
});

test.after.always(async () => {
  await engine?.dispose();
});

/** curl's answer: the status and the body (curl resolves *.localhost to loopback itself). */
async function curl(args: string[], target: string): Promise<{ status: number; body: string }> {
  const { stdout } = await run("curl", [
    "-sS",
    "--path-as-is",
    "-w",
    "\n%{http_code}",
    ...args,
    `http://w.localhost:${engine.ingressPort}${target}`,
  ]);
  const cut = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

for (const [protocol, args] of [
  ["HTTP/1.1", []],
  ["HTTP/2", ["--http2-prior-knowledge"]],
] as const) {
  test(`${protocol}: GET /healthz is answered 404 by the engine and never reaches the container; /health does`, async (t) => {
    const reserved = await curl([...args], "/healthz?full=1");
    t.is(reserved.status, 404);
    t.regex(reserved.body, /\/healthz is reserved by Cloud Run's front end/);
    const near = await curl([...args], "/health");
    t.is(near.status, 200);
    t.true(near.body.startsWith("GET /health HTTP/1.1\r\n"), near.body);
  });

  test(`${protocol}: the path arrives as Cloud Run passes it (%40 as @, %41 as A, %2F kept), the query as sent`, async (t) => {
    const answer = await curl([...args], "/assets/%40scope%2Fpkg/%41.js?v=%40");
    t.is(answer.status, 200);
    t.true(answer.body.startsWith("GET /assets/@scope%2Fpkg/A.js?v=%40 HTTP/1.1\r\n"), answer.body);
  });

  test(`${protocol}: TRACE gets 405 and never reaches the container`, async (t) => {
    const answer = await curl([...args, "-X", "TRACE"], "/x");
    t.is(answer.status, 405);
    t.false(answer.body.includes("TRACE /x"), answer.body);
  });
}
