import * as path from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { run } from "../test/helpers/docker";
import { CLI_ENTRY, REPO_ROOT, startEngine } from "../test/helpers/engine";
import { fixtureImage } from "../test/helpers/fixture-image";
import { PulumiProject, requirePulumi, suffix } from "../test/e2e/pulumi";
import { currentState, renderReview } from "../sdk/review";
import { parsePreview } from "../sdk/review/run-preview";
import { buildReport } from "../sdk/review/report";
import { envInt, fmt, machine, median, onCleanup, ratio, runMain, stamp, table } from "./common";

/**
 * `skiff review` on a program of 20 services (target: report generation under 1 s beyond
 * Pulumi's own preview). test/e2e/programs/review-fleet: N services, each with a candidate
 * revision and a 90/10 TrafficTarget with a tag, brought up once (untimed). Each round changes the
 * candidates' COLOR, which replaces all N candidates and updates all N splits (3N resources in the
 * preview), then times, from spawn to exit: `pulumi preview --json` (the baseline); `skiff review`
 * with that preview from a file (CLI start-up, the engine's state, the report); and `skiff
 * review` running the preview itself. In-process, it also times the two parts of a report: reading
 * the engine's state and building and rendering the report. Prints medians and what `skiff review`
 * costs beyond the preview.
 *
 * Needs the Pulumi CLI and its Node.js plugins on PATH (as pulumi-fleet.ts). Knobs (env):
 * BENCH_ROUNDS (3), BENCH_SERVICES (20).
 */

const ROUNDS = envInt("BENCH_ROUNDS", 3);
const SERVICES = envInt("BENCH_SERVICES", 20);
const TARGET_MS = 1000;
const PROGRAM = path.join(REPO_ROOT, "test", "e2e", "programs", "review-fleet");

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await fn();
  return [performance.now() - started, value];
}

async function main(): Promise<void> {
  await requirePulumi();
  const version = await run("pulumi", ["version"]).then(
    (r) => r.stdout.trim(),
    () => "?",
  );
  console.log(`skiff review benchmark — ${stamp()}\n${await machine()}; pulumi ${version}`);
  console.log(`${ROUNDS} rounds; ${SERVICES} services with a candidate and a split each (${path.relative(REPO_ROOT, PROGRAM)})\n`);

  const stack = `review${SERVICES}-${suffix()}`;
  // Idle instances stop after 2 s: the benchmark needs the revisions, not 2N running containers.
  const [image, engine] = await Promise.all([fixtureImage(), startEngine({ flags: ["--scale-to-zero-grace", "2s"] })]);
  onCleanup("skiff engine", () => engine.dispose());
  const project = await PulumiProject.create(PROGRAM, engine.home);
  onCleanup("pulumi stack", () => project.dispose());
  await project.initStack(stack, { image, count: String(SERVICES), color: "blue" });
  process.stdout.write(`pulumi up of ${SERVICES} services, ${SERVICES} candidates and ${SERVICES} splits (untimed)… `);
  await project.up(stack);
  process.stdout.write("done\n");

  const previewFile = path.join(project.dir, "preview.json");
  const times: Record<string, number[]> = { preview: [], engineState: [], report: [], cliWithFile: [], cliWithPreview: [] };
  for (let round = 0; round < ROUNDS; round++) {
    await project.ok(stack, ["config", "set", "color", `color-${round}`]);
    const [previewMs, previewOut] = await timed(() => project.ok(stack, ["preview", "--json"]));
    writeFileSync(previewFile, previewOut.stdout);
    const preview = parsePreview(readFileSync(previewFile, "utf8"), previewFile);
    const steps = preview.steps?.filter((s) => s.op !== "same").length ?? 0;
    if (steps < 2 * SERVICES) throw new Error(`the preview has ${steps} changing steps, expected at least ${2 * SERVICES}`);

    const [stateMs, state] = await timed(() => withHome(engine.home, () => currentState(preview)));
    if (state.source !== "engine") throw new Error(`the engine was not read: ${state.reason}`);
    const [reportMs, markdown] = await timed(async () => renderReview(buildReport(preview, state), "markdown"));
    if ((markdown.match(/^### Service /gm) ?? []).length !== SERVICES)
      throw new Error(`the report has not ${SERVICES} services:\n${markdown}`);

    const cli = (args: string[]) =>
      timed(() => run(process.execPath, [CLI_ENTRY, "review", ...args], { env: project.env(), timeoutMs: 280_000 }));
    const [fileMs, fileRun] = await cli(["--preview-file", previewFile]);
    const [fullMs, fullRun] = await cli(["--cwd", project.dir, "--stack", stack]);
    for (const r of [fileRun, fullRun]) if (r.code !== 0) throw new Error(`skiff review failed: ${r.stderr}`);

    for (const [key, ms] of [
      ["preview", previewMs],
      ["engineState", stateMs],
      ["report", reportMs],
      ["cliWithFile", fileMs],
      ["cliWithPreview", fullMs],
    ] as const)
      times[key].push(ms);
    console.log(
      `round ${round + 1}/${ROUNDS}: pulumi preview --json ${fmt(previewMs, 0)} ms; engine state ${fmt(stateMs, 0)} ms, report ${fmt(reportMs, 1)} ms; skiff review --preview-file ${fmt(fileMs, 0)} ms; skiff review ${fmt(fullMs, 0)} ms`,
    );
  }

  const m = (key: string) => median(times[key]);
  const rows = [
    ["step", "median (ms)", "all runs (ms)"],
    ...Object.entries({
      "pulumi preview --json (baseline)": "preview",
      "engine state (in process)": "engineState",
      "build + render the report (in process)": "report",
      "skiff review --preview-file (CLI, spawn to exit)": "cliWithFile",
      "skiff review (runs the preview itself)": "cliWithPreview",
    }).map(([label, key]) => [label, fmt(m(key), key === "report" ? 1 : 0), times[key].map((ms) => fmt(ms, 0)).join(", ")]),
  ];
  console.log(`\nmedians of ${ROUNDS} rounds\n${table(rows)}`);
  const beyond = m("cliWithPreview") - m("preview");
  console.log(
    `\nskiff review beyond pulumi preview: ${fmt(beyond, 0)} ms (${ratio(m("cliWithPreview"), m("preview"))} the preview's time); with a preview file: ${fmt(m("cliWithFile"), 0)} ms; target < ${TARGET_MS} ms`,
  );
}

/** The review reads the engine of SKIFF_HOME (the program's config names none). */
async function withHome<T>(home: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.SKIFF_HOME;
  process.env.SKIFF_HOME = home;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.SKIFF_HOME;
    else process.env.SKIFF_HOME = saved;
  }
}

runMain(main);
