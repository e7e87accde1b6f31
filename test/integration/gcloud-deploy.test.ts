import test from "ava";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { describeRevision, describeService, hostOf, listRevisions, skiffOk, transcript } from "../helpers/cli";
import { eventually } from "../helpers/http";
import { firstChunkWith, skiffOnTerminal, skiffStreamed } from "../helpers/terminal";

// `skiff deploy` takes gcloud run deploy's flags with gcloud's meaning: a command pasted from Cloud
// Run's docs works (flags that mean something only on Google Cloud are accepted and named once;
// --allow-unauthenticated has its effect, service-access.test.ts shows it),
// --set/--update/--remove/--clear-env-vars and --env-vars-file (and the same for labels) change the
// service's set the way gcloud does, --revision-suffix names the revision. While it waits, deploy
// shows its steps: a spinner on a terminal, plain lines otherwise; --async returns at once.

let engine: TestEngine;
let image: string;
let scratch: string;

test.before(async () => {
  [image, engine, scratch] = await Promise.all([fixtureImage(), startEngine(), fs.mkdtemp(path.join(os.tmpdir(), "skiff-gcloud-deploy-"))]);
});

test.after.always(async () => {
  await engine?.dispose();
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
});

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

/** What the instance serving `service` sees in its environment (the fixture's GET /env). */
async function servedEnv(service: string): Promise<Record<string, string>> {
  const answer = await engine.request(hostOf(engine, service), "/env");
  if (answer.status !== 200) throw new Error(`GET /env of ${service} answered ${answer.status}: ${answer.body}`);
  return JSON.parse(answer.body) as Record<string, string>;
}

/** Where the engine tells its containers the metadata server is (none where it does not serve them). */
let metadataEnv: Record<string, string> | undefined;

/** The environment the platform adds to every instance of a revision of `service`. */
async function platformEnv(service: string, revision: string): Promise<Record<string, string>> {
  if (!metadataEnv) {
    const metadata = (await (await engine.api()).engineInfo()).containers?.metadata;
    metadataEnv = metadata ? { GCE_METADATA_HOST: metadata, GCE_METADATA_IP: metadata } : {};
  }
  return { PORT: "8080", K_SERVICE: service, K_REVISION: revision, K_CONFIGURATION: service, ...metadataEnv };
}

const DEPLOY_STEPS = (revision: string) => [
  "Creating revision: done",
  `Starting instance of ${revision}: done`,
  "Routing traffic: done",
  "Done.",
];

test("a deploy command pasted from Cloud Run's quickstart works, naming --region once as having no local effect; --allow-unauthenticated makes it public", async (t) => {
  const args = [
    "deploy",
    "hello",
    "--image",
    image,
    "--region",
    "us-central1",
    "--allow-unauthenticated",
    "--set-env-vars",
    "A=1,B=2",
    "--memory",
    "256Mi",
    "--timeout",
    "1m30s",
    "--quiet",
  ];
  const result = await skiffOk(engine, args);
  const s = await describeService(engine, "hello");
  const revision = s.latestCreatedRevision ?? "";
  t.regex(revision, /^hello-00001-[a-z]{3}$/);
  t.deepEqual(
    lines(result.stderr),
    ["skiff: note: --region has no local effect and is ignored", ...DEPLOY_STEPS(revision)],
    `one note naming --region, then the steps\n${transcript(args, result)}`,
  );
  t.is(
    result.stdout,
    `Revision ${revision} is ready and serves 100% of traffic.\nService URL: http://hello.localhost:${engine.ingressPort}\n`,
  );
  t.deepEqual(s.template.env, { A: "1", B: "2" }, "the template has exactly the variables of --set-env-vars");
  t.is(s.template.resources.memory, "256Mi");
  t.is(s.template.timeout, 90, "--timeout 1m30s is 90 seconds");
  t.is(s.latestReadyRevision, revision);
  t.deepEqual(s.invokers, ["allUsers"], "--allow-unauthenticated: anyone may call it, without a token");
  t.deepEqual(
    await servedEnv("hello"),
    { A: "1", B: "2", ...(await platformEnv("hello", revision)) },
    "the instance runs with exactly that environment",
  );
});

test("env flags follow gcloud: --update-env-vars and --env add, --remove-env-vars removes, --env-vars-file and --set-env-vars replace, --clear-env-vars empties; set and update together exit 1 naming both; dotted and hyphenated names are names, X_GOOGLE_* is refused", async (t) => {
  const service = "envs";
  const file = path.join(scratch, "env.yaml");
  // A YAML mapping as gcloud's --env-vars-file takes it: strings only (an unquoted 1 or true is refused, see env-vars-file.test).
  await fs.writeFile(file, 'X: "1"\nWORDS: two words\nZ: "true"\n');
  const steps: [string[], Record<string, string>][] = [
    [["--image", image, "--set-env-vars", "A=1,B=2"], { A: "1", B: "2" }],
    [["--update-env-vars", "C=3"], { A: "1", B: "2", C: "3" }],
    [["--remove-env-vars", "A"], { B: "2", C: "3" }],
    [["--env", "D=4,E=5"], { B: "2", C: "3", D: "4", E: "5" }],
    [["--env-vars-file", file], { X: "1", WORDS: "two words", Z: "true" }],
    [["--set-env-vars", "P=1"], { P: "1" }],
    // Names as Spring and Elasticsearch images read them: Cloud Run takes any printable ASCII but "=".
    [["--update-env-vars", "spring.profiles.active=dev,my-var=x"], { P: "1", "spring.profiles.active": "dev", "my-var": "x" }],
    [["--clear-env-vars"], {}],
  ];
  for (const [flags, want] of steps) {
    const args = ["deploy", service, ...flags];
    await skiffOk(engine, args);
    const s = await describeService(engine, service);
    t.deepEqual(s.template.env, want, `template env after: skiff ${args.join(" ")}`);
    t.deepEqual(
      await servedEnv(service),
      { ...want, ...(await platformEnv(service, s.latestCreatedRevision ?? "")) },
      `served env after: skiff ${args.join(" ")}`,
    );
  }
  t.is((await listRevisions(engine, service)).length, steps.length, "every step that changed the env made one revision");

  const before = await describeService(engine, service);
  const args = ["deploy", service, "--set-env-vars", "X=1", "--update-env-vars", "Y=2"];
  const refused = await engine.skiff(args);
  t.is(refused.code, 1, transcript(args, refused));
  t.is(
    refused.stderr,
    "skiff: error: --set-env-vars: cannot be combined with --update-env-vars/--remove-env-vars\n",
    transcript(args, refused),
  );
  t.is(refused.stdout, "");
  const after = await describeService(engine, service);
  t.is(after.generation, before.generation, "the refused deploy changed nothing");
  t.deepEqual(after.template.env, {});
  t.is((await listRevisions(engine, service)).length, steps.length, "and made no revision");

  const google = ["deploy", service, "--update-env-vars", "X_GOOGLE_TRACE=1"];
  const reserved = await engine.skiff(google);
  t.is(reserved.code, 1, transcript(google, reserved));
  t.regex(reserved.stderr, /X_GOOGLE_TRACE.*is reserved: names starting with X_GOOGLE_/, transcript(google, reserved));
  t.is((await listRevisions(engine, service)).length, steps.length, "the refused deploy made no revision");
});

test("services update takes deploy's flags for a service that exists: a new revision with the change (a sidecar's too), no revision without one; a missing service exits 1 and is not created; --source is not its flag", async (t) => {
  const service = "updated";
  await skiffOk(engine, ["deploy", service, "--image", image, "--set-env-vars", "A=1"]);
  const changed = await skiffOk(engine, ["services", "update", service, "--update-env-vars", "B=2", "--concurrency", "7"]);
  const s = await describeService(engine, service);
  t.deepEqual(s.template.env, { A: "1", B: "2" });
  t.is(s.template.maxInstanceRequestConcurrency, 7);
  t.is(s.template.image, image, "flags not given keep the service's values");
  t.regex(changed.stdout, new RegExp(`Revision ${s.latestCreatedRevision} is ready and serves 100% of traffic`));
  t.like(await servedEnv(service), { A: "1", B: "2" });
  t.is((await listRevisions(engine, service)).length, 2);

  // A script's way to the newest revision, and to a service by name: gcloud's list flags.
  const newest = await skiffOk(engine, [
    "revisions",
    "list",
    "--service",
    service,
    "--sort-by",
    "~metadata.creationTimestamp",
    "--limit",
    "1",
    "--format",
    "value(metadata.name)",
  ]);
  t.is(newest.stdout, `${s.latestCreatedRevision}\n`);
  const found = await skiffOk(engine, [
    "services",
    "list",
    "--filter",
    `metadata.name=${service}`,
    "--format",
    "value(status.url)",
    "--region",
    "us-central1",
  ]);
  t.is(found.stdout, `${s.url}\n`);

  const unchanged = await skiffOk(engine, ["services", "update", service, "--update-env-vars", "B=2"]);
  t.regex(unchanged.stdout, /No change to the template/);
  t.is((await listRevisions(engine, service)).length, 2, "an update that changes nothing makes no revision");

  // A sidecar is added and changed by its --container group, as with deploy.
  await skiffOk(engine, [
    "services",
    "update",
    service,
    "--container",
    "helper",
    "--image",
    image,
    "--command",
    "/node",
    "--args",
    "-e,require('http').createServer().listen(9000)",
  ]);
  await skiffOk(engine, ["services", "update", service, "--container", "helper", "--update-env-vars", "H=1"]);
  const withSidecar = await describeService(engine, service);
  t.deepEqual(
    withSidecar.template.sidecars?.map((c) => [c.name, c.env]),
    [["helper", { H: "1" }]],
  );
  t.deepEqual(withSidecar.template.env, { A: "1", B: "2" }, "the ingress container's env is its own");
  t.is(
    withSidecar.template.containerName,
    `${service}-1`,
    "the app's container, unnamed until it had a sidecar, is named as Cloud Run's console names it",
  );
  t.like(await servedEnv(service), { A: "1", B: "2" }, "and still serves");

  for (const args of [
    ["services", "update", "nowhere", "--update-env-vars", "A=1"],
    ["services", "update", "nowhere", "--image", image],
  ]) {
    const missing = await engine.skiff(args);
    t.is(missing.code, 1, transcript(args, missing));
    t.is(
      missing.stderr,
      'skiff: error: service "nowhere" not found in project "default": create it with skiff deploy\n',
      transcript(args, missing),
    );
  }
  t.false((await listServiceNames()).includes("nowhere"), "services update never creates a service");

  const source = ["services", "update", service, "--source", scratch];
  const refused = await engine.skiff(source);
  t.is(refused.code, 1, transcript(source, refused));
  t.regex(refused.stderr, /unknown option '--source'/);
});

async function listServiceNames(): Promise<string[]> {
  return (await engine.api()).listServices("default").then((list) => list.map((s) => s.name));
}

test("label flags follow gcloud: --labels replaces, --update-labels adds or changes, --remove-labels removes, --clear-labels empties; --labels with --update-labels exits 1 naming both", async (t) => {
  const service = "labelled";
  const steps: [string[], Record<string, string>][] = [
    [["--image", image, "--labels", "team=web,tier=frontend"], { team: "web", tier: "frontend" }],
    [["--update-labels", "tier=backend,owner=ops"], { team: "web", tier: "backend", owner: "ops" }],
    [["--remove-labels", "team"], { tier: "backend", owner: "ops" }],
    [["--labels", "env=dev"], { env: "dev" }],
    [["--clear-labels"], {}],
    [["--update-labels", "a=1"], { a: "1" }],
  ];
  for (const [flags, want] of steps) {
    const args = ["deploy", service, ...flags];
    await skiffOk(engine, args);
    t.deepEqual((await describeService(engine, service)).labels, want, `labels after: skiff ${args.join(" ")}`);
    const shown = await skiffOk(engine, ["services", "describe", service, "--format", "value(metadata.labels)"]);
    t.is(
      shown.stdout,
      `${Object.entries(want)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}=${v}`)
        .join(";")}\n`,
      "services describe shows the same labels, as gcloud prints a map: k=v;k=v by key",
    );
  }
  const before = await describeService(engine, service);
  const args = ["deploy", service, "--labels", "x=1", "--update-labels", "y=2"];
  const refused = await engine.skiff(args);
  t.is(refused.code, 1, transcript(args, refused));
  t.is(refused.stderr, "skiff: error: --labels: cannot be combined with --update-labels/--remove-labels\n", transcript(args, refused));
  const after = await describeService(engine, service);
  t.deepEqual(after.labels, { a: "1" });
  t.is(after.generation, before.generation, "the refused deploy changed nothing");
});

test("--revision-suffix v9 names the revision <service>-v9; the same suffix with another template exits 1 naming --revision-suffix and changes nothing", async (t) => {
  const service = "suffixed";
  const first = await skiffOk(engine, ["deploy", service, "--image", image, "--revision-suffix", "v9", "--set-env-vars", "R=1"]);
  t.is(
    first.stdout,
    `Revision suffixed-v9 is ready and serves 100% of traffic.\nService URL: http://suffixed.localhost:${engine.ingressPort}\n`,
  );
  const s = await describeService(engine, service);
  t.is(s.latestCreatedRevision, "suffixed-v9");
  t.is(s.latestReadyRevision, "suffixed-v9");
  const answer = await engine.request(hostOf(engine, service), "/");
  t.is(answer.status, 200, answer.body);
  t.is(answer.body, "K_REVISION=suffixed-v9\n");

  const args = ["deploy", service, "--revision-suffix", "v9", "--update-env-vars", "R=2"];
  const refused = await engine.skiff(args);
  t.is(refused.code, 1, transcript(args, refused));
  t.is(
    refused.stderr,
    'skiff: error: --revision-suffix (revisionSuffix): revision "suffixed-v9" already exists with another template\n',
    "one error line, no progress lines",
  );
  t.is(refused.stdout, "");
  const after = await describeService(engine, service);
  t.deepEqual(after.template, s.template, "the template is unchanged (R is still 1)");
  t.is(after.generation, s.generation);
  t.deepEqual(
    (await listRevisions(engine, service)).map((r) => r.name),
    ["suffixed-v9"],
    "no revision was made",
  );
  t.is((await engine.request(hostOf(engine, service), "/")).body, "K_REVISION=suffixed-v9\n");
});

// ---- progress ----

const SPINNER = "[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]";

test("on a terminal, deploy draws a spinner per step while it waits and ticks each off: Creating revision, Starting instance, Routing traffic, then Done.", async (t) => {
  const service = "tty-steps";
  const args = ["deploy", service, "--image", image, "--set-env-vars", "FIXTURE_LISTEN_DELAY_MS=3000"];
  const result = await skiffOnTerminal(args, { home: engine.home, timeoutMs: 90_000 });
  const shown = `$ skiff ${args.join(" ")} (on a terminal)\n(exit ${result.code})\n${JSON.stringify(result.raw).slice(0, 3000)}`;
  t.is(result.code, 0, shown);
  const revision = (await describeService(engine, service)).latestCreatedRevision ?? "";
  t.regex(revision, /^tty-steps-00001-[a-z]{3}$/);

  // Each step is drawn as "<frame> <step>..." on one line (\r, erase line) and redrawn every 80 ms.
  const frames = (step: string) => result.raw.match(new RegExp(`\\r\\x1b\\[2K${SPINNER} ${step}\\.\\.\\.`, "g"))?.length ?? 0;
  t.true(frames("Creating revision") >= 1, shown);
  t.true(
    frames(`Starting instance of ${revision}`) >= 10,
    `the spinner turns while the instance starts (3 s): ${frames(`Starting instance of ${revision}`)} frames\n${shown}`,
  );
  t.true(frames("Routing traffic") >= 1, shown);
  // A finished step is redrawn with a check mark and ends its line.
  // eslint-disable-next-line no-control-regex -- the terminal's escape (ESC [2K) is what the test reads
  const ticked = [...result.raw.matchAll(/\r\x1b\[2K✓ ([^\r\n]*)\r\n/g)].map((m) => m[1]);
  t.deepEqual(ticked, ["Creating revision", `Starting instance of ${revision}`, "Routing traffic"], shown);
  t.true(result.output.includes("✓ Routing traffic\nDone.\n"), shown);
  t.true(
    result.output.endsWith(
      `Revision ${revision} is ready and serves 100% of traffic.\nService URL: http://tty-steps.localhost:${engine.ingressPort}\n`,
    ),
    shown,
  );
  t.false(result.output.includes(": done"), "no plain progress lines on a terminal");

  // Shown while it waits, not all at the end: the first step was ticked off seconds before Done.
  const created = firstChunkWith(result.chunks, "✓ Creating revision");
  const starting = firstChunkWith(result.chunks, `Starting instance of ${revision}...`);
  const done = firstChunkWith(result.chunks, "Done.");
  t.truthy(created && starting && done, shown);
  t.true(
    done!.at - created!.at >= 2000,
    `"✓ Creating revision" showed at ${created!.at} ms, "Done." at ${done!.at} ms: the instance listens only after 3 s`,
  );
  t.true(done!.at - starting!.at >= 2000, `the "Starting instance" spinner showed at ${starting!.at} ms, "Done." at ${done!.at} ms`);
});

test("without a terminal, deploy prints one plain line per step on stderr as each finishes, and the summary on stdout", async (t) => {
  const service = "plain-steps";
  const args = ["deploy", service, "--image", image, "--set-env-vars", "FIXTURE_LISTEN_DELAY_MS=3000"];
  const result = await skiffStreamed(args, { home: engine.home, timeoutMs: 90_000 });
  t.is(result.code, 0, transcript(args, result));
  const revision = (await describeService(engine, service)).latestCreatedRevision ?? "";
  t.regex(revision, /^plain-steps-00001-[a-z]{3}$/);
  t.is(result.stderr, DEPLOY_STEPS(revision).join("\n") + "\n", "exactly the four plain lines, no spinner, no escape sequences");
  t.is(
    result.stdout,
    `Revision ${revision} is ready and serves 100% of traffic.\nService URL: http://plain-steps.localhost:${engine.ingressPort}\n`,
  );
  const created = firstChunkWith(result.chunks, "Creating revision: done", "stderr");
  const done = firstChunkWith(result.chunks, "Done.", "stderr");
  t.truthy(created && done);
  t.true(
    done!.at - created!.at >= 2000,
    `"Creating revision: done" arrived at ${created!.at} ms, "Done." at ${done!.at} ms: each line comes as its step finishes`,
  );
});

test("--async returns before the instance listens, leaving the revision PENDING; it becomes READY later and serves", async (t) => {
  const service = "async-steps";
  const listenDelayMs = 5000;
  const args = ["deploy", service, "--image", image, "--set-env-vars", `FIXTURE_LISTEN_DELAY_MS=${listenDelayMs}`, "--async"];
  const result = await skiffStreamed(args, { home: engine.home, timeoutMs: 60_000 });
  const revision = (await describeService(engine, service)).latestCreatedRevision ?? "";
  const right = await describeRevision(engine, revision);
  t.is(result.code, 0, transcript(args, result));
  t.true(
    result.elapsedMs < listenDelayMs,
    `deploy --async took ${result.elapsedMs} ms; the instance listens only after ${listenDelayMs} ms`,
  );
  t.is(right.status, "PENDING", "right after deploy --async the revision is still starting");
  t.regex(revision, /^async-steps-00001-[a-z]{3}$/);
  t.is(
    result.stderr,
    `Creating revision: done\nRevision ${revision} is being deployed; follow it with: skiff revisions describe ${revision}\n`,
  );
  t.is(result.stdout, "");

  const ready = await eventually(
    `${revision} becomes READY`,
    async () => {
      const r = await describeRevision(engine, revision);
      if (r.status === "FAILED") throw new Error(`${revision} failed: ${r.error}`);
      return r.status === "READY" ? r : undefined;
    },
    60_000,
  );
  t.is(ready.status, "READY");
  const answer = await engine.request(hostOf(engine, service), "/");
  t.is(answer.status, 200, answer.body);
  t.is(answer.body, `K_REVISION=${revision}\n`);
});
