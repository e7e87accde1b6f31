import Docker from "dockerode";
import * as http from "node:http";
import { EngineClient } from "../provider/api/client";
import { engineHome } from "../provider/engine/home";
import { startEngine } from "../test/helpers/engine";
import { fixtureImage } from "../test/helpers/fixture-image";
import { median, ratio } from "./lib/load";

/**
 * SPEC §8, cold start: a new instance's first response through skiff ≤ 1.1× a raw dockerode
 * create + start + first response of the same image with the same limits. Until scale-to-zero
 * exists, skiff's cold start is a deploy through the admin API (what the SDK does) plus the first
 * request through the ingress: a new revision's first instance.
 *
 *   npm run build && node dist/bench/cold-start.js      (BENCH_RUNS, default 5)
 */

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function main(): Promise<void> {
  const [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  const docker = new Docker();
  const client = await EngineClient.connect({ home: engineHome(engine.home) });
  const raw: number[] = [];
  const skiff: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      // Alternate, so drift on the machine (other load, page cache) hits both sides alike.
      raw.push(await rawColdStart(docker, image, run));
      skiff.push(await skiffColdStart(client, engine.ingressPort, image, run));
    }
    console.log(`cold start to first response, ${RUNS} runs each (ms): median, all`);
    console.log(`raw dockerode  ${median(raw).toFixed(0).padStart(6)}  [${raw.map((v) => v.toFixed(0)).join(", ")}]`);
    console.log(`skiff          ${median(skiff).toFixed(0).padStart(6)}  [${skiff.map((v) => v.toFixed(0)).join(", ")}]`);
    console.log(`skiff/raw: ${ratio(median(skiff), median(raw))} (target ≤ 1.10×)`);
  } finally {
    await engine.dispose();
  }
}

/** create + start + first 200, the way a hand-written runner would do it; then the container goes. */
async function rawColdStart(docker: Docker, image: string, run: number): Promise<number> {
  const started = performance.now();
  const container = await docker.createContainer({
    Image: image,
    Env: ["PORT=8080", `K_REVISION=raw-${run}`],
    ExposedPorts: { "8080/tcp": {} },
    Labels: { "skiff.test": "true", "skiff.bench": "cold-start" },
    HostConfig: {
      PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
      Memory: 512 * 1024 * 1024,
      NanoCpus: 1e9,
    },
  });
  try {
    await container.start();
    const info = await container.inspect();
    const port = Number(info.NetworkSettings.Ports["8080/tcp"]?.find((b) => b.HostIp === "127.0.0.1")?.HostPort);
    await firstOk(port, "127.0.0.1", 30_000);
    return performance.now() - started;
  } finally {
    await container.remove({ force: true });
  }
}

async function skiffColdStart(client: EngineClient, ingressPort: number, image: string, run: number): Promise<number> {
  const name = `cold-${run}`;
  const started = performance.now();
  try {
    const answer = await client.putService("default", name, { template: { image } });
    if (answer.revision?.status !== "READY") throw new Error(`revision of ${name} is ${answer.revision?.status}: ${answer.revision?.error}`);
    await firstOk(ingressPort, `${name}.localhost:${ingressPort}`, 30_000);
    return performance.now() - started;
  } finally {
    await client.deleteService("default", name);
  }
}

/** GETs / until it answers 200 (connection refusals while the server comes up are retried). */
async function firstOk(port: number, host: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await new Promise<number>((resolve) => {
      const req = http.get({ host: "127.0.0.1", port, path: "/", headers: { host }, agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", () => resolve(0));
    });
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${host} did not answer 200 within ${timeoutMs} ms (last status ${status})`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
