import Docker from "dockerode";
import { EngineClient } from "../provider/client/api-client";
import { engineHome } from "../provider/base/home";
import { deploy, hostOf } from "../test/helpers/cli";
import { startEngine, TestEngine } from "../test/helpers/engine";
import { fixtureImage } from "../test/helpers/fixture-image";
import { burst } from "../test/helpers/scaling";
import { inspectContainer } from "../test/helpers/docker";
import { httpRequest } from "../test/helpers/http";
import {
  envInt,
  fmt,
  get,
  machine,
  median,
  onCleanup,
  percentile,
  pollUntil,
  ratio,
  runMain,
  runningWithLabels,
  sleep,
  stamp,
  table,
} from "./common";

/**
 * Cold start (target: ≤ 1.1× raw create + start + first response of the same image). Measured,
 * interleaved run by run (the order rotated every run):
 *
 *   raw              dockerode create + start + inspect (host port) + poll GET / until 200, the way
 *                    a hand-written runner would do it; same image, same limits as skiff's defaults
 *   skiff CLI        `skiff deploy <svc> --env RUN=<n>` (a new revision: the env changes every time)
 *                    until the CLI exits, then GET / through the ingress until the new revision answers
 *   skiff API        the same through the admin API (what the Pulumi SDK does): no CLI process to start
 *   skiff from zero  one GET / through the ingress to a service that has scaled to zero (no container
 *                    left), until its 200: the request waits while the engine starts an instance. On a
 *                    second engine started with a short idle grace (--scale-to-zero-grace 2s, stable
 *                    window 4s, panic window 1s), so the service is back at zero within seconds
 *
 * Before every run (untimed) the from-zero service is at zero and the previous revision of the
 * others has drained, so no run overlaps another's background work. Also measured:
 * `skiff services describe` wall time, i.e. what a CLI process costs by itself; and a burst from
 * zero: N requests at once (GET /sleep?ms=200, each on a new connection) to a revision of
 * concurrency C that has scaled to zero: how many instances started (ceil(N/C) expected) and the
 * burst's latencies.
 *
 * Knobs (env): BENCH_RUNS (5), BENCH_BURST (40), BENCH_BURST_CONCURRENCY (10), BENCH_BURST_RUNS (3).
 */

const RUNS = envInt("BENCH_RUNS", 5);
const BURST = envInt("BENCH_BURST", 40);
const BURST_CONCURRENCY = envInt("BENCH_BURST_CONCURRENCY", 10);
const BURST_RUNS = envInt("BENCH_BURST_RUNS", 3);
const BURST_SLEEP_MS = 200;
/** The engine the from-zero rows run on: instances idle out within seconds. */
const ZERO_ENGINE_FLAGS = ["--scale-to-zero-grace", "2s", "--stable-window", "4s", "--panic-window", "1s"];
const BENCH_LABEL = "skiff.bench";
const POLL_MS = 5;

type Kind = "raw" | "skiff CLI" | "skiff API" | "skiff from zero";

interface Breakdown {
  total: number;
  /** raw: create+start+inspect; skiff: until the deploy (CLI exit / API answer) returned; NaN from zero. */
  control: number;
  /** From there to the first 200 (from the new revision); NaN from zero. */
  firstResponse: number;
}

async function main(): Promise<void> {
  console.log(`skiff cold-start benchmark — ${stamp()}\n${await machine()}`);
  console.log(
    `${RUNS} runs of each, interleaved; polling GET / every ${POLL_MS} ms; from zero on an engine with ${ZERO_ENGINE_FLAGS.join(" ")}\n`,
  );

  const runId = `cold-${process.pid}-${Date.now().toString(36)}`;
  const docker = new Docker();
  // Raw containers carry a label of this run, so cleanup finds them whatever happened.
  onCleanup("raw containers", async () => {
    const leftovers = await docker.listContainers({ all: true, filters: { label: [`${BENCH_LABEL}=${runId}`] } });
    await Promise.all(
      leftovers.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
  });

  const image = await fixtureImage();
  const [engine, zeroEngine] = await Promise.all([startEngine(), startEngine({ flags: ZERO_ENGINE_FLAGS })]);
  onCleanup("skiff engine", () => engine.dispose());
  onCleanup("skiff engine (scale to zero)", () => zeroEngine.dispose());
  const client = await EngineClient.connect({ home: engineHome(engine.home) });

  // The services exist before timing starts; every timed run makes a new revision of one of them,
  // or (from zero) wakes one that has no instance.
  await deploy(engine, "cold-cli", ["--image", image, "--env", "RUN=init"]);
  await client.putService("default", "cold-api", { template: { image, env: { RUN: "init" } } });
  await deploy(zeroEngine, "cold-zero", ["--image", image]);
  await deploy(zeroEngine, "cold-burst", ["--image", image, "--concurrency", String(BURST_CONCURRENCY)]);
  await waitSettled(engine, "cold-cli");
  await waitSettled(engine, "cold-api");
  await atZero(zeroEngine, "cold-zero");
  await atZero(zeroEngine, "cold-burst");

  const results = new Map<Kind, Breakdown[]>([
    ["raw", []],
    ["skiff CLI", []],
    ["skiff API", []],
    ["skiff from zero", []],
  ]);
  const runners: Record<Kind, (run: number) => Promise<Breakdown>> = {
    raw: (run) => rawColdStart(docker, image, runId, run),
    "skiff CLI": (run) => cliColdStart(engine, run),
    "skiff API": (run) => apiColdStart(engine, client, image, run),
    "skiff from zero": () => fromZeroColdStart(zeroEngine, "cold-zero"),
  };
  const kinds = [...results.keys()];
  for (let run = 0; run < RUNS; run++) {
    const order = kinds.map((_, i) => kinds[(i + run) % kinds.length]);
    const line: string[] = [];
    for (const kind of order) {
      // Untimed: nothing from the previous run is still starting or stopping.
      await atZero(zeroEngine, "cold-zero");
      const b = await runners[kind](run);
      results.get(kind)!.push(b);
      line.push(`${kind} ${fmt(b.total, 0)} ms`);
      await sleep(300);
    }
    console.log(`run ${run + 1}/${RUNS}: ${line.join(" | ")}`);
  }

  // What starting a CLI process and one admin round trip cost by themselves.
  const cliOverhead: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await engine.skiff(["services", "describe", "cold-cli", "--format", "json"]);
    if (r.code !== 0) throw new Error(`skiff services describe exited ${r.code}: ${r.stderr}`);
    cliOverhead.push(performance.now() - t0);
  }

  const med = (kind: Kind, key: keyof Breakdown) => median(results.get(kind)!.map((b) => b[key]));
  const rows = [["path", "median ms", "control ms", "→ first 200 ms", "all runs (ms)"]];
  for (const kind of kinds) {
    rows.push([
      kind,
      fmt(med(kind, "total"), 0),
      fmt(med(kind, "control"), 0),
      fmt(med(kind, "firstResponse"), 0),
      results
        .get(kind)!
        .map((b) => fmt(b.total, 0))
        .join(", "),
    ]);
  }
  console.log(
    `\nmedians of ${RUNS} runs (control = raw: create+start+inspect; skiff: until deploy returned; from zero: one request, start to 200)\n${table(rows)}`,
  );
  console.log(`skiff CLI process by itself (services describe): median ${fmt(median(cliOverhead), 0)} ms\n`);
  console.log(
    table([
      ["ratio", "value", "target"],
      ["skiff from zero / raw", ratio(med("skiff from zero", "total"), med("raw", "total")), "≤ 1.10×"],
      ["skiff API / raw", ratio(med("skiff API", "total"), med("raw", "total")), "≤ 1.10×"],
      ["skiff CLI / raw", ratio(med("skiff CLI", "total"), med("raw", "total")), "- (includes starting a CLI process)"],
    ]),
  );

  // A burst from zero: N at once to a revision of concurrency C; ceil(N/C) instances should start at once.
  const expected = Math.ceil(BURST / BURST_CONCURRENCY);
  console.log(
    `\nburst from zero: ${BURST} requests at once (GET /sleep?ms=${BURST_SLEEP_MS}, new connections) at concurrency ${BURST_CONCURRENCY}: ${expected} instances expected`,
  );
  const bursts: BurstRun[] = [];
  for (let run = 0; run < BURST_RUNS; run++) {
    await atZero(zeroEngine, "cold-zero");
    await atZero(zeroEngine, "cold-burst");
    const b = await burstFromZero(zeroEngine, "cold-burst");
    bursts.push(b);
    console.log(
      `burst ${run + 1}/${BURST_RUNS}: ${b.started} instances started (${b.beforeFirstAnswer} before the first answer), ${b.served} served; ${b.statuses}; p50 ${fmt(b.p50, 0)} ms, p99 ${fmt(b.p99, 0)} ms, first ${fmt(b.first, 0)} ms`,
    );
  }
  const fromZero = med("skiff from zero", "total");
  console.log(
    `\n${table([
      ["burst from zero", "median"],
      [
        "instances started",
        `${fmt(median(bursts.map((b) => b.started)), 0)} (expected ${expected}; runs: ${bursts.map((b) => b.started).join(", ")})`,
      ],
      [
        "  of which before the first answer",
        `${fmt(median(bursts.map((b) => b.beforeFirstAnswer)), 0)} (runs: ${bursts.map((b) => b.beforeFirstAnswer).join(", ")}); the rest the autoscaler added while the burst was in flight`,
      ],
      ["instances that served", fmt(median(bursts.map((b) => b.served)), 0)],
      ["p50 ms", fmt(median(bursts.map((b) => b.p50)), 0)],
      ["p99 ms", fmt(median(bursts.map((b) => b.p99)), 0)],
      [
        "reference: one request from zero + the sleep",
        `${fmt(fromZero + BURST_SLEEP_MS, 0)} ms (p99 / reference ${ratio(median(bursts.map((b) => b.p99)), fromZero + BURST_SLEEP_MS)})`,
      ],
    ])}`,
  );
}

interface BurstRun {
  /** Containers the revision had at the end of the burst or a second later (it had none before). */
  started: number;
  /** Of those, created before the first answer arrived: what the burst rule started at once. */
  beforeFirstAnswer: number;
  /** Distinct instances (x-instance) that answered. */
  served: number;
  statuses: string;
  first: number;
  p50: number;
  p99: number;
}

/** Sends the burst to a service at zero; counts the containers it made once the burst is over (Docker is not polled during it). */
async function burstFromZero(engine: TestEngine, service: string): Promise<BurstRun> {
  const sentAt = Date.now();
  const answers = await burst(engine, hostOf(engine, service), `/sleep?ms=${BURST_SLEEP_MS}`, BURST, 60_000);
  const ids = new Set((await serviceContainers(engine, service)).map((c) => c.id));
  await sleep(1_000);
  for (const c of await serviceContainers(engine, service)) ids.add(c.id);
  const statuses = new Map<number, number>();
  for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
  const ms = answers.map((a) => a.ms);
  // Which containers were created before any instance could answer (the burst rule) and which after (the autoscaler).
  const firstAnswerAt = sentAt + Math.min(...ms);
  const created = await Promise.all(
    [...ids].map(async (id) =>
      Date.parse(((await inspectContainer(id).catch(() => undefined)) as { Created?: string } | undefined)?.Created ?? ""),
    ),
  );
  return {
    started: ids.size,
    beforeFirstAnswer: created.filter((t) => t < firstAnswerAt).length,
    served: new Set(answers.filter((a) => a.status === 200).map((a) => a.instance)).size,
    statuses: [...statuses].map(([status, n]) => `${n}× ${status === 0 ? "failed" : status}`).join(", "),
    first: Math.min(...ms),
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
  };
}

/** One request to a service that has no instance, until its 200. */
async function fromZeroColdStart(engine: TestEngine, service: string): Promise<Breakdown> {
  const t0 = performance.now();
  const answer = await httpRequest(engine.ingressPort, hostOf(engine, service), "/", { timeoutMs: 60_000 });
  const total = performance.now() - t0;
  if (answer.status !== 200) throw new Error(`${service} from zero answered ${answer.status}: ${answer.body}\n${engine.logTail()}`);
  return { total, control: NaN, firstResponse: NaN };
}

/** Containers of the engine labelled with the service, running or not. */
async function serviceContainers(engine: TestEngine, service: string) {
  return (await engine.containers()).filter((c) => c.labels["skiff.service"] === service);
}

/** Untimed: waits until the service has no container at all (scaled to zero, stopped and removed). */
async function atZero(engine: TestEngine, service: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while ((await serviceContainers(engine, service)).length > 0) {
    if (Date.now() > deadline) throw new Error(`${service} did not scale to zero within 90 s\n${engine.logTail()}`);
    await sleep(200);
  }
}

/** create + start + inspect + first 200, then the container goes (not timed). */
async function rawColdStart(docker: Docker, image: string, runId: string, run: number): Promise<Breakdown> {
  const t0 = performance.now();
  const container = await docker.createContainer({
    Image: image,
    Env: ["PORT=8080", `K_REVISION=raw-${run}`],
    ExposedPorts: { "8080/tcp": {} },
    Labels: { [BENCH_LABEL]: runId },
    HostConfig: {
      PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
      Memory: 512 * 1024 ** 2, // skiff's defaults: 512Mi, 1 CPU
      NanoCpus: 1e9,
      RestartPolicy: { Name: "no" },
    },
  });
  try {
    await container.start();
    const info = await container.inspect();
    const port = Number(info.NetworkSettings.Ports["8080/tcp"]?.find((b) => b.HostIp === "127.0.0.1")?.HostPort);
    if (!port) throw new Error("Docker published no 127.0.0.1 port for the raw container");
    const t1 = performance.now();
    const t2 = await pollUntil(port, undefined, (p) => p.status === 200, 30_000, POLL_MS);
    return { total: t2 - t0, control: t1 - t0, firstResponse: t2 - t1 };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** `skiff deploy` of a new revision (env changed) until the CLI exits, then the new revision's first 200. */
async function cliColdStart(engine: TestEngine, run: number): Promise<Breakdown> {
  const previous = await currentBody(engine, "cold-cli");
  const t0 = performance.now();
  await deploy(engine, "cold-cli", ["--env", `RUN=${run}`]);
  const t1 = performance.now();
  const t2 = await pollUntil(
    engine.ingressPort,
    hostOf(engine, "cold-cli"),
    (p) => p.status === 200 && p.body !== previous,
    30_000,
    POLL_MS,
  );
  await waitSettled(engine, "cold-cli");
  return { total: t2 - t0, control: t1 - t0, firstResponse: t2 - t1 };
}

/** The same through the admin API (one PUT that answers once the revision is READY or FAILED). */
async function apiColdStart(engine: TestEngine, client: EngineClient, image: string, run: number): Promise<Breakdown> {
  const previous = await currentBody(engine, "cold-api");
  const t0 = performance.now();
  const answer = await client.putService("default", "cold-api", { template: { image, env: { RUN: String(run) } } });
  if (answer.revision?.status !== "READY")
    throw new Error(`cold-api revision is ${answer.revision?.status}: ${answer.revision?.error}\n${engine.logTail()}`);
  const t1 = performance.now();
  const t2 = await pollUntil(
    engine.ingressPort,
    hostOf(engine, "cold-api"),
    (p) => p.status === 200 && p.body !== previous,
    30_000,
    POLL_MS,
  );
  await waitSettled(engine, "cold-api");
  return { total: t2 - t0, control: t1 - t0, firstResponse: t2 - t1 };
}

async function currentBody(engine: TestEngine, service: string): Promise<string> {
  const p = await get(engine.ingressPort, hostOf(engine, service));
  if (p.status !== 200) throw new Error(`${service} answers ${p.status} before the run: ${p.body}`);
  return p.body;
}

/** Untimed: lets the previous revision's instance drain and go, so it does not overlap the next run. */
async function waitSettled(engine: TestEngine, service: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await runningWithLabels({ "skiff.engine": engine.engineId, "skiff.service": service })).length > 1) {
    if (Date.now() > deadline) {
      console.warn(`  (${service}: the previous instance was still running after 20 s; going on)`);
      return;
    }
    await sleep(100);
  }
}

runMain(main);
