import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import Docker from "dockerode";
import { fixtureImage } from "../test/helpers/fixture-image";
import { envInt, fmt, machine, median, onCleanup, runMain, sleep, stamp, table, which } from "./common";

/**
 * Where the time goes between a container's process dying and the engine hearing of it: the window
 * in which an instance whose ingress container outlives a dead sidecar still answers (502s) because
 * nothing has told the engine yet (docs/ARCHITECTURE.md, "When an instance dies"). For each death,
 * on a container of the fixture image on Docker's default bridge with a published port (as an
 * instance's network holder is), in milliseconds after the kill:
 *
 *   dead            /proc/<pid>/stat says Z, or the pid is gone (polled every ~0.2 ms in a worker)
 *   containerd exit containerd's /tasks/exit reaches `ctr events` (Docker's own containerd; needs
 *                   root and ctr, else n/a; through a child process, so an upper bound)
 *   die (Docker)    Docker's own time of its die event; die (here): when it reached this process
 *   attach end      an attach stream (stdout, stderr) opened before the kill ends
 *   wait            a `wait` long-poll returns
 *   kill returned   Docker answers the kill call (a SIGKILL is answered once the container stopped)
 *
 * Two ways to die: `docker kill` through the API (SIGKILL), and the process killed directly by
 * its pid (what a crash looks like to Docker: no kill event, no kill call). Medians of BENCH_RUNS
 * (7) each, interleaved. Containers carry skiff.bench=death-signals and are removed.
 */

const RUNS = envInt("BENCH_RUNS", 7);
const LABELS = { "skiff.bench": "death-signals" };
const CONTAINERD_SOCKET = "/run/docker/containerd/containerd.sock";
const SIGNALS = ["dead", "containerd exit", "die (Docker)", "die (here)", "attach end", "wait", "kill returned"] as const;
type Signal = (typeof SIGNALS)[number];

const now = () => performance.timeOrigin + performance.now();

/** Reports when the pid is dead (a zombie) or gone, polling its stat file without a timer's granularity. */
const POLLER = `
const { parentPort, workerData } = require("node:worker_threads");
const fs = require("node:fs");
const pause = new Int32Array(new SharedArrayBuffer(4));
for (;;) {
  let stat;
  try { stat = fs.readFileSync("/proc/" + workerData.pid + "/stat", "utf8"); } catch { break; }
  const state = stat[stat.lastIndexOf(")") + 2];
  if (state === "Z" || state === "X") break;
  Atomics.wait(pause, 0, 0, 0.2);
}
parentPort.postMessage(performance.timeOrigin + performance.now());`;

/** Arrival times of Docker's die events and containerd's exit events, by container id. */
class Arrivals {
  private readonly waiting = new Map<string, (at: { arrived: number; dockerAt?: number }) => void>();
  private readonly seen = new Map<string, { arrived: number; dockerAt?: number }>();

  take(key: string): Promise<{ arrived: number; dockerAt?: number }> {
    const seen = this.seen.get(key);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiting.set(key, resolve));
  }

  record(key: string, at: { arrived: number; dockerAt?: number }): void {
    const resolve = this.waiting.get(key);
    if (resolve) resolve(at);
    else this.seen.set(key, at);
  }
}

/** Calls onLine for each complete line of a stream. */
function lines(stream: NodeJS.ReadableStream, onLine: (line: string, arrived: number) => void): void {
  let pending = "";
  stream.on("data", (chunk: Buffer) => {
    const arrived = now();
    pending += chunk.toString("utf8");
    for (let i = pending.indexOf("\n"); i >= 0; i = pending.indexOf("\n")) {
      onLine(pending.slice(0, i), arrived);
      pending = pending.slice(i + 1);
    }
  });
}

async function oneDeath(docker: Docker, image: string, how: "api" | "pid", arrivals: Arrivals, withContainerd: boolean) {
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ["/node", "-e", "setInterval(() => {}, 1e6)"],
    Labels: LABELS,
    ExposedPorts: { "8080/tcp": {} },
    HostConfig: { PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
  });
  const at: Partial<Record<Signal, number>> = {};
  const attach = (await container.attach({ stream: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
  attach.on("data", () => undefined);
  for (const end of ["end", "close", "error"]) attach.on(end, () => (at["attach end"] ??= now()));
  await container.start();
  const pid = (await container.inspect()).State.Pid;
  await sleep(300);
  const waited = container.wait({ condition: "next-exit" }).then(() => (at.wait = now()));
  const died = arrivals.take(`die:${container.id}`);
  const exited = withContainerd ? arrivals.take(`exit:${container.id}`) : undefined;
  const poller = new Worker(POLLER, { eval: true, workerData: { pid } });
  const dead = new Promise<number>((resolve) => poller.once("message", resolve));
  await sleep(50);
  const killedAt = now();
  if (how === "api") await container.kill({ signal: "KILL" });
  else process.kill(pid, "SIGKILL");
  at["kill returned"] = now();
  const die = await died;
  at["die (here)"] = die.arrived;
  at["die (Docker)"] = die.dockerAt;
  at["containerd exit"] = (await exited)?.arrived;
  at.dead = await dead;
  await waited;
  await poller.terminate();
  await container.remove({ force: true });
  return Object.fromEntries(SIGNALS.map((s) => [s, at[s] === undefined ? NaN : at[s] - killedAt])) as Record<Signal, number>;
}

async function main(): Promise<void> {
  console.log(`death signals — ${stamp()} — ${await machine()}`);
  const docker = new Docker();
  const image = await fixtureImage();
  onCleanup("containers", async () => {
    const left = await docker.listContainers({ all: true, filters: { label: ["skiff.bench=death-signals"] } });
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  });
  const arrivals = new Arrivals();
  const events = (await docker.getEvents({
    filters: { type: ["container"], event: ["die"], label: ["skiff.bench=death-signals"] },
  })) as NodeJS.ReadableStream;
  lines(events, (line, arrived) => {
    const event = JSON.parse(line) as { id: string; timeNano: number };
    arrivals.record(`die:${event.id}`, { arrived, dockerAt: event.timeNano / 1e6 });
  });
  onCleanup("events", () => (events as unknown as { destroy(): void }).destroy());
  const withContainerd = process.getuid?.() === 0 && existsSync(CONTAINERD_SOCKET) && (await which("ctr")) !== undefined;
  if (withContainerd) {
    const ctr = spawn("ctr", ["--address", CONTAINERD_SOCKET, "-n", "moby", "events"], { stdio: ["ignore", "pipe", "ignore"] });
    onCleanup("ctr", () => void ctr.kill());
    lines(ctr.stdout, (line, arrived) => {
      const id = /\/tasks\/exit .*"?container_id"?:"?([0-9a-f]{64})/.exec(line)?.[1];
      if (id) arrivals.record(`exit:${id}`, { arrived });
    });
    await sleep(500);
  }
  const results: Record<"api" | "pid", Record<Signal, number>[]> = { api: [], pid: [] };
  for (let run = 0; run < RUNS; run++) {
    for (const how of run % 2 ? (["pid", "api"] as const) : (["api", "pid"] as const)) {
      results[how].push(await oneDeath(docker, image, how, arrivals, withContainerd));
    }
  }
  console.log(
    `\nms after the kill, medians of ${RUNS}${withContainerd ? "" : " (containerd exit: needs root, ctr and Docker's containerd socket)"}\n`,
  );
  const rows = SIGNALS.map((s) => [s, fmt(median(results.api.map((r) => r[s]))), fmt(median(results.pid.map((r) => r[s])))]);
  console.log(table([["signal", "docker kill (API)", "process killed"], ...rows]));
}

runMain(main);
