import { spawn, ChildProcess } from "node:child_process";
import { promises as fs, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { deploy, hostOf } from "../test/helpers/cli";
import { startEngine } from "../test/helpers/engine";
import { fixtureImage } from "../test/helpers/fixture-image";
import {
  cpuMs, envInt, fmt, freePort, median, onCleanup, pollUntil, publishedPort, ratio, requireWrk, runMain,
  runningWithLabels, sleep, stamp, table, which, wrk, WrkResult,
} from "./common";

/**
 * Router benchmark (target: requests/s ≥ 1.0× nginx, p99 ≤ 1.2× nginx). One fixture service on
 * skiff; the same instance is loaded three ways, interleaved round by round:
 *   direct  127.0.0.1:<published port> of the container
 *   nginx   a reverse proxy on 127.0.0.1 with a keep-alive upstream to that port
 *   skiff   the ingress, Host: <service>.localhost
 * with wrk (a separate native process). Prints medians over the rounds and the ratios.
 *
 * Knobs (env): BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_CONNECTIONS (32), BENCH_NGINX_WORKERS (1).
 */

const ROUNDS = envInt("BENCH_ROUNDS", 5);
const SECONDS = envInt("BENCH_SECONDS", 5);
const CONNECTIONS = envInt("BENCH_CONNECTIONS", 32);
const NGINX_WORKERS = envInt("BENCH_NGINX_WORKERS", 1);
const SERVICE = "bench";

interface Target {
  name: "direct" | "nginx" | "skiff";
  port: number;
  host?: string;
  /** Processes whose CPU time is charged to this target's proxy (none for direct). */
  proxyPids: () => number[];
}

interface Sample extends WrkResult {
  /** CPU ms the proxy used per 1,000 requests in this run. */
  proxyCpuPerK: number;
  /** CPU ms skiff's engine used per 1,000 requests in this run (it follows the instance's logs in every run). */
  engineCpuPerK: number;
}

async function main(): Promise<void> {
  await requireWrk();
  const nginxBin = await which("nginx");
  if (!nginxBin) throw new Error("nginx is not installed: on Debian run `apt-get install -y nginx`");

  console.log(`skiff router benchmark — ${stamp()} — ${os.cpus().length} CPUs, node ${process.version}`);
  console.log(`wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, ${ROUNDS} interleaved rounds; nginx worker_processes ${NGINX_WORKERS}\n`);

  const image = await fixtureImage();
  const engine = await startEngine();
  onCleanup("skiff engine", () => engine.dispose());
  await deploy(engine, SERVICE, ["--image", image, "--concurrency", "1000"]);

  const [containerId, ...more] = await runningWithLabels({ "skiff.engine": engine.engineId, "skiff.service": SERVICE });
  if (!containerId || more.length > 0) throw new Error(`expected one running container for ${SERVICE}, found ${more.length + (containerId ? 1 : 0)}`);
  const directPort = await publishedPort(containerId);

  const nginx = await startNginx(nginxBin, directPort);
  onCleanup("nginx", () => nginx.stop());

  const targets: Target[] = [
    { name: "direct", port: directPort, proxyPids: () => [] },
    { name: "nginx", port: nginx.port, proxyPids: () => nginx.pids() },
    { name: "skiff", port: engine.ingressPort, host: hostOf(engine, SERVICE), proxyPids: () => [engine.pid] },
  ];

  // Every target must answer the fixture's own body before anything is timed.
  for (const t of targets) await pollUntil(t.port, t.host, (p) => p.status === 200 && p.body.startsWith("K_REVISION="), 10_000, 50);

  process.stdout.write("warm-up");
  for (const t of targets) {
    await wrk({ port: t.port, host: t.host, connections: CONNECTIONS, seconds: 2 });
    process.stdout.write(` ${t.name}`);
  }
  process.stdout.write("\n");

  const samples = new Map<Target["name"], Sample[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order so no target always runs first (or right after the heaviest one).
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    const line: string[] = [];
    for (const t of order) {
      const pids = t.proxyPids();
      const before = sum(pids.map(cpuMs));
      const engineBefore = cpuMs(engine.pid);
      const result = await wrk({ port: t.port, host: t.host, connections: CONNECTIONS, seconds: SECONDS });
      const proxyCpu = sum(pids.map(cpuMs)) - before;
      const engineCpu = cpuMs(engine.pid) - engineBefore;
      const perK = (ms: number) => (result.requests > 0 ? (ms * 1000) / result.requests : NaN);
      samples.get(t.name)!.push({ ...result, proxyCpuPerK: pids.length ? perK(proxyCpu) : 0, engineCpuPerK: perK(engineCpu) });
      if (result.errors || result.non2xx) console.warn(`  ${t.name}: ${result.errors} socket errors, ${result.non2xx} non-2xx`);
      line.push(`${t.name} ${Math.round(result.rps)} rps p99 ${fmt(result.p99Ms, 2)} ms`);
      await sleep(500);
    }
    console.log(`round ${round + 1}/${ROUNDS}: ${line.join(" | ")}`);
  }

  const med = (name: Target["name"], key: keyof Sample) => median(samples.get(name)!.map((s) => s[key]));
  const rows = [["target", "req/s", "p50 ms", "p99 ms", "proxy CPU ms/1k req", "engine CPU ms/1k req", "errors"]];
  for (const t of targets) {
    rows.push([
      t.name,
      fmt(med(t.name, "rps"), 0),
      fmt(med(t.name, "p50Ms"), 2),
      fmt(med(t.name, "p99Ms"), 2),
      t.name === "direct" ? "-" : fmt(med(t.name, "proxyCpuPerK"), 1),
      fmt(med(t.name, "engineCpuPerK"), 1),
      String(sum(samples.get(t.name)!.map((s) => s.errors + s.non2xx))),
    ]);
  }
  console.log(`\nmedians of ${ROUNDS} rounds\n${table(rows)}\n`);
  console.log(
    table([
      ["ratio", "req/s", "p50", "p99", "target"],
      ["skiff / nginx", ratio(med("skiff", "rps"), med("nginx", "rps")), ratio(med("skiff", "p50Ms"), med("nginx", "p50Ms")), ratio(med("skiff", "p99Ms"), med("nginx", "p99Ms")), "req/s ≥ 1.00×, p99 ≤ 1.20×"],
      ["skiff / direct", ratio(med("skiff", "rps"), med("direct", "rps")), ratio(med("skiff", "p50Ms"), med("direct", "p50Ms")), ratio(med("skiff", "p99Ms"), med("direct", "p99Ms")), "-"],
      ["nginx / direct", ratio(med("nginx", "rps"), med("direct", "rps")), ratio(med("nginx", "p50Ms"), med("direct", "p50Ms")), ratio(med("nginx", "p99Ms"), med("direct", "p99Ms")), "-"],
    ]),
  );
}

function sum(values: number[]): number {
  return values.reduce((s, n) => s + n, 0);
}

/** nginx in the foreground with a config, prefix, pid and logs in a temp dir; listens on 127.0.0.1 only. */
async function startNginx(bin: string, upstreamPort: number): Promise<{ port: number; pids(): number[]; stop(): Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-bench-nginx-"));
  onCleanup("nginx temp dir", () => fs.rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const conf = `
worker_processes ${NGINX_WORKERS};
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream instance {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://instance;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
    }
  }
}
`;
  await fs.writeFile(path.join(dir, "nginx.conf"), conf);
  const child: ChildProcess = spawn(bin, ["-p", dir, "-c", path.join(dir, "nginx.conf"), "-e", path.join(dir, "error.log")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let alive = true;
  void exited.then(() => (alive = false));
  const stop = async () => {
    if (!alive) return;
    child.kill("SIGTERM"); // fast shutdown: the master stops its workers
    await Promise.race([exited, sleep(5_000)]);
    if (alive) {
      for (const pid of workerPids(child.pid!)) process.kill(pid, "SIGKILL");
      child.kill("SIGKILL");
      await exited;
    }
  };
  try {
    await pollUntil(port, undefined, (p) => p.status === 200, 10_000, 50);
  } catch (error) {
    await stop();
    const log = await fs.readFile(path.join(dir, "error.log"), "utf8").catch(() => "");
    throw new Error(`nginx did not come up: ${(error as Error).message}\n${stderr}${log}`);
  }
  return { port, pids: () => [child.pid!, ...workerPids(child.pid!)], stop };
}

/** Children of the nginx master (its workers), from /proc. */
function workerPids(master: number): number[] {
  try {
    const children = readFileSync(`/proc/${master}/task/${master}/children`, "utf8").trim();
    return children ? children.split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

runMain(main);
