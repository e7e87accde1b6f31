import { spawn, ChildProcess } from "node:child_process";
import { promises as fs, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Address, freePort, onCleanup, pollUntil, sleep } from "./common";

/** The proxies the router benchmark compares skiff with, each on 127.0.0.1 in front of one upstream address. */

/**
 * A minimal Node proxy (node-proxy.ts, or node-h2-proxy.ts with its own `ready` check) in a child
 * process; it exits when we do (its stdin closes). `stop()` ends it with SIGTERM and waits.
 */
export async function startNodeProxy(
  upstream: Address & { address: string },
  nodeFlags: string[] = [],
  script = "node-proxy.js",
  ready: (port: number) => Promise<unknown> = (port) => pollUntil(port, undefined, (p) => p.status === 200, 10_000, 50),
): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...nodeFlags, path.join(__dirname, script), upstream.address, String(upstream.port)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let alive = true;
  void exited.then(() => (alive = false));
  const stop = async () => {
    if (!alive) return;
    child.kill("SIGTERM");
    await Promise.race([exited, sleep(3_000)]);
    if (alive) child.kill("SIGKILL");
    await exited;
  };
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes("\n")) resolve(Number(out.trim()));
      });
      child.once("exit", (code) => reject(new Error(`${script} exited ${code}: ${stderr}`)));
      setTimeout(() => reject(new Error(`${script} did not start within 10 s: ${stderr}`)), 10_000);
    });
    await ready(port);
    return { port, pid: child.pid!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** nginx in the foreground with a config, prefix, pid and logs in a temp dir; listens on 127.0.0.1 only. */
export async function startNginx(
  bin: string,
  upstream: Address & { address: string },
  workers = 1,
): Promise<{ port: number; pids(): number[]; stop(): Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-bench-nginx-"));
  onCleanup("nginx temp dir", () => fs.rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const conf = `
worker_processes ${workers};
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
    server ${upstream.address}:${upstream.port};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://instance;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
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
    throw new Error(`nginx did not come up: ${(error as Error).message}\n${stderr}${log}`, { cause: error });
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
