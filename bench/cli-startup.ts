import { spawn } from "node:child_process";
import * as os from "node:os";
import { deploy } from "../test/helpers/cli";
import { CLI_ENTRY, REPO_ROOT, startEngine } from "../test/helpers/engine";
import { fixtureImage } from "../test/helpers/fixture-image";
import { envInt, fmt, median, onCleanup, ratio, runMain, sleep, stamp, table } from "./common";

/**
 * CLI start-up (target: `skiff services describe S` ≤ 2.5× `node -e 0`, wall time). What a user
 * waits for on every command is mostly the CLI process starting; the baseline is the cheapest Node
 * process there is, on the same node binary. Measured, interleaved run by run (order swapped every
 * run), each as a fresh process from spawn to exit:
 *
 *   node -e 0                the floor: starting Node and doing nothing
 *   skiff services describe  the bundled CLI (dist/provider/cli/skiff.js, what `npm install` users
 *                            run) asking a running engine for one service and printing its table
 *
 * Prints medians, the ratio of the medians and the median of the per-run ratios (a run's two
 * processes ran back to back, so drift on a busy machine cancels out in each pair).
 *
 * Knobs (env): BENCH_RUNS (15, at least 10).
 */

const RUNS = Math.max(10, envInt("BENCH_RUNS", 15));
const SERVICE = "startup";
const TARGET = 2.5;

interface Kind {
  name: string;
  args: string[];
}

async function main(): Promise<void> {
  console.log(
    `skiff CLI start-up benchmark — ${stamp()} — ${os.cpus().length} CPUs, node ${process.version}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  console.log(`${RUNS} runs of each, interleaved\n`);

  const [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  onCleanup("skiff engine", () => engine.dispose());
  await deploy(engine, SERVICE, ["--image", image]);
  const env = { ...process.env, SKIFF_HOME: engine.home };

  const kinds: Kind[] = [
    { name: "node -e 0", args: ["-e", "0"] },
    { name: "skiff services describe", args: [CLI_ENTRY, "services", "describe", SERVICE] },
  ];
  // Untimed warm-up: the page cache holds node and the bundle before the first timed run.
  for (const kind of kinds) await timed(kind, env);

  const results = new Map<string, number[]>(kinds.map((k) => [k.name, []]));
  const pairRatios: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 === 0 ? kinds : [...kinds].reverse();
    const ms = new Map<string, number>();
    for (const kind of order) {
      ms.set(kind.name, await timed(kind, env));
      await sleep(100);
    }
    for (const [name, value] of ms) results.get(name)!.push(value);
    const [base, cli] = kinds.map((k) => ms.get(k.name)!);
    pairRatios.push(cli / base);
    console.log(
      `run ${String(run + 1).padStart(2)}/${RUNS}: ${kinds.map((k) => `${k.name} ${fmt(ms.get(k.name)!, 0)} ms`).join(" | ")} | ${ratio(cli, base)}`,
    );
  }

  const rows = [["process", "median ms", "min ms", "max ms"]];
  for (const kind of kinds) {
    const values = results.get(kind.name)!;
    rows.push([kind.name, fmt(median(values), 0), fmt(Math.min(...values), 0), fmt(Math.max(...values), 0)]);
  }
  console.log(`\nwall time from spawn to exit, ${RUNS} runs\n${table(rows)}\n`);
  const base = median(results.get(kinds[0].name)!);
  const cli = median(results.get(kinds[1].name)!);
  console.log(
    table([
      ["ratio", "value", "target"],
      ["describe / node -e 0 (medians)", ratio(cli, base), `≤ ${TARGET.toFixed(2)}×`],
      ["describe / node -e 0 (median of per-run ratios)", `${fmt(median(pairRatios), 2)}×`, `≤ ${TARGET.toFixed(2)}×`],
    ]),
  );
}

/** Wall time of one process from spawn to exit, in ms; throws with its stderr if it fails. */
function timed(kind: Kind, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, kind.args, { cwd: REPO_ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    let elapsed = NaN;
    child.on("exit", () => (elapsed = performance.now() - started));
    // Settled on close, once stderr is read to its end.
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`${kind.name} exited ${code}: ${stderr}`));
      else resolve(elapsed);
    });
  });
}

runMain(main);
