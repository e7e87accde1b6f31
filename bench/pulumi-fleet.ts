import * as path from "node:path";
import { listServices } from "../test/helpers/cli";
import { containersWithLabels, run } from "../test/helpers/docker";
import { REPO_ROOT, startEngine, TestEngine } from "../test/helpers/engine";
import { fixtureImage } from "../test/helpers/fixture-image";
import { PulumiProject, requirePulumi, suffix } from "../test/e2e/pulumi";
import { envInt, fmt, machine, median, onCleanup, ratio, runMain, sleep, stamp, table } from "./common";

/**
 * A fleet through Pulumi (target: `pulumi up` and `pulumi destroy` of a stack of 10 services each
 * ≤ 1.5× the same command on a stack of 1). One program (test/e2e/programs/fleet: N identical
 * services, N from the stack's config), two stacks on one engine with default settings (idle
 * instances stay up, so every service has a running container to drain on destroy). Each round,
 * for each stack in turn (the order swapped every round): `pulumi up --yes --skip-preview` timed
 * from spawn to exit, then `pulumi destroy --yes --skip-preview` timed the same way, then (untimed)
 * until the stack's containers have drained and gone, so no background work overlaps the next
 * measurement. One untimed up and destroy of the stack of 1 comes first. Prints medians, the ratios of the medians and the medians of the per-round ratios.
 *
 * Needs the Pulumi CLI and its Node.js plugins on PATH (see PULUMI_HOW_TO below).
 *
 * Knobs (env): BENCH_ROUNDS (3), BENCH_FLEET (10).
 */

const ROUNDS = envInt("BENCH_ROUNDS", 3);
const FLEET = envInt("BENCH_FLEET", 10);
const TARGET = 1.5;
const PROGRAM = path.join(REPO_ROOT, "test", "e2e", "programs", "fleet");

const PULUMI_HOW_TO =
  "the fleet benchmark drives the real Pulumi CLI: from the repository root run\n" +
  '  export PATH="$(bash scripts/install-pulumi.sh):$PATH" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_CONFIG_PASSPHRASE=\n' +
  "(it prints the folder of a cached build, or builds pulumi, pulumi-language-nodejs and pulumi-resource-pulumi-nodejs " +
  "from Go modules, a few minutes the first time; or install Pulumi: https://www.pulumi.com/docs/install/)";

type Command = "up" | "destroy";

async function main(): Promise<void> {
  try {
    await requirePulumi();
  } catch (error) {
    throw new Error(`${(error as Error).message.split(":")[0]}: ${PULUMI_HOW_TO}`, { cause: error });
  }
  const version = await run("pulumi", ["version"]).then(
    (r) => r.stdout.trim(),
    () => "?",
  );
  console.log(`skiff Pulumi fleet benchmark — ${stamp()}\n${await machine()}; pulumi ${version}`);
  console.log(`${ROUNDS} rounds; stacks of 1 and ${FLEET} services (${path.relative(REPO_ROOT, PROGRAM)}); order swapped every round\n`);

  const id = suffix();
  const stacks = { one: `fleet1-${id}`, many: `fleet${FLEET}-${id}` };
  const sizes: Record<string, number> = { [stacks.one]: 1, [stacks.many]: FLEET };
  const [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  onCleanup("skiff engine", () => engine.dispose());
  const project = await PulumiProject.create(PROGRAM, engine.home);
  onCleanup("pulumi stacks", () => project.dispose()); // destroys what is left, then removes the stacks and the folder
  await project.initStack(stacks.one, { image, count: "1" });
  await project.initStack(stacks.many, { image, count: String(FLEET) });

  // Untimed: the first pulumi run of a process tree pays for cold caches (plugins, node_modules, the page cache).
  process.stdout.write("warm-up (untimed): up and destroy of the stack of 1… ");
  await project.ok(stacks.one, ["up", "--yes", "--skip-preview"]);
  await project.ok(stacks.one, ["destroy", "--yes", "--skip-preview"]);
  await drained(engine, stacks.one);
  process.stdout.write("done\n");

  const times = new Map<string, number[]>();
  const key = (stack: string, command: Command) => `${command} ${sizes[stack]}`;
  const record = (stack: string, command: Command, ms: number) =>
    times.set(key(stack, command), [...(times.get(key(stack, command)) ?? []), ms]);
  const perRound: Record<Command, number[]> = { up: [], destroy: [] };

  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [stacks.one, stacks.many] : [stacks.many, stacks.one];
    const got = new Map<string, number>();
    for (const stack of order) {
      const up = await timed(() => project.ok(stack, ["up", "--yes", "--skip-preview"]));
      const running = (await containers(engine, stack)).filter((c) => c.state === "running").length;
      if (running !== sizes[stack]) throw new Error(`${stack}: ${running} running containers after up, expected ${sizes[stack]}`);
      const destroy = await timed(() => project.ok(stack, ["destroy", "--yes", "--skip-preview"]));
      const left = await listServices(engine, stack);
      if (left.length > 0) throw new Error(`${stack}: ${left.length} services left after destroy`);
      const drainMs = await drained(engine, stack);
      record(stack, "up", up);
      record(stack, "destroy", destroy);
      got.set(key(stack, "up"), up);
      got.set(key(stack, "destroy"), destroy);
      console.log(
        `round ${round + 1}/${ROUNDS} stack of ${sizes[stack]}: up ${fmt(up, 0)} ms, destroy ${fmt(destroy, 0)} ms (containers gone ${fmt(drainMs, 0)} ms after)`,
      );
    }
    for (const command of ["up", "destroy"] as const) perRound[command].push(got.get(`${command} ${FLEET}`)! / got.get(`${command} 1`)!);
  }

  const med = (command: Command, size: number) => median(times.get(`${command} ${size}`) ?? []);
  const rows = [
    [
      "command",
      "stack of 1 (ms)",
      `stack of ${FLEET} (ms)`,
      "ratio of medians",
      "median of per-round ratios",
      "target",
      "all runs, 1 / N (ms)",
    ],
  ];
  for (const command of ["up", "destroy"] as const) {
    rows.push([
      `pulumi ${command}`,
      fmt(med(command, 1), 0),
      fmt(med(command, FLEET), 0),
      ratio(med(command, FLEET), med(command, 1)),
      `${fmt(median(perRound[command]), 2)}×`,
      `≤ ${TARGET.toFixed(2)}×`,
      `${(times.get(`${command} 1`) ?? []).map((ms) => fmt(ms, 0)).join(", ")} / ${(times.get(`${command} ${FLEET}`) ?? []).map((ms) => fmt(ms, 0)).join(", ")}`,
    ]);
  }
  console.log(`\nmedians of ${ROUNDS} rounds (wall time from spawn to exit)\n${table(rows)}`);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

function containers(engine: TestEngine, stack: string) {
  return containersWithLabels({ "skiff.engine": engine.engineId, "skiff.project": stack });
}

/** Untimed: until the stack's containers have drained and been removed (at most 60 s); resolves with how long it took. */
async function drained(engine: TestEngine, stack: string): Promise<number> {
  const started = performance.now();
  while ((await containers(engine, stack)).length > 0) {
    if (performance.now() - started > 60_000) throw new Error(`${stack}: containers still there 60 s after destroy\n${engine.logTail()}`);
    await sleep(250);
  }
  return performance.now() - started;
}

runMain(main);
