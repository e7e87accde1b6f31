import test from "ava";
import type { EngineClient } from "../../provider/client/api-client";
import { TestEngine, startEngine } from "../helpers/engine";
import { skiffOk } from "../helpers/cli";
import { eventually } from "../helpers/http";
import { pairImages } from "../helpers/pair-images";

// Jobs whose tasks have a sidecar, on real Docker (issue 23): the main container reaches the
// sidecar on localhost, the task ends when the main container exits and the sidecar is then
// stopped; the same through the CLI's --container groups. (Services' instances of several
// containers are in sidecars.test.ts.)

let engine: TestEngine;
let client: EngineClient;
let images: { proxy: string; backend: string };

test.before(async () => {
  [images, engine] = await Promise.all([pairImages(), startEngine()]);
  client = await engine.api();
});

test.after.always(async () => {
  await engine?.dispose();
});

test.serial(
  "a job's task with a sidecar: the main container reaches it on localhost, the task ends when it exits, the sidecar is stopped",
  async (t) => {
    const fetchOnce = [
      "fetch('http://127.0.0.1:9000/from-task').then(r => r.text()).then(",
      "body => { console.log('task got ' + body); process.exit(0); },",
      "error => { console.error(String(error)); process.exit(1); })",
    ].join(" ");
    await client.putJob("default", "paired-job", {
      template: {
        image: images.backend,
        command: ["/node"],
        args: ["-e", fetchOnce],
        containerName: "main",
        dependsOn: ["backend"],
        taskCount: 2,
        maxRetries: 0,
        sidecars: [
          {
            name: "backend",
            image: images.backend,
            env: { PAIR_BACKEND_PORT: "9000", PAIR_LISTEN_DELAY_MS: "500" },
            startupProbe: { tcpSocket: { port: 9000 }, periodSeconds: 1, failureThreshold: 30 },
          },
        ],
      },
    });
    const started = await client.executeJob("default", "paired-job");
    let execution = started;
    while (execution.status === "RUNNING") execution = await client.getExecution("default", started.name, 60);
    t.is(execution.status, "SUCCEEDED", JSON.stringify(execution));
    const main = await engine.skiff(["logs", "read", "paired-job", "--container", "main"]);
    t.regex(main.stdout, / container main stdout: task got \{"role":"backend".*"path":"\/from-task"\}/);
    t.notRegex(main.stdout, /backend: listening/);
    const sidecar = await engine.skiff(["logs", "read", "paired-job", "--container", "backend"]);
    t.regex(
      sidecar.stdout,
      / container backend stdout: backend: stopped by SIGTERM/,
      "the sidecar was stopped with SIGTERM after the main container exited",
    );
    await eventually(
      "the task containers to go",
      async () => !(await engine.containers()).some((c) => c.labels["skiff.execution"] === started.name),
      30_000,
      100,
    );
    t.false(
      (await engine.containers()).some((c) => c.labels["skiff.execution"] === started.name),
      "no container of the task is left",
    );
  },
);

test.serial(
  "the CLI: jobs create with --container groups runs the task beside its sidecar; a main container with --port is exit 1",
  async (t) => {
    const script = "fetch('http://127.0.0.1:9000/cli-task').then(r => r.text()).then(b => console.log('cli task got ' + b))";
    const created = await engine.skiff([
      "jobs",
      "create",
      "cli-job",
      "--container",
      "main",
      "--image",
      images.backend,
      "--command",
      "/node",
      "--args",
      `-e,${script}`,
      "--depends-on",
      "backend",
      "--container",
      "backend",
      "--image",
      images.backend,
      "--set-env-vars",
      "PAIR_BACKEND_PORT=9000",
      "--startup-probe",
      "tcpSocket.port=9000,periodSeconds=1,failureThreshold=30",
      "--max-retries",
      "0",
    ]);
    t.is(created.code, 0, created.stderr);
    const executed = await engine.skiff(["jobs", "execute", "cli-job", "--wait"], { timeoutMs: 120_000 });
    t.is(executed.code, 0, `${executed.stdout}${executed.stderr}`);
    const logs = await engine.skiff(["logs", "read", "cli-job", "--container", "main"]);
    t.regex(logs.stdout, /container main stdout: cli task got \{"role":"backend"/);
    const bad = await engine.skiff(["jobs", "update", "cli-job", "--container", "main", "--port", "8080"]);
    t.is(bad.code, 1);
    t.regex(bad.stderr, /--container main: --port: a job's containers serve no requests/);
  },
);

test.serial("the CLI: --set-secrets in a job sidecar's group reaches that sidecar alone, not the main container", async (t) => {
  const value = `job-sidecar-token-${engine.engineId}`;
  await skiffOk(engine, ["secrets", "create", "job-token", "--data-file", "-"], value);
  const script =
    "fetch('http://127.0.0.1:9000/env?name=TOKEN').then(r => r.text()).then(b => console.log('main TOKEN=' + process.env.TOKEN + ' sidecar ' + b))";
  await skiffOk(engine, [
    "jobs",
    "update",
    "cli-job",
    "--container",
    "main",
    "--args",
    `-e,${script}`,
    "--container",
    "backend",
    "--set-secrets",
    "TOKEN=job-token:1",
  ]);
  const described = (await skiffOk(engine, ["jobs", "describe", "cli-job"])).stdout;
  t.regex(described, /Secrets: +-\n/, "the main container has no secret");
  t.regex(described, /Sidecar: +backend: .*\n.*\n +secrets TOKEN=job-token:1\n/);
  const executed = await engine.skiff(["jobs", "execute", "cli-job", "--wait"], { timeoutMs: 120_000 });
  t.is(executed.code, 0, `${executed.stdout}${executed.stderr}`);
  const logs = (await skiffOk(engine, ["logs", "read", "cli-job", "--container", "main"])).stdout;
  t.true(logs.includes(`main TOKEN=undefined sidecar {"role":"backend","name":"TOKEN","value":"${value}"}`), logs);
});

test.serial(
  "the CLI: jobs execute --container MAIN --args --update-env-vars override the main container for one execution; a sidecar's group is exit 1",
  async (t) => {
    const script = "console.log('override NOTE=' + process.env.NOTE)";
    const args = [
      "jobs",
      "execute",
      "cli-job",
      "--wait",
      "--container",
      "main",
      "--args",
      `-e,${script}`,
      "--update-env-vars",
      "NOTE=once",
    ];
    const executed = await engine.skiff(args, { timeoutMs: 120_000 });
    t.is(executed.code, 0, `${executed.stdout}${executed.stderr}`);
    const logs = (await skiffOk(engine, ["logs", "read", "cli-job", "--container", "main"])).stdout;
    t.true(logs.includes("override NOTE=once"), logs);
    const sidecar = await engine.skiff(["jobs", "execute", "cli-job", "--container", "backend", "--args", "x"]);
    t.is(sidecar.code, 1);
    t.is(
      sidecar.stderr,
      'skiff: error: --container backend: is a sidecar: an execution overrides only the main container\'s ("main") args and env\n',
    );
  },
);
