import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import test from "ava";
import { deploy } from "../helpers/cli";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage, fixturePath } from "../helpers/fixture-image";
import { buildNodeImage } from "../helpers/node-image";

// What Cloud Run's front end does before the container sees a request (router/front-end-rules.ts),
// through a real engine on real Docker and curl (HTTP/1.1 and HTTP/2 with prior knowledge): service
// w runs the raw-socket instance (test/fixtures/wire-server.js) that answers with the exact bytes it
// received, so each test sees what reached the container; service f runs the fixture app with a
// tmpfs. Also Cloud Run's 32 MiB limit on an HTTP/1 response with a length (router/proxy.ts).

const run = promisify(execFile);
let engine: TestEngine;

test.before(async () => {
  const [wireImage, image, started] = await Promise.all([
    buildNodeImage({ script: fixturePath("wire-server.js"), repository: "skiff-test/wire", labels: { "skiff.test": "true" } }),
    fixtureImage(),
    startEngine(),
  ]);
  engine = started;
  await Promise.all([
    deploy(engine, "w", ["--image", wireImage, "--min-instances", "1"]),
    // The fixture app with a tmpfs to write a big file to (its image has no writable /tmp).
    deploy(engine, "f", [
      "--image",
      image,
      "--add-volume",
      "name=scratch,type=in-memory,size-limit=80Mi",
      "--add-volume-mount",
      "volume=scratch,mount-path=/scratch",
    ]),
  ]);
});

test.after.always(async () => {
  await engine?.dispose();
});

/** curl's answer: the status and the body (curl resolves *.localhost to loopback itself). */
async function curl(args: string[], target: string, service = "w"): Promise<{ status: number; body: string }> {
  const url = `http://${service}.localhost:${engine.ingressPort}${target}`;
  const { stdout } = await run("curl", ["-sS", "--path-as-is", "-w", "\n%{http_code}", ...args, url], { maxBuffer: 64 * 1024 * 1024 });
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

test("a response with a Content-Length over 32 MiB gets 500 as on Cloud Run; one streamed in chunks past 32 MiB is served", async (t) => {
  // The wire instance echoes the request it got with a Content-Length: a 32 MiB body (the most a
  // request may carry) comes back as 32 MiB and its head, over the limit.
  const dir = await mkdtemp(path.join(os.tmpdir(), "skiff-front-end-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const body = path.join(dir, "body");
  await writeFile(body, Buffer.alloc(32 * 1024 * 1024, 0x61));
  const over = await curl(["-X", "POST", "--data-binary", `@${body}`, "-H", "content-type: application/octet-stream"], "/echo");
  t.is(over.status, 500);
  t.regex(over.body, /^Response size was too large/);
  // The fixture's GET /file answers after writeHead, so Node sends it in chunks: no limit.
  const written = await curl(["-X", "POST"], "/write?path=/scratch/big&mib=33", "f");
  t.is(written.status, 200, written.body);
  const streamed = await curl([], "/file?path=/scratch/big", "f");
  t.is(streamed.status, 200);
  t.is(streamed.body.length, 33 * 1024 * 1024);
});
