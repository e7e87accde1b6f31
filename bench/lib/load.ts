import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "../../test/helpers/docker";

/**
 * Load and baselines for the benchmarks: wrk drives every target with the same settings, and nginx
 * (a reverse proxy people trust) is the baseline the router is measured against, in the same run.
 */

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export interface LoadOptions {
  connections: number;
  threads: number;
  seconds: number;
}

export async function requireTool(name: string, debianPackage: string): Promise<void> {
  const found = await run("sh", ["-c", `command -v ${name}`]);
  if (found.code !== 0) throw new Error(`${name} is not installed; on Debian: apt-get install -y ${debianPackage}`);
}

/** wrk against 127.0.0.1:<port> with the given Host header. */
export async function wrk(port: number, host: string, urlPath: string, opts: LoadOptions): Promise<LoadResult> {
  const args = [
    `-t${opts.threads}`, `-c${opts.connections}`, `-d${opts.seconds}s`, "--latency",
    "-H", `Host: ${host}`, `http://127.0.0.1:${port}${urlPath}`,
  ];
  const result = await run("wrk", args, { timeoutMs: (opts.seconds + 30) * 1000 });
  if (result.code !== 0) throw new Error(`wrk ${args.join(" ")} failed: ${result.stderr}`);
  return parseWrk(result.stdout);
}

export function parseWrk(output: string): LoadResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s)\s*$/m.exec(output);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(output);
  if (!rps || !p50 || !p99) throw new Error(`could not read wrk's output:\n${output}`);
  const errorCounts = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const errors =
    (errorCounts ? errorCounts.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return { requestsPerSecond: Number(rps[1]), p50Ms: toMs(p50[1], p50[2]), p99Ms: toMs(p99[1], p99[2]), errors };
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === "us" ? n / 1000 : unit === "s" ? n * 1000 : n;
}

/** A free loopback port for a baseline that cannot bind port 0 itself (nginx). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Nginx {
  port: number;
  stop(): Promise<void>;
}

/**
 * nginx as a plain reverse proxy to one upstream on loopback, with upstream keep-alive (as anyone
 * would configure it for a fair comparison). Workers: BENCH_NGINX_WORKERS, default 1 like the router.
 */
export async function startNginx(upstreamPort: number): Promise<Nginx> {
  await requireTool("nginx", "nginx");
  const prefix = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-bench-nginx-"));
  const port = await freePort();
  const workers = process.env.BENCH_NGINX_WORKERS ?? "1";
  const conf = `
worker_processes ${workers};
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream instance { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://instance;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
    }
  }
}
`;
  await fs.writeFile(path.join(prefix, "nginx.conf"), conf);
  const child = spawn("nginx", ["-p", prefix, "-c", path.join(prefix, "nginx.conf"), "-g", "daemon off;"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  await waitForPort(port, 10_000, () => (child.exitCode !== null ? `nginx exited: ${stderr}` : undefined));
  return {
    port,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGQUIT");
        await exited;
      }
      await fs.rm(prefix, { recursive: true, force: true });
    },
  };
}

/** Resolves once something accepts TCP connections on 127.0.0.1:<port>. */
export async function waitForPort(port: number, timeoutMs: number, failed: () => string | undefined = () => undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = failed();
    if (reason) throw new Error(reason);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function ratio(value: number, baseline: number): string {
  return `${(value / baseline).toFixed(2)}×`;
}
