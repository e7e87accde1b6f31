import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import test from "ava";
import { docker } from "../helpers/docker";
import { TestEngine, startEngine } from "../helpers/engine";
import { deploy, describeService, hostOf, listRevisions } from "../helpers/cli";
import { makeSourceApp, nodeBaseImage, serverSource } from "../helpers/source-app";

// `--source DIR`: the engine builds the directory with its Dockerfile (real Docker, no registry:
// the app is FROM a base image built here) and the revision pins what it built.

let engine: TestEngine;
let base: string;
const dirs: string[] = [];

test.before(async () => {
  [base, engine] = await Promise.all([nodeBaseImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

async function app(opts: Parameters<typeof makeSourceApp>[1]): Promise<string> {
  const dir = await makeSourceApp(base, opts);
  dirs.push(dir);
  return dir;
}

test("deploy --source serves the app; unchanged or ignored changes make no revision; a code change makes one", async (t) => {
  const dir = await app({ message: "v1", dockerignore: "notes.txt\n", files: { "notes.txt": "first" } });
  const first = await deploy(engine, "web", ["--source", dir]);
  t.regex(first.stderr, /Building /);
  t.is((await engine.request(hostOf(engine, "web"), "/")).body, "v1");

  const service = await describeService(engine, "web");
  t.regex(service.template.image, /^skiff\.local\/default\/web:[a-f0-9]{16}$/);
  const [revision] = await listRevisions(engine, "web");
  const imageId = (await docker(["image", "inspect", "--format", "{{.Id}}", service.template.image])).trim();
  t.is(revision.imageDigest, imageId, "the revision pins the built image's id");
  const labels = JSON.parse(await docker(["image", "inspect", "--format", "{{json .Config.Labels}}", imageId])) as Record<string, string>;
  t.like(labels, { "skiff.managed": "true", "skiff.engine": engine.engineId, "skiff.project": "default", "skiff.service": "web" });
  t.regex(engine.engineLog(), /"line":"Step 1\/\d+ : FROM /, "the build's output is in engine.log");

  const again = await deploy(engine, "web", ["--source", dir]);
  t.regex(again.stderr + again.stdout, /No change/);
  t.is((await listRevisions(engine, "web")).length, 1, "same sources: same image, no new revision");

  await fs.writeFile(path.join(dir, "notes.txt"), "edited, but .dockerignore leaves it out");
  await deploy(engine, "web", ["--source", dir]);
  t.is((await listRevisions(engine, "web")).length, 1, "a change to an ignored file makes no revision");

  await fs.writeFile(path.join(dir, "server.js"), serverSource("v2"));
  await deploy(engine, "web", ["--source", dir]);
  t.is((await listRevisions(engine, "web")).length, 2, "a code change makes a revision");
  t.is((await engine.request(hostOf(engine, "web"), "/")).body, "v2");
});

test("a RUN step that fails: exit 1 with the step and its last lines, nothing deployed", async (t) => {
  const dir = await app({
    message: "never",
    extraSteps: ['RUN ["/node", "-e", "console.log(\'checking the sources\'); console.error(\'lint: 3 problems\'); process.exit(3)"]'],
  });
  const result = await engine.skiff(["deploy", "broken", "--source", dir]);
  t.is(result.code, 1, result.stderr);
  t.regex(result.stderr, /The build failed at Step \d\/\d : RUN \["\/node"/);
  t.regex(result.stderr, /Its last lines:[\s\S]*lint: 3 problems/);
  t.regex(result.stderr, /returned a non-zero code: 3/);
  const describe = await engine.skiff(["services", "describe", "broken"]);
  t.not(describe.code, 0, "no service was created");
});

test("no Dockerfile: one error saying what to add and a suggested Dockerfile, nothing written", async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-source-"));
  dirs.push(dir);
  await fs.writeFile(path.join(dir, "package.json"), '{"name":"x","scripts":{"start":"node server.js"}}');
  const result = await engine.skiff(["deploy", "nodockerfile", "--source", dir]);
  t.is(result.code, 1, result.stderr);
  t.regex(result.stderr, new RegExp(`${path.join(dir, "Dockerfile")} does not exist; add a Dockerfile`));
  t.regex(result.stderr, /FROM node:22-slim[\s\S]*npm ci[\s\S]*CMD \["npm", "start"\]/);
  t.false(existsSync(path.join(dir, "Dockerfile")), "the suggestion is printed, not written");

  const named = await engine.skiff(["deploy", "nodockerfile", "--source", dir, "--dockerfile", "build/App.dockerfile"]);
  t.is(named.code, 1);
  t.regex(named.stderr, /build\/App\.dockerfile does not exist/);
  const both = await engine.skiff(["deploy", "nodockerfile", "--source", dir, "--image", base]);
  t.is(both.code, 1);
  t.regex(both.stderr, /either --image or --source/);
});

test("--dockerfile names another Dockerfile; .gcloudignore applies when there is no .dockerignore", async (t) => {
  const dir = await app({ message: "from-alt", gcloudignore: "*.log\n", files: { "debug.log": "1" } });
  await fs.rename(path.join(dir, "Dockerfile"), path.join(dir, "Alt.dockerfile"));
  await deploy(engine, "alt", ["--source", dir, "--dockerfile", "Alt.dockerfile"]);
  t.is((await engine.request(hostOf(engine, "alt"), "/")).body, "from-alt");
  const image = (await describeService(engine, "alt")).template.image;
  await fs.writeFile(path.join(dir, "debug.log"), "2");
  await deploy(engine, "alt", ["--source", dir, "--dockerfile", "Alt.dockerfile"]);
  t.is((await describeService(engine, "alt")).template.image, image, "the .gcloudignore'd file is not in the content hash");
});

test("jobs deploy --source builds the job's image, labelled with the job", async (t) => {
  const dir = await app({ message: "job" });
  await fs.writeFile(path.join(dir, "server.js"), 'console.log("task ran");\n');
  const result = await engine.skiff(["jobs", "deploy", "nightly", "--source", dir]);
  t.is(result.code, 0, result.stderr);
  const job = await engine.skiffJson<{ spec: { template: { spec: { template: { spec: { containers: { image: string }[] } } } } } }>([
    "jobs",
    "describe",
    "nightly",
  ]);
  const image = job.spec.template.spec.template.spec.containers[0].image;
  t.regex(image, /^skiff\.local\/default\/nightly:[a-f0-9]{16}$/);
  const labels = JSON.parse(await docker(["image", "inspect", "--format", "{{json .Config.Labels}}", image])) as Record<string, string>;
  t.is(labels["skiff.job"], "nightly");
});
