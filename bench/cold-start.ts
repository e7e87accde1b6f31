import Docker from "dockerode";
import * as os from "node:os";
import { EngineClient } from "../provider/client/api-client";
import { engineHome } from "../provider/base/home";
import { deploy, hostOf } from "../test/helpers/cli";
import { startEngine, TestEngine } from "../test/helpers/engine";
import { fixtureImage } from "../test/helpers/fixture-image";
import { envInt, fmt, get, median, onCleanup, pollUntil, ratio, runMain, runningWithLabels, sleep, stamp, table } from "./common";

/**
 * Cold start (target: ≤ 1.1× raw create + start + first response of the same image). Until
 * scale-to-zero exists, skiff's cold start is a new revision's first instance:
 *
 *   raw        dockerode create + start + inspect (host port) + poll GET / until 200, the way a
 *              hand-written runner would do it; same image, same limits as skiff's defaults
 *   skiff CLI  `skiff deploy <svc> --env RUN=<n>` (a new revision: the env changes every time) until
 *              the CLI exits, then GET / through the ingress until the new revision answers
 *   skiff API  the same through the admin API (what the Pulumi SDK does): no CLI process to start
 *
 * Runs are interleaved (raw, CLI, API, rotated each run) so drift on the machine hits all alike.
 * Also measured: `skiff services describe` wall time, i.e. what a CLI process costs by itself.
 *
 * Knobs (env): BENCH_RUNS (5).
 */

const RUNS = envInt("BENCH_RUNS", 5);
const BENCH_LABEL = "skiff.bench";
const POLL_MS = 5;

type Kind = "raw" | "skiff CLI" | "skiff API";

interface Breakdown {
  total: number;
  /** raw: create+start+inspect; skiff: until the deploy (CLI exit / API answer) returned. */
  control: number;
  /** From there to the first 200 (from the new revision). */
  firstResponse: number;
}

async function main(): Promise<void> {
  console.log(`skiff cold-start benchmark — ${stamp()} — ${os.cpus().length} CPUs, node ${process.version}`);
  console.log(`${RUNS} runs of each, interleaved; polling GET / every ${POLL_MS} ms\n`);

  const runId = `cold-${process.pid}-${Date.now().toString(36)}`;
  const docker = new Docker();
  // Raw containers carry a label of this run, so cleanup finds them whatever happened.
  onCleanup("raw containers", async () => {
    const leftovers = await docker.listContainers({ all: true, filters: { label: [`${BENCH_LABEL}=${runId}`] } });
    await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  });

  const image = await fixtureImage();
  const engine = await startEngine();
  onCleanup("skiff engine", () => engine.dispose());
  const client = await EngineClient.connect({ home: engineHome(engine.home) });

  // The services exist before timing starts; every timed run makes a new revision of one of them.
  await deploy(engine, "cold-cli", ["--image", image, "--env", "RUN=init"]);
  await client.putService("default", "cold-api", { template: { image, env: { RUN: "init" } } });
  await waitSettled(engine, "cold-cli");
  await waitSettled(engine, "cold-api");

  const results = new Map<Kind, Breakdown[]>([["raw", []], ["skiff CLI", []], ["skiff API", []]]);
  const runners: Record<Kind, (run: number) => Promise<Breakdown>> = {
    raw: (run) => rawColdStart(docker, image, runId, run),
    "skiff CLI": (run) => cliColdStart(engine, run),
    "skiff API": (run) => apiColdStart(engine, client, image, run),
  };
  const kinds = [...results.keys()];
  for (let run = 0; run < RUNS; run++) {
    const order = kinds.map((_, i) => kinds[(i + run) % kinds.length]);
    const line: string[] = [];
    for (const kind of order) {
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
    rows.push([kind, fmt(med(kind, "total"), 0), fmt(med(kind, "control"), 0), fmt(med(kind, "firstResponse"), 0), results.get(kind)!.map((b) => fmt(b.total, 0)).join(", ")]);
  }
  console.log(`\nmedians of ${RUNS} runs (control = raw: create+start+inspect; skiff: until deploy returned)\n${table(rows)}`);
  console.log(`skiff CLI process by itself (services describe): median ${fmt(median(cliOverhead), 0)} ms\n`);
  console.log(
    table([
      ["ratio", "value", "target"],
      ["skiff CLI / raw", ratio(med("skiff CLI", "total"), med("raw", "total")), "≤ 1.10×"],
      ["skiff API / raw", ratio(med("skiff API", "total"), med("raw", "total")), "≤ 1.10×"],
    ]),
  );
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
  const t2 = await pollUntil(engine.ingressPort, hostOf(engine, "cold-cli"), (p) => p.status === 200 && p.body !== previous, 30_000, POLL_MS);
  await waitSettled(engine, "cold-cli");
  return { total: t2 - t0, control: t1 - t0, firstResponse: t2 - t1 };
}

/** The same through the admin API (one PUT that answers once the revision is READY or FAILED). */
async function apiColdStart(engine: TestEngine, client: EngineClient, image: string, run: number): Promise<Breakdown> {
  const previous = await currentBody(engine, "cold-api");
  const t0 = performance.now();
  const answer = await client.putService("default", "cold-api", { template: { image, env: { RUN: String(run) } } });
  if (answer.revision?.status !== "READY") throw new Error(`cold-api revision is ${answer.revision?.status}: ${answer.revision?.error}\n${engine.logTail()}`);
  const t1 = performance.now();
  const t2 = await pollUntil(engine.ingressPort, hostOf(engine, "cold-api"), (p) => p.status === 200 && p.body !== previous, 30_000, POLL_MS);
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
