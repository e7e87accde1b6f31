import { spawn, type ChildProcess } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import test from "ava";
import { EngineError } from "../../provider/client/api-client";
import { docker } from "../helpers/docker";
import { CLI_ENTRY, TestEngine, startEngine } from "../helpers/engine";
import { hostOf, listRevisions } from "../helpers/cli";
import { eventually } from "../helpers/http";
import { makeSourceApp, nodeBaseImage, serverSource } from "../helpers/source-app";

// `skiff dev` as a person runs it: the real CLI process, real Docker, a source directory edited on
// disk while it watches, and Ctrl-C (SIGINT) at the end.

let engine: TestEngine;
let base: string;
const dirs: string[] = [];
const children: ChildProcess[] = [];

test.before(async () => {
  [base, engine] = await Promise.all([nodeBaseImage(), startEngine()]);
});

test.after.always(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await engine?.dispose();
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

/** The running `skiff dev`: everything it printed so far, and its exit. */
function startDev(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI_ENTRY, "dev", ...args], {
    env: { ...process.env, SKIFF_HOME: engine.home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let text = "";
  child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => text, exited };
}

async function body(service: string): Promise<string> {
  return (await engine.request(hostOf(engine, service), "/")).body;
}

test("skiff dev: serves, an edit serves on the same URL, a broken edit leaves the old one serving, Ctrl-C removes everything", async (t) => {
  const dir = await makeSourceApp(base, { message: "v1", dockerignore: "scratch/\n" });
  dirs.push(dir);
  const dev = startDev(["devweb", "--source", dir]);
  const seen = (pattern: RegExp, what: string, timeoutMs = 60_000) =>
    eventually(what, async () => pattern.test(dev.output()), timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message}\n--- skiff dev printed:\n${dev.output()}\n${engine.logTail()}`);
    });

  await seen(/serves 100 % at http:\/\/devweb\.localhost/, "the first revision serves");
  t.is(await body("devweb"), "v1");
  const [first] = await listRevisions(engine, "devweb");

  // An ignored file changes: no build is started.
  await fs.mkdir(path.join(dir, "scratch"));
  await fs.writeFile(path.join(dir, "scratch", "notes.txt"), "ignored");
  await new Promise((resolve) => setTimeout(resolve, 1000));
  t.is((dev.output().match(/building /g) ?? []).length, 1, "a change under an ignored path starts no build");

  // A code edit: the new code answers on the same URL; the time from the save to the answer is measured.
  const editedAt = Date.now();
  await fs.writeFile(path.join(dir, "server.js"), `console.log("v2 is up");\n${serverSource("v2")}`);
  await eventually("v2 answers", async () => (await body("devweb")) === "v2", 120_000, 50);
  const editToServing = Date.now() - editedAt;
  t.log(`edit to serving (measured by the test): ${editToServing} ms`);
  const printed = [...dev.output().matchAll(/edit to serving: ([\d.]+) s/g)].at(-1);
  t.truthy(printed, "skiff dev prints its edit-to-serving time");
  t.log(`edit to serving (printed by skiff dev): ${printed?.[1]} s`);
  await seen(/v2 is up/, "the service's log lines are tailed");
  const revisions = await listRevisions(engine, "devweb");
  t.is(revisions.length, 2);
  t.not(revisions.find((r) => r.name !== first.name)?.imageDigest, first.imageDigest);

  // A syntax error: the image builds, the revision does not start; v2 keeps serving and the reason is printed.
  await fs.writeFile(path.join(dir, "server.js"), "this is not javascript(\n");
  await seen(/did not start: .+/, "the broken revision is reported", 120_000);
  await seen(/keeps serving; fix it and save again/, "the old revision is said to keep serving");
  t.is(await body("devweb"), "v2", "the old revision still answers");

  // Ctrl-C: nothing this run created is left.
  dev.child.kill("SIGINT");
  t.is(await dev.exited, 0, dev.output());
  t.regex(dev.output(), /deleted service devweb and \d+ image\(s\) built for it/);
  const api = await engine.api();
  const gone = await api.getService("default", "devweb").then(
    () => false,
    (error: unknown) => error instanceof EngineError && error.status === 404,
  );
  t.true(gone, "the service is deleted");
  const ofDevweb = async () => (await engine.containers()).filter((c) => c.labels["skiff.service"] === "devweb");
  await eventually("no container of devweb left", async () => (await ofDevweb()).length === 0, 30_000).catch(async (error: Error) => {
    throw new Error(`${error.message}: ${JSON.stringify(await ofDevweb())}`);
  });
  const images = await docker([
    "images",
    "-q",
    "--filter",
    `label=skiff.engine=${engine.engineId}`,
    "--filter",
    "label=skiff.service=devweb",
  ]);
  t.is(images.trim(), "", "the images built for it are removed");
});

test("skiff dev on a directory whose build fails: the failing step is printed and it keeps watching; --keep keeps the service", async (t) => {
  const dir = await makeSourceApp(base, {
    message: "k1",
    extraSteps: ['RUN ["/node", "-e", "console.error(\'typecheck: 1 error\'); process.exit(2)"]'],
  });
  dirs.push(dir);
  const dev = startDev(["keepweb", "--source", dir, "--keep"]);
  const seen = (pattern: RegExp, what: string) =>
    eventually(what, async () => pattern.test(dev.output()), 60_000).catch((error: Error) => {
      throw new Error(`${error.message}\n--- skiff dev printed:\n${dev.output()}\n${engine.logTail()}`);
    });
  await seen(/the build failed at Step \d\/\d : RUN/, "the failed build is reported");
  await seen(/typecheck: 1 error/, "its last lines are printed");
  await seen(/nothing serves yet/, "it says nothing serves");

  // Fix the Dockerfile: the next build deploys.
  await makeSourceAppDockerfile(dir);
  await seen(/serves 100 % at /, "the fixed build serves");
  t.is(await body("keepweb"), "k1");

  dev.child.kill("SIGINT");
  t.is(await dev.exited, 0, dev.output());
  t.regex(dev.output(), /kept \(--keep\)/);
  t.true((await engine.containers()).some((c) => c.labels["skiff.service"] === "keepweb"));
  t.is(await body("keepweb"), "k1", "--keep: the service still serves after Ctrl-C");
});

async function makeSourceAppDockerfile(dir: string): Promise<void> {
  await fs.writeFile(
    path.join(dir, "Dockerfile"),
    [`FROM ${base}`, "WORKDIR /app", "COPY . /app/", 'CMD ["/app/server.js"]', ""].join("\n"),
  );
}
