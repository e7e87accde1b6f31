import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { docker } from "../helpers/docker";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeRevision, describeService, hostOf, listRevisions, revisionFromBody, transcript } from "../helpers/cli";

// An HTTP startup probe (gcloud's `--startup-probe httpGet.path=...`): the revision is ready once a
// GET of the path answers 200-399, not as soon as the app listens, and no request reaches an
// instance before that. One whose path never passes fails with the path and the last status.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

interface Warmup {
  startedAt: number;
  firstHealthyAt?: number;
  earlyRequests: number;
  healthz: { at: number; status: number }[];
}

test("a revision whose /healthz answers 503 for 3 s becomes ready only after the first 200, and no request reaches it before", async (t) => {
  await deploy(engine, "warm", ["--image", image]);
  const first = (await describeService(engine, "warm")).latestReadyRevision ?? "";
  const args = [
    "deploy",
    "warm",
    "--env",
    "FIXTURE_HEALTHZ_WARMUP_MS=3000",
    "--startup-probe",
    "httpGet.path=/healthz,periodSeconds=1,timeoutSeconds=1,failureThreshold=30",
  ];
  const deploying = engine.skiff(args, { timeoutMs: 120_000 });
  // Requests from the start of the deploy on: none may reach the instance before its probe passed.
  let readySeenAt: number | undefined;
  let done = false;
  const answers: { at: number; status: number; body: string }[] = [];
  const pause = () => new Promise((r) => setTimeout(r, 100));
  // Two loops: a request may wait in the router for the instance, which must not hold up the status checks.
  const watching = Promise.all([
    (async () => {
      while (!done && readySeenAt === undefined) {
        const second = (await listRevisions(engine, "warm").catch(() => [])).find((r) => r.name !== first);
        if (second?.status === "READY") readySeenAt = Date.now();
        await pause();
      }
    })(),
    (async () => {
      while (!done) {
        const answer = await engine.request(hostOf(engine, "warm"), "/").catch(() => undefined);
        if (answer) answers.push({ at: Date.now(), status: answer.status, body: answer.body });
        await pause();
      }
    })(),
  ]);
  const result = await deploying;
  const deployedAt = Date.now();
  done = true;
  await watching;
  t.is(result.code, 0, transcript(args, result));

  const warm = await engine.request(hostOf(engine, "warm"), "/warmup");
  t.is(warm.status, 200, warm.body);
  const w = JSON.parse(warm.body) as Warmup;
  t.log(
    `healthz answers ${w.healthz.map((h) => `${h.status}@+${h.at - w.startedAt}ms`).join(", ")}; ready seen at +${(readySeenAt ?? NaN) - w.startedAt} ms, deploy returned at +${deployedAt - w.startedAt} ms`,
  );
  t.true(w.firstHealthyAt !== undefined, "the probe asked /healthz until it answered 200");
  t.true(w.firstHealthyAt! - w.startedAt >= 3000, "the first 200 came after the 3 s warm-up");
  t.true(
    w.healthz.some((h) => h.status === 503),
    "the probe got 503 before the 200 (it did not wait for it some other way)",
  );
  t.true(w.healthz.length <= 8, `a period of 1 s: a few GETs in the ~3 s warm-up, not a busy loop (${w.healthz.length})`);
  t.true(deployedAt >= w.firstHealthyAt!, "the deploy ended after the first 200");
  if (readySeenAt !== undefined) t.true(readySeenAt >= w.firstHealthyAt!, "the revision read READY only after the first 200");
  t.is(w.earlyRequests, 0, "no request reached the instance before its probe passed");
  t.true(answers.length > 0 && answers.every((a) => a.status === 200), "the first revision served throughout the deploy");
  const second = (await describeService(engine, "warm")).latestReadyRevision ?? "";
  t.regex(second, /^warm-00002-[a-z]{3}$/);
  const fromSecond = answers.filter((a) => revisionFromBody(a.body) === second);
  t.true(fromSecond.length < answers.length, "the first revision answered while the second warmed up");
  for (const a of fromSecond) t.true(a.at >= w.firstHealthyAt!, "the new revision answered nothing before its first 200");

  // The engine's own record of when the instance became ready (engine.log: ISO time, "instance ready").
  const readyLine = engine
    .engineLog()
    .split("\n")
    .find((l) => l.includes("instance ready") && l.includes(second));
  const instanceReadyAt = Date.parse(readyLine?.split(" ")[0] ?? "");
  t.log(`instance ready logged at +${instanceReadyAt - w.startedAt} ms`);
  t.true(instanceReadyAt >= w.firstHealthyAt!, `the instance was ready only after the first 200: ${readyLine}`);
  const revision = await describeRevision(engine, second);
  t.deepEqual(revision.template.startupProbe.httpGet, { path: "/healthz" }, "the template keeps the httpGet");
  // The export keeps it too, as gcloud prints it (the port the probe checks filled in).
  const exported = await engine.skiff(["services", "describe", "warm", "--format", "export"]);
  t.is(exported.code, 0, exported.stderr);
  t.regex(exported.stdout, /startupProbe:\n(\s+\w+: \d+\n)*\s+httpGet:\n\s+path: \/healthz\n\s+port: 8080/, exported.stdout);
  t.notRegex(exported.stdout, /tcpSocket/);
});

test("a revision whose probe path always answers 500 fails with the path and the status, and the previous revision keeps serving", async (t) => {
  await deploy(engine, "sick", ["--image", image]);
  const good = (await describeService(engine, "sick")).latestReadyRevision ?? "";
  t.regex(good, /^sick-00001-[a-z]{3}$/);

  const args = [
    "deploy",
    "sick",
    "--env",
    "FIXTURE_HEALTHZ_STATUS=500",
    "--startup-probe",
    "httpGet.path=/healthz,periodSeconds=1,timeoutSeconds=1,failureThreshold=3",
  ];
  const failed = await engine.skiff(args, { timeoutMs: 120_000 });
  t.not(failed.code, 0, transcript(args, failed));
  const after = await describeService(engine, "sick");
  const bad = after.latestCreatedRevision ?? "";
  t.regex(bad, /^sick-00002-[a-z]{3}$/);
  t.is(after.latestReadyRevision, good, "the ready revision is still the first one");
  const revision = await describeRevision(engine, bad);
  t.is(revision.status, "FAILED");
  t.regex(
    revision.error ?? "",
    /startup probe GET \/healthz on port 8080 did not answer 200-399 within the startup deadline of 3 s \(the last answer was status 500\)/,
  );
  t.true((failed.stderr + failed.stdout).includes("GET /healthz"), transcript(args, failed));

  for (let i = 0; i < 3; i++) {
    const answer = await engine.request(hostOf(engine, "sick"), "/");
    t.is(answer.status, 200, answer.body);
    t.is(revisionFromBody(answer.body), good, "the previous revision answers, never the failed one");
  }
});

test("a sidecar's HTTP probe on its own port holds the ingress container back until the sidecar's /healthz answers 200", async (t) => {
  const args = [
    "deploy",
    "pair",
    "--container",
    "app",
    "--image",
    image,
    "--port",
    "8080",
    "--depends-on",
    "backend",
    "--container",
    "backend",
    "--image",
    image,
    "--update-env-vars",
    "FIXTURE_LISTEN_PORT=9000,FIXTURE_HEALTHZ_WARMUP_MS=3000",
    "--startup-probe",
    "httpGet.path=/healthz,httpGet.port=9000,periodSeconds=1,failureThreshold=30",
  ];
  const result = await engine.skiff(args, { timeoutMs: 120_000 });
  t.is(result.code, 0, transcript(args, result));
  const startedAt = async (container: string) => {
    const c = (await engine.containers()).find((x) => x.labels["skiff.service"] === "pair" && x.labels["skiff.container"] === container);
    return Date.parse((await docker(["inspect", "-f", "{{.State.StartedAt}}", c?.id ?? "(none)"])).trim());
  };
  const gapMs = (await startedAt("app")) - (await startedAt("backend"));
  t.log(`the ingress container started ${gapMs} ms after the sidecar`);
  t.true(gapMs >= 3000, `the ingress container started only once the sidecar's /healthz answered 200 (after its 3 s warm-up): ${gapMs} ms`);
  t.is((await engine.request(hostOf(engine, "pair"), "/")).status, 200);
});

test("a container that exits while its HTTP probe waits fails the revision at once, not at the next period", async (t) => {
  await deploy(engine, "quits", ["--image", image]);
  const args = ["deploy", "quits", "--env", "FIXTURE_MODE=exit", "--startup-probe", "httpGet.path=/healthz,periodSeconds=60"];
  const began = Date.now();
  const failed = await engine.skiff(args, { timeoutMs: 120_000 });
  const tookMs = Date.now() - began;
  t.not(failed.code, 0, transcript(args, failed));
  t.true(
    (failed.stderr + failed.stdout).includes("exited with code 3 before its startup probe GET /healthz passed"),
    transcript(args, failed),
  );
  t.true(tookMs < 30_000, `failed after ${tookMs} ms, well before the 60 s period`);
  // Why is in the service's log too, beside what the container printed, as an ERROR.
  const read = await engine.skiff(["logs", "read", "quits", "--severity", "ERROR", "--format", "json"]);
  t.is(read.code, 0, transcript(["logs", "read", "quits"], read));
  const reasons = (JSON.parse(read.stdout) as { textPayload?: string }[]).map((e) => e.textPayload ?? "");
  t.true(
    reasons.some((text) => /^instance \S+ could not start: .*exited with code 3 before its startup probe/.test(text)),
    read.stdout,
  );
});

test("an entrypoint that cannot run leaves its reason in the service's log (the container itself prints nothing)", async (t) => {
  const args = ["deploy", "noexec", "--image", image, "--command", "/no/such/entrypoint"];
  const failed = await engine.skiff(args, { timeoutMs: 120_000 });
  t.not(failed.code, 0, transcript(args, failed));
  const read = await engine.skiff(["logs", "read", "noexec"]);
  t.is(read.code, 0, transcript(["logs", "read", "noexec"], read));
  t.regex(read.stdout, /noexec-00001-\S+ engine: instance \S+ could not start: .*\/no\/such\/entrypoint/);
});
