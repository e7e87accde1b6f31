import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { docker } from "../test/helpers/docker";
import { CLI_ENTRY, startEngine } from "../test/helpers/engine";
import { makeSourceApp, nodeBaseImage, serverSource } from "../test/helpers/source-app";
import { envInt, fmt, freePort, median, onCleanup, pollUntil, ratio, runMain, stamp, table } from "./common";

/**
 * Edit to serving (target: `skiff dev` ≤ 1.2× doing it by hand). The same small Node app (FROM a
 * base image built here: no registry) is edited on disk, and the clock runs from the write until the
 * new code answers:
 *
 *   skiff dev   the running `skiff dev web --source DIR`: it sees the change, builds through the
 *               engine, deploys a revision and routes to it once ready (the old one serves meanwhile)
 *   by hand     `docker build -t T DIR`, `docker rm -f` the old container, `docker run -d -p
 *               127.0.0.1:P:8080 T`, as a person would type them right after saving
 *
 * Runs alternate between the two; medians and their ratio are printed.
 *
 * Knobs (env): BENCH_RUNS (5).
 */

const RUNS = Math.max(3, envInt("BENCH_RUNS", 5));
const TARGET = 1.2;
const HAND_LABEL = "skiff-bench=source-dev";

async function main(): Promise<void> {
  console.log(`skiff dev edit-to-serving benchmark — ${stamp()} — ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}`);
  const [base, engine] = await Promise.all([nodeBaseImage(), startEngine()]);
  onCleanup("skiff engine", () => engine.dispose());
  const devDir = await makeSourceApp(base, { message: "dev-0" });
  const handDir = await makeSourceApp(base, { message: "hand-0" });
  onCleanup("source dirs", () =>
    Promise.all([devDir, handDir].map((d) => fs.rm(d, { recursive: true, force: true }))).then(() => undefined),
  );

  const dev = spawn(process.execPath, [CLI_ENTRY, "dev", "web", "--source", devDir], {
    env: { ...process.env, SKIFF_HOME: engine.home },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let devOutput = "";
  dev.stderr.on("data", (c: Buffer) => (devOutput += c.toString()));
  const devExited = new Promise((resolve) => dev.on("exit", resolve));
  onCleanup("skiff dev", async () => {
    if (dev.exitCode === null) dev.kill("SIGINT");
    await devExited;
  });
  const host = `web.localhost:${engine.ingressPort}`;
  await pollUntil(engine.ingressPort, host, (p) => p.body === "dev-0", 120_000, 50).catch((error: Error) => {
    throw new Error(`${error.message}\n${devOutput}`);
  });

  const handPort = await freePort();
  const handImage = "skiff-bench/source-dev-hand";
  const handContainer = `skiff-bench-source-dev-${process.pid}`;
  onCleanup("by-hand container and image", async () => {
    await docker(["rm", "-f", handContainer]).catch(() => undefined);
    await docker(["rmi", "-f", handImage]).catch(() => undefined);
  });
  const byHand = async () => {
    await docker(["build", "-q", "--label", HAND_LABEL, "-t", handImage, handDir], { timeoutMs: 120_000 });
    await docker(["rm", "-f", handContainer]).catch(() => undefined);
    await docker(["run", "-d", "--name", handContainer, "--label", HAND_LABEL, "-p", `127.0.0.1:${handPort}:8080`, handImage]);
  };
  // Untimed warm-up of the by-hand path (the first docker build, the first run).
  await byHand();
  await pollUntil(handPort, undefined, (p) => p.body === "hand-0", 60_000, 20);

  const devMs: number[] = [];
  const handMs: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const order = run % 2 === 0 ? ["hand", "dev"] : ["dev", "hand"];
    for (const kind of order) {
      if (kind === "dev") {
        const started = performance.now();
        await fs.writeFile(path.join(devDir, "server.js"), serverSource(`dev-${run}`));
        const at = await pollUntil(engine.ingressPort, host, (p) => p.body === `dev-${run}`, 120_000, 20);
        devMs.push(at - started);
      } else {
        const started = performance.now();
        await fs.writeFile(path.join(handDir, "server.js"), serverSource(`hand-${run}`));
        await byHand();
        const at = await pollUntil(handPort, undefined, (p) => p.body === `hand-${run}`, 60_000, 20);
        handMs.push(at - started);
      }
    }
    console.log(`run ${run}/${RUNS}: skiff dev ${fmt(devMs.at(-1)!, 0)} ms | by hand ${fmt(handMs.at(-1)!, 0)} ms`);
  }

  const rows = [["edit to serving", "median ms", "min ms", "max ms"]];
  for (const [name, values] of [
    ["skiff dev", devMs],
    ["docker build + run by hand", handMs],
  ] as const) {
    rows.push([name, fmt(median(values), 0), fmt(Math.min(...values), 0), fmt(Math.max(...values), 0)]);
  }
  console.log(`\n${table(rows)}\n`);
  console.log(
    table([
      ["ratio", "value", "target"],
      ["skiff dev / by hand (medians)", ratio(median(devMs), median(handMs)), `≤ ${TARGET.toFixed(2)}×`],
    ]),
  );
}

runMain(main);
