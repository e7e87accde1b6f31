import test from "ava";
import type { ExecutionContext } from "ava";
import { promises as fs } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { EngineError } from "../../provider/client/api-client";
import { CLI_ENTRY, REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, hostOf, transcript } from "../helpers/cli";
import { run } from "../helpers/docker";
import { shellQuote, skiffOnTerminal } from "../helpers/terminal";

// The CLI at its edges, as a Unix tool: a busy port is one line naming the flag, a reader that goes
// away (| head -1) ends it quietly, an internal error is one line pointing at --verbosity debug;
// deletes ask to confirm on a terminal (-q skips) and never ask without one.

let engine: TestEngine;
let image: string;
let scratch: string;

test.before(async () => {
  [image, engine, scratch] = await Promise.all([fixtureImage(), startEngine(), fs.mkdtemp(path.join(os.tmpdir(), "skiff-cli-edges-"))]);
});

test.after.always(async () => {
  await engine?.dispose();
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
});

/** A TCP server on 127.0.0.1 holding a port, as another program would. */
async function occupyPort(): Promise<net.Server & { port: number }> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return Object.assign(server, { port: (server.address() as net.AddressInfo).port });
}

async function busyPort(t: ExecutionContext, flag: "--ingress-port" | "--api-port") {
  const server = await occupyPort();
  // A home of its own: this engine must not start, and the file's engine is not disturbed.
  const other = new TestEngine(await fs.mkdtemp(path.join(os.tmpdir(), "skiff-test-home-busy-")));
  try {
    const ports = { "--ingress-port": "0", "--api-port": "0", [flag]: String(server.port) };
    const args = ["engine", "start", ...Object.entries(ports).flat()];
    const result = await other.skiff(args, { timeoutMs: 60_000 });
    t.is(result.code, 1, transcript(args, result));
    t.is(
      result.stderr,
      `skiff: error: ${flag}: port ${server.port} is in use\n`,
      `exactly one line, no stack trace\n${transcript(args, result)}`,
    );
    t.is(result.stdout, "");
    t.is(other.readEngineFile(), undefined, "no engine.json: no daemon was left running");
  } finally {
    server.close();
    await other.dispose();
  }
}

test(
  "engine start on a busy ingress port exits 1 with one stderr line naming --ingress-port and no stack trace",
  busyPort,
  "--ingress-port",
);

test("engine start on a busy admin API port exits 1 with one stderr line naming --api-port", busyPort, "--api-port");

test("services describe S | head -1 ends quietly: exit 0 (pipefail), the first line, nothing on stderr, although the output is larger than a pipe holds", async (t) => {
  const service = "wordy";
  // 160 variables of 1,000 characters: the describe table's Env line is ~160 KB, more than a pipe
  // buffers (64 KiB), so the CLI is still writing when head exits and its next write gets EPIPE.
  const file = path.join(scratch, "wordy.yaml");
  await fs.writeFile(file, Array.from({ length: 160 }, (_, i) => `V${i}: ${"x".repeat(1000)}`).join("\n") + "\n");
  await deploy(engine, service, ["--image", image, "--env-vars-file", file]);
  const describe = ["services", "describe", service].map(shellQuote).join(" ");
  const cli = `${shellQuote(process.execPath)} ${shellQuote(CLI_ENTRY)} ${describe}`;
  const env = { ...process.env, SKIFF_HOME: engine.home };

  const size = await run("bash", ["-c", `set -o pipefail; ${cli} | wc -c`], { env, cwd: REPO_ROOT, timeoutMs: 60_000 });
  t.is(size.code, 0, size.stderr);
  t.true(Number(size.stdout.trim()) > 65_536, `the whole output is ${size.stdout.trim()} bytes, more than a pipe buffer`);

  for (let i = 0; i < 3; i++) {
    const result = await run("bash", ["-c", `set -o pipefail; ${cli} | head -1`], { env, cwd: REPO_ROOT, timeoutMs: 60_000 });
    t.is(result.stderr, "", `attempt ${i + 1}: no EPIPE error, no stack trace`);
    t.is(result.code, 0, `attempt ${i + 1}: the CLI exits 0 when its reader goes away\n${result.stderr}`);
    t.is(result.stdout, `Service ${service} in project default\n`);
  }
});

test("SKIFF_HOME naming a file is the user's to fix: exit 1, one line naming SKIFF_HOME, for the engine and every other command", async (t) => {
  const notADirectory = path.join(scratch, "home-is-a-file");
  await fs.writeFile(notADirectory, "");
  const bad = new TestEngine(notADirectory);
  for (const args of [
    ["engine", "start", "--ingress-port", "0", "--api-port", "0"],
    ["services", "list"],
  ]) {
    const result = await bad.skiff(args, { timeoutMs: 60_000 });
    t.is(result.code, 1, transcript(args, result));
    t.is(
      result.stderr,
      `skiff: error: SKIFF_HOME: ${notADirectory} is not a directory; point SKIFF_HOME at a directory, or unset it for ~/.skiff\n`,
      transcript(args, result),
    );
    t.is(result.stdout, "");
  }
});

test("an internal error (the home's logs folder is a file) is one line ending with the hint to use --verbosity debug; with it, the stack follows", async (t) => {
  const home = path.join(scratch, "home-with-a-logs-file");
  await fs.mkdir(home);
  const logs = path.join(home, "logs");
  await fs.writeFile(logs, "");
  const bad = new TestEngine(home);
  const args = ["engine", "start", "--foreground", "--ingress-port", "0", "--api-port", "0"];
  const result = await bad.skiff(args, { timeoutMs: 60_000 });
  t.is(result.code, 2, transcript(args, result));
  t.is(
    result.stderr,
    `skiff: internal error: EEXIST: file already exists, mkdir '${logs}' (run with --verbosity debug for details)\n`,
    transcript(args, result),
  );
  t.is(result.stdout, "");

  const debugArgs = ["--verbosity", "debug", ...args];
  const debug = await bad.skiff(debugArgs, { timeoutMs: 60_000 });
  t.is(debug.code, 2, transcript(debugArgs, debug));
  const [first, ...rest] = debug.stderr.trimEnd().split("\n");
  t.is(first, `skiff: internal error: Error: EEXIST: file already exists, mkdir '${logs}'`);
  t.true(rest.length >= 3 && rest.every((line) => /^\s+at /.test(line)), `the stack follows:\n${debug.stderr}`);
  t.false(debug.stderr.includes("--verbosity debug for details"));
});

// ---- deletes ask to confirm on a terminal ----

let services: Promise<void> | undefined;

/** The services the delete tests remove (or keep), deployed once. */
function deleteTargets(): Promise<void> {
  services ??= (async () => {
    for (const name of ["keep-me", "say-yes", "quiet-delete", "piped-delete", "global-quiet"])
      await deploy(engine, name, ["--image", image]);
  })();
  return services;
}

async function assertGone(t: ExecutionContext, service: string) {
  const error = await t.throwsAsync(describeService(engine, service));
  t.true(error instanceof EngineError && error.status === 404, `the engine no longer has ${service}: ${String(error)}`);
  t.is((await engine.request(hostOf(engine, service), "/")).status, 404);
}

const PROMPT = (service: string) => `Service [${service}] in project [default] will be deleted.\n\nDo you want to continue (Y/n)?  `;

test("on a terminal, answering n to services delete exits 1 and the service still exists and serves", async (t) => {
  await deleteTargets();
  const result = await skiffOnTerminal(["services", "delete", "keep-me"], { home: engine.home, answer: { when: "(Y/n)?", send: "n\r" } });
  t.is(result.code, 1, result.output);
  t.true(result.output.includes(PROMPT("keep-me")), `the question is asked:\n${result.output}`);
  t.true(result.output.endsWith("skiff: error: aborted: nothing was deleted\n"), result.output);
  t.is((await describeService(engine, "keep-me")).name, "keep-me");
  const answer = await engine.request(hostOf(engine, "keep-me"), "/");
  t.is(answer.status, 200, answer.body);
});

test("on a terminal, answering y to services delete deletes", async (t) => {
  await deleteTargets();
  const result = await skiffOnTerminal(["services", "delete", "say-yes"], { home: engine.home, answer: { when: "(Y/n)?", send: "y\r" } });
  t.is(result.code, 0, result.output);
  t.true(result.output.includes(PROMPT("say-yes")), result.output);
  t.true(result.output.endsWith("deleted service say-yes\n"), result.output);
  await assertGone(t, "say-yes");
});

test("on a terminal, services delete -q deletes without asking", async (t) => {
  await deleteTargets();
  const result = await skiffOnTerminal(["services", "delete", "quiet-delete", "-q"], { home: engine.home });
  t.is(result.code, 0, result.output);
  t.is(result.output, "deleted service quiet-delete\n", "no question, just the result");
  await assertGone(t, "quiet-delete");
});

test("gcloud's global -q: on a terminal, skiff -q services delete S deletes without asking; --quiet is taken by every command, data still on stdout", async (t) => {
  await deleteTargets();
  const result = await skiffOnTerminal(["-q", "services", "delete", "global-quiet"], { home: engine.home });
  t.is(result.code, 0, result.output);
  t.is(result.output, "deleted service global-quiet\n", "no question, just the result");
  await assertGone(t, "global-quiet");
  for (const args of [
    ["services", "describe", "keep-me", "--quiet", "--format", "value(metadata.name)"],
    ["services", "list", "--quiet", "--filter", "metadata.name=keep-me", "--format", "value(metadata.name)"],
    ["revisions", "list", "--service", "keep-me", "-q", "--format", "value(metadata.labels.'serving.knative.dev/service')"],
  ]) {
    const answer = await engine.skiff(args);
    t.is(answer.code, 0, transcript(args, answer));
    t.is(answer.stdout, "keep-me\n", transcript(args, answer));
  }
  // gcloud's services replace takes --async (and scripts pass --quiet to everything): an export replaced as it is changes nothing.
  const file = path.join(scratch, "keep-me.yaml");
  await fs.writeFile(file, (await engine.skiff(["services", "describe", "keep-me", "--format", "export"])).stdout);
  const replace = ["services", "replace", file, "--async", "--quiet", "--format", "value(status.latestCreatedRevisionName)"];
  const replaced = await engine.skiff(replace);
  t.is(replaced.code, 0, transcript(replace, replaced));
  t.is(replaced.stdout, `${(await describeService(engine, "keep-me")).latestCreatedRevision}\n`, transcript(replace, replaced));
});

test("without a terminal, services delete deletes without asking", async (t) => {
  await deleteTargets();
  const args = ["services", "delete", "piped-delete"];
  const result = await engine.skiff(args);
  t.is(result.code, 0, transcript(args, result));
  t.is(result.stdout, "deleted service piped-delete\n");
  t.is(result.stderr, "");
  await assertGone(t, "piped-delete");
});

test("a client that outlives its engine (the Pulumi provider does) is told the engine stopped and how to start it, not a bare ECONNREFUSED", async (t) => {
  const own = await startEngine();
  try {
    const api = await own.api();
    t.deepEqual(await api.listServices("default"), []);
    await own.killDaemon();
    const error = await t.throwsAsync(api.listServices("default"));
    t.regex(error!.message, /^the skiff engine stopped \(home .+; the call got: .+\); start it again with: skiff engine start$/);
  } finally {
    await own.dispose();
  }
});
