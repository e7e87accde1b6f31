import test from "ava";
import Docker from "dockerode";
import type { EngineClient } from "../../provider/client/api-client";
import type { ServiceTemplateInput } from "../../provider/model/template";
import { describeFailures, runClients } from "../helpers/clients";
import { DockerEventLog } from "../helpers/docker-events";
import { docker, engineVolumes, inspectContainer } from "../helpers/docker";
import { TestEngine, startEngine } from "../helpers/engine";
import { deploy, skiffOk } from "../helpers/cli";
import { eventually } from "../helpers/http";
import { pairImages } from "../helpers/pair-images";

// Instances of several containers on real Docker (issue 23, must-shows 1 and 2): an ingress
// container that proxies to a sidecar on localhost, started only once the sidecar's startup probe
// passed; a sidecar killed takes its instance with it, which is replaced; two containers share an
// in-memory volume; every container and volume of an instance goes with it, also after a crash.
// (Jobs' tasks with a sidecar are in job-sidecars.test.ts.)

let engine: TestEngine;
let client: EngineClient;
let images: { proxy: string; backend: string };
let events: DockerEventLog;
/** Kills go through Docker's API from this process: the CLI's start-up would sit inside the window measured. */
const dockerApi = new Docker();

test.before(async () => {
  [images, engine] = await Promise.all([pairImages(), startEngine()]);
  client = await engine.api();
  events = new DockerEventLog({ "skiff.engine": engine.engineId });
});

test.after.always(async () => {
  events?.stop();
  await engine?.dispose();
});

const host = (service: string) => `${service}.localhost`;

/** The proxy in front, the backend beside it on port 9000, listening only after 1.5 s. */
function pairTemplate(extra: Partial<ServiceTemplateInput> = {}, backendEnv: Record<string, string> = {}): ServiceTemplateInput {
  return {
    image: images.proxy,
    containerName: "app",
    dependsOn: ["backend"],
    env: { PAIR_BACKEND_PORT: "9000" },
    ...extra,
    sidecars: [
      {
        name: "backend",
        image: images.backend,
        env: { PAIR_BACKEND_PORT: "9000", PAIR_LISTEN_DELAY_MS: "1500", ...backendEnv },
        startupProbe: { tcpSocket: { port: 9000 }, periodSeconds: 1, failureThreshold: 30 },
        ...(extra.volumeMounts ? { volumeMounts: [{ name: "shared", mountPath: "/data" }] } : {}),
      },
    ],
  };
}

async function containersOf(service: string) {
  return (await engine.containers()).filter((c) => c.labels["skiff.service"] === service);
}

interface BackendAnswer {
  role: string;
  startedAt: number;
  listenedAt: number;
  pid: number;
}

test.serial("requests reach the sidecar through the ingress container, which started only after the sidecar's probe passed", async (t) => {
  await client.putService("default", "paired", { template: pairTemplate() });
  const answer = await engine.request(host("paired"), "/hello");
  t.is(answer.status, 200, answer.body);
  const backend = JSON.parse(answer.body) as BackendAnswer;
  t.like(backend, { role: "backend", path: "/hello" });
  const proxyStartedAt = Number(answer.headers["x-proxy-started-at"]);
  // The sidecar started first and listened 1.5 s later; the ingress container's process began after that.
  t.true(backend.listenedAt - backend.startedAt >= 1500);
  t.true(proxyStartedAt >= backend.listenedAt, `proxy started at ${proxyStartedAt}, backend listened at ${backend.listenedAt}`);
  const containers = await containersOf("paired");
  t.deepEqual(containers.map((c) => c.labels["skiff.container"]).sort(), ["app", "backend"]);
  // One network namespace: the sidecar joined the container that started first (the backend here).
  const infos = await Promise.all(containers.map((c) => inspectContainer(c.id)));
  const app = infos.find((i) => i.Config.Labels["skiff.container"] === "app")!;
  const side = infos.find((i) => i.Config.Labels["skiff.container"] === "backend")!;
  t.is(app.HostConfig.NetworkMode, `container:${side.Id}`);
  t.true((app.Config.Env ?? []).some((e) => e.startsWith("PORT=")));
  t.false(
    (side.Config.Env ?? []).some((e) => e.startsWith("PORT=")),
    "only the ingress container gets PORT",
  );
  t.true((side.Config.Env ?? []).includes("K_SERVICE=paired"));
});

test.serial(
  "killing the sidecar's process under load replaces the instance: only requests sent before the kill call returned fail, none sent after the engine knew",
  async (t) => {
    const first = JSON.parse((await engine.request(host("paired"), "/")).body) as BackendAnswer;
    const oldIds = (await containersOf("paired")).map((c) => c.id);
    const [sidecar] = (await containersOf("paired")).filter((c) => c.labels["skiff.container"] === "backend");
    // 4 closed-loop clients, 50 ms requests through the proxy to the sidecar, for 10 s; the kill at 2.5 s.
    const loading = runClients({
      port: engine.ingressPort,
      host: `${host("paired")}:${engine.ingressPort}`,
      path: "/slow?ms=50",
      durationMs: 10_000,
      clientsAt: () => 4,
      keepAlive: true,
      requestTimeoutMs: 20_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    // Through Docker's API from this process, so no CLI start-up sits in the window. Docker answers
    // a SIGKILL only once the container has stopped, after its die event.
    const killCalledAt = Date.now();
    await dockerApi.getContainer(sidecar.id).kill({ signal: "KILL" });
    const killReturnedAt = Date.now();
    const load = await loading;
    const died = await events.waitFor("die of the sidecar", (e) => e.action === "die" && e.id === sidecar.id, 5_000);
    // Docker's kill event comes once the signal is delivered: the process is dead from about then.
    // (The engine does not act on it: a process that crashes on its own sends none.)
    const signalled = events.of("kill", sidecar.id)[0]?.atMs ?? killCalledAt;
    await eventually(
      "the old instance's containers to go",
      async () => {
        const now = (await containersOf("paired")).map((c) => c.id);
        return oldIds.every((id) => !now.includes(id));
      },
      30_000,
      100,
    );
    // The revision's failure carries the moment the engine took the instance out of routing.
    const [rev] = await client.listRevisions("default", "paired");
    t.regex(rev.instanceError ?? "", /container backend of instance \w+ exited with code 137/);
    const noticedAt = Date.parse((rev.instanceError ?? "").split(" ")[0]);
    const failures = load.samples.filter((s) => s.status !== 200);
    const inFlight = failures.filter((s) => s.sentAt < killCalledAt);
    const duringKill = failures.filter((s) => s.sentAt >= killCalledAt && s.sentAt <= killReturnedAt);
    const afterKill = failures.filter((s) => s.sentAt > killReturnedAt);
    const afterNotice = failures.filter((s) => s.sentAt > noticedAt);
    const refused = failures.filter((s) => /ECONNREFUSED/.test(s.body)).length;
    const at = (ms: number) => `+${Math.round(ms - killCalledAt)} ms`;
    t.log(
      `kill called; signal delivered (Docker's kill event) ${at(signalled)}; Docker's die event ${at(died.atMs)}; ` +
        `engine out of routing ${at(noticedAt)}; kill call returned ${at(killReturnedAt)}`,
    );
    t.log(
      `${load.samples.length} requests; failed: ${inFlight.length} sent before the kill call, ${duringKill.length} during it, ` +
        `${afterKill.length} after it returned, ${afterNotice.length} after the engine knew; ${refused} of them refused by the proxy (they reached it after the death)`,
    );
    const why = describeFailures(load.samples, killCalledAt);
    // What is guaranteed, and why no more. The engine takes the instance out of routing in the
    // handler of Docker's die event (0-5 ms after Docker's own time of it in our runs), so nothing
    // sent after that fails: it waits for the replacement. Before it, the live proxy answers 502 at
    // once for the sidecar it cannot reach: in the time from the process's death to Docker's die
    // event (~25 ms idle, 27-83 ms under this load, Docker 20.10: containerd reports the exit,
    // then Docker deletes the task before it reports) no engine that watches Docker can know.
    // Docker answers a SIGKILL only after that event (here also after the network's teardown), so
    // what fails was sent before the kill call returned: the requests in flight then, no later one.
    t.deepEqual(afterNotice, [], why);
    t.deepEqual(afterKill, [], `failed after the kill call returned\n${why}`);
    // Sent before the kill was even called: at most the 4 clients' requests in flight. Every
    // failure but those in flight at the death (the proxy's connections reset) was refused by the
    // proxy: it got them after the death, inside Docker's window.
    t.true(inFlight.length <= 4, why);
    t.true(failures.length - refused <= 4, why);
    // The engine's own share of the window (Docker's share is logged above).
    t.true(noticedAt - died.atMs < 250, `the engine acted ${Math.round(noticedAt - died.atMs)} ms after Docker's die event`);
    t.deepEqual(
      load.samples.filter((s) => s.sentAt > died.atMs + 1_000 && s.status !== 200),
      [],
      "every request sent a second after the kill is answered (queued for the replacement)",
    );
    t.true(load.samples.filter((s) => s.sentAt > died.atMs + 1_000).length > 10, "the load went on after the kill");
    const second = JSON.parse((await engine.request(host("paired"), "/")).body) as BackendAnswer;
    t.not(second.startedAt, first.startedAt);
    t.is((await containersOf("paired")).filter((c) => c.state === "running").length, 2);
  },
);

test.serial("two containers share an in-memory volume: the sidecar writes a file, the ingress container serves it", async (t) => {
  const template = pairTemplate(
    { volumes: [{ name: "shared", emptyDir: { sizeLimit: "16Mi" } }], volumeMounts: [{ name: "shared", mountPath: "/srv" }] },
    { PAIR_WRITE_FILE: "/data/greeting.txt" },
  );
  await client.putService("default", "sharing", { template });
  const answer = await engine.request(host("sharing"), "/local?path=/srv/greeting.txt");
  t.is(answer.status, 200, answer.body);
  t.is(answer.headers["x-served-by"], "proxy");
  t.regex(answer.body, /^written by the backend \(pid \d+\) at \d+\n$/);
  // One Docker volume, a tmpfs of the volume's size, mounted by both containers.
  const infos = await Promise.all((await containersOf("sharing")).map((c) => inspectContainer(c.id)));
  const mounts = infos.map((i) => (i as unknown as { Mounts: { Type: string; Name?: string; Destination: string }[] }).Mounts);
  const names = mounts.map((m) => m.find((x) => x.Type === "volume")?.Name);
  t.truthy(names[0]);
  t.is(names[0], names[1]);
  const [volume] = JSON.parse(await docker(["volume", "inspect", names[0]!])) as {
    Options: Record<string, string>;
    Labels: Record<string, string>;
  }[];
  t.deepEqual(volume.Options, { type: "tmpfs", device: "tmpfs", o: `size=${16 * 1024 * 1024},mode=1777` });
  t.is(volume.Labels["skiff.engine"], engine.engineId);
  // Deleting the service takes its containers and its volume.
  await client.deleteService("default", "sharing");
  await eventually(
    "the service's containers and volume to go",
    async () => (await containersOf("sharing")).length === 0 && !(await engineVolumes(engine.engineId)).includes(names[0]!),
    30_000,
    100,
  );
  t.deepEqual(await containersOf("sharing"), [], "no container of the deleted service is left");
});

test.serial("a sidecar that fails its start fails the revision, naming the container; the ingress container never starts", async (t) => {
  const template = pairTemplate({}, { PAIR_LISTEN_DELAY_MS: "60000" });
  template.sidecars![0].startupProbe = { tcpSocket: { port: 9000 }, periodSeconds: 1, failureThreshold: 2 };
  const { revision } = await client.putService("default", "broken", { template });
  t.is(revision?.status, "FAILED");
  t.regex(revision?.error ?? "", /container backend: the container did not listen on port 9000 within the startup deadline of 2 s/);
  t.deepEqual(await containersOf("broken"), []);
  t.false(
    (
      await docker([
        "events",
        "--since",
        "2m",
        "--until",
        "0s",
        "--filter",
        `label=skiff.engine=${engine.engineId}`,
        "--filter",
        "event=create",
        "--format",
        "{{.Actor.Attributes.name}}",
      ])
    )
      .split("\n")
      .some((name) => name.startsWith("skiff-default-broken-") && !name.endsWith("-backend")),
    "no ingress container of it was ever created",
  );
});

test.serial(
  "after a restart the instance is taken back whole; after a crash with its sidecar dead, all of it is removed and replaced",
  async (t) => {
    const before = JSON.parse((await engine.request(host("paired"), "/")).body) as BackendAnswer;
    await engine.restart();
    const adopted = JSON.parse((await engine.request(host("paired"), "/")).body) as BackendAnswer;
    t.is(adopted.pid, before.pid);
    t.is(adopted.startedAt, before.startedAt, "the same sidecar answers: nothing was restarted");
    await engine.killDaemon();
    const [side] = (await containersOf("paired")).filter((c) => c.labels["skiff.container"] === "backend");
    const oldIds = (await containersOf("paired")).map((c) => c.id);
    await docker(["kill", "--signal", "KILL", side.id]);
    await engine.start(engine.samePortFlags());
    const answer = await engine.request(host("paired"), "/", { timeoutMs: 60_000 });
    t.is(answer.status, 200, answer.body);
    t.not((JSON.parse(answer.body) as BackendAnswer).startedAt, before.startedAt);
    const now = await containersOf("paired");
    t.false(
      now.some((c) => oldIds.includes(c.id)),
      "no container of the dead instance is left",
    );
    t.is(now.length, 2);
  },
);

test.serial("the CLI: gcloud's --container groups deploy the pair; its Knative export replaces to no new revision", async (t) => {
  const args = [
    "deploy",
    "cli-pair",
    "--add-volume",
    "name=shared,type=in-memory,size-limit=8Mi",
    "--container",
    "backend",
    "--image",
    images.backend,
    "--set-env-vars",
    "PAIR_BACKEND_PORT=9000,PAIR_WRITE_FILE=/data/note.txt",
    "--startup-probe",
    "tcpSocket.port=9000,periodSeconds=1,failureThreshold=30",
    "--add-volume-mount",
    "volume=shared,mount-path=/data",
    "--container",
    "app",
    "--image",
    images.proxy,
    "--port",
    "8080",
    "--set-env-vars",
    "PAIR_BACKEND_PORT=9000",
    "--depends-on",
    "backend",
    "--add-volume-mount",
    "volume=shared,mount-path=/srv",
  ];
  const result = await engine.skiff(args);
  t.is(result.code, 0, `${result.stdout}${result.stderr}\n${engine.logTail()}`);
  const proxied = await engine.request(host("cli-pair"), "/via-proxy");
  t.like(JSON.parse(proxied.body), { role: "backend", path: "/via-proxy" });
  t.regex((await engine.request(host("cli-pair"), "/local?path=/srv/note.txt")).body, /^written by the backend/);
  const exported = await engine.skiff(["services", "describe", "cli-pair", "--format", "export"]);
  t.is(exported.code, 0, exported.stderr);
  t.regex(exported.stdout, /run\.googleapis\.com\/container-dependencies: '\{"app":\["backend"\]\}'/);
  const file = `${engine.home}/cli-pair.yaml`;
  await import("node:fs/promises").then((fs) => fs.writeFile(file, exported.stdout));
  const replaced = await engine.skiff(["services", "replace", file]);
  t.is(replaced.code, 0, replaced.stderr);
  t.regex(replaced.stdout, /unchanged \(same template\)/);
  t.is((await client.listRevisions("default", "cli-pair")).length, 1);
  const described = await engine.skiff(["services", "describe", "cli-pair"]);
  t.regex(described.stdout, /Container: +app \(ingress\), after backend/);
  t.regex(described.stdout, /Sidecar: +backend: skiff-test\/pair-backend:\w+, cpu 1, memory 512Mi/);
  // Each line names its container; --container reads one container's lines.
  const backendLines = await engine.skiff(["logs", "read", "cli-pair", "--container", "backend"]);
  t.is(backendLines.code, 0, backendLines.stderr);
  const lines = backendLines.stdout.trim().split("\n");
  t.true(
    lines.some((l) => / container backend stdout: backend: listening on 9000/.test(l)),
    backendLines.stdout,
  );
  t.true(
    lines.every((l) => l.includes(" container backend ")),
    backendLines.stdout,
  );
  const appLines = await engine.skiff(["logs", "read", "cli-pair", "--container", "app"]);
  t.regex(appLines.stdout, / container app stdout: proxy: listening on 8080/);
  t.notRegex(appLines.stdout, /backend: listening/);
  // A port for a sidecar is refused before anything changes, naming the flag and the container.
  const bad = await engine.skiff(["deploy", "cli-pair", "--container", "backend", "--port", "9000"]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /--container backend: --port: only the ingress container \(app\) has a port/);
});

test.serial(
  "the CLI: --set-secrets in the sidecar's group reaches the sidecar alone; a plain variable of that name in the ingress container is its own",
  async (t) => {
    const value = `sidecar-token-${engine.engineId}`;
    await skiffOk(engine, ["secrets", "create", "side-token", "--data-file", "-"], value);
    await deploy(engine, "cli-pair", ["--container", "backend", "--set-secrets", "TOKEN=side-token:1"]);
    const env = async (path: string) =>
      JSON.parse((await engine.request(host("cli-pair"), `${path}?name=TOKEN`)).body) as { role: string; value: string | null };
    t.deepEqual(
      await env("/env"),
      { role: "backend", name: "TOKEN", value } as never,
      "the sidecar (through the proxy) sees the secret's value",
    );
    t.deepEqual(await env("/local-env"), { role: "proxy", name: "TOKEN", value: null } as never, "the ingress container has no TOKEN");
    // The same name in another container is that container's own variable.
    await deploy(engine, "cli-pair", ["--container", "app", "--update-env-vars", "TOKEN=plain-in-app"]);
    t.like(await env("/env"), { role: "backend", value });
    t.like(await env("/local-env"), { role: "proxy", value: "plain-in-app" });
    // describe names the secret and its version in the sidecar's container, never the value.
    const described = (await skiffOk(engine, ["services", "describe", "cli-pair"])).stdout;
    t.regex(
      described,
      /Sidecar: +backend: .*\n +env PAIR_BACKEND_PORT=9000 PAIR_WRITE_FILE=\/data\/note\.txt\n +secrets TOKEN=side-token:1\n/,
    );
    t.regex(described, /Secrets: +-\n/, "the ingress container has no secret");
    const yaml = (await skiffOk(engine, ["services", "describe", "cli-pair", "--format", "yaml"])).stdout;
    t.regex(yaml, /- name: TOKEN\n\s+value: plain-in-app\n/);
    t.regex(yaml, /- name: TOKEN\n\s+valueFrom:\n\s+secretKeyRef:\n\s+key: '1'\n\s+name: side-token\n/);
    const json = JSON.parse((await skiffOk(engine, ["services", "describe", "cli-pair", "--format", "json"])).stdout) as {
      spec: { template: { spec: { containers: { name: string; env?: { name: string; valueFrom?: unknown }[] }[] } } };
    };
    const secretIn = (name: string) =>
      json.spec.template.spec.containers.find((c) => c.name === name)?.env?.find((e) => e.name === "TOKEN")?.valueFrom;
    t.deepEqual(secretIn("backend"), { secretKeyRef: { name: "side-token", key: "1" } });
    t.is(secretIn("app"), undefined);
    for (const text of [described, yaml, JSON.stringify(json)]) t.false(text.includes(value), "no output shows the value");
    // A plain variable of the same name in the sidecar is refused, naming the container and the variable; nothing changes.
    const generation = (await client.getService("default", "cli-pair")).generation;
    const bad = await engine.skiff(["deploy", "cli-pair", "--container", "backend", "--update-env-vars", "TOKEN=x"]);
    t.is(bad.code, 1, bad.stderr);
    t.regex(bad.stderr, /^skiff: error: --container backend: TOKEN is a plain variable and a secret of this container/);
    // A name the platform sets is refused by the engine; the error names the container and the flag given.
    const reserved = await engine.skiff(["deploy", "cli-pair", "--container", "backend", "--update-secrets", "PORT=side-token:1"]);
    t.is(reserved.code, 1, reserved.stderr);
    t.regex(
      reserved.stderr,
      /^skiff: error: --container backend: --update-secrets \(template\.sidecars\[0\]\.secretEnv\.PORT\): is reserved/,
    );
    t.is((await client.getService("default", "cli-pair")).generation, generation);
  },
);
