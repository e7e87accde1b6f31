import { promises as fs } from "node:fs";
import net from "node:net";
import * as path from "node:path";
import { spawn } from "node:child_process";
import test from "ava";
import { CLI_ENTRY, TestEngine, startEngine } from "../helpers/engine";
import { httpRequest } from "../helpers/http";
import { makeSourceApp, nodeBaseImage } from "../helpers/source-app";

// `skiff dev --debug-port N`: a debugger on 127.0.0.1:N reaches Node's inspector in the serving
// instance, with a warning that it bypasses the router.

let engine: TestEngine;
let base: string;
const dirs: string[] = [];

test.before(async () => {
  [base, engine] = await Promise.all([nodeBaseImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

test("--debug-port forwards 127.0.0.1:N to the inspector of the serving instance, with a warning", async (t) => {
  const port = await freePort();
  const dir = await makeSourceApp(base, { message: "debuggable" });
  dirs.push(dir);
  const dockerfile = path.join(dir, "Dockerfile");
  await fs.writeFile(
    dockerfile,
    (await fs.readFile(dockerfile, "utf8")).replace('CMD ["/app/server.js"]', `CMD ["--inspect=0.0.0.0:${port}", "/app/server.js"]`),
  );
  const child = spawn(process.execPath, [CLI_ENTRY, "dev", "dbg", "--source", dir, "--debug-port", String(port)], {
    env: { ...process.env, SKIFF_HOME: engine.home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    const deadline = Date.now() + 120_000;
    while (!/serves 100 %/.test(stderr) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    t.regex(stderr, /serves 100 %/, stderr);
    t.regex(stderr, new RegExp(`warning: 127\\.0\\.0\\.1:${port} forwards to port ${port} of the serving instance, bypassing the router`));
    const version = await httpRequest(port, `127.0.0.1:${port}`, "/json/version");
    t.is(version.status, 200, version.body);
    t.regex(JSON.parse(version.body).Browser as string, /^node\.js\/v/, "Node's inspector answers through the forward");
  } finally {
    child.kill("SIGINT");
  }
  t.is(await exited, 0, stderr);
  t.regex(stderr, /deleted service dbg/);
});
