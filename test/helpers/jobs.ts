import type { Execution, Job } from "../../provider/model/job";
import type { ContainerSummary } from "./docker";
import type { TestEngine } from "./engine";
import { projectFlag } from "./cli";

/**
 * The conversations the job tests have with the CLI (create, execute, wait, read the logs), and
 * what the fixture's task mode (FIXTURE_MODE=task) writes, parsed: each attempt's own start and
 * end times and the CLOUD_RUN_* variables it saw.
 */

/** `skiff jobs create`, insisting that it worked; the job as the engine holds it. */
export async function createJob(engine: TestEngine, job: string, flags: string[]): Promise<Job> {
  await skiffOk(engine, ["jobs", "create", job, ...flags]);
  return (await engine.api()).getJob(projectOf(flags), job);
}

/** Runs `skiff <args>` and insists on exit 0; its stdout. */
async function skiffOk(engine: TestEngine, args: string[]): Promise<string> {
  const result = await engine.skiff(args);
  if (result.code !== 0)
    throw new Error(`skiff ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}\n${engine.logTail()}`);
  return result.stdout;
}

function projectOf(flags: string[]): string {
  const at = flags.indexOf("--project");
  return at >= 0 ? flags[at + 1] : "default";
}

/** Env for a task-mode fixture job, as `--set-env-vars` takes it. */
export function taskEnv(vars: Record<string, string | number> = {}): string[] {
  const all = { FIXTURE_MODE: "task", ...vars };
  return [
    "--set-env-vars",
    Object.entries(all)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
  ];
}

/**
 * `skiff jobs execute J` (returns once created), insisting that it worked; the execution as the
 * engine holds it (the CLI's JSON is Cloud Run's v1 Execution; its name is metadata.name).
 */
export async function executeJob(engine: TestEngine, job: string, flags: string[] = []): Promise<Execution> {
  const name = (await skiffOk(engine, ["jobs", "execute", job, ...flags, "--format", "value(metadata.name)"])).trim();
  return describeExecution(engine, name, projectOf(flags));
}

export async function describeExecution(engine: TestEngine, execution: string, project = "default"): Promise<Execution> {
  return (await engine.api()).getExecution(project, execution);
}

export async function listExecutions(engine: TestEngine, args: string[] = []): Promise<Execution[]> {
  const at = args.indexOf("--job");
  return (await engine.api()).listExecutions(projectOf(args), at >= 0 ? args[at + 1] : undefined);
}

export async function listJobs(engine: TestEngine, project = "default"): Promise<Job[]> {
  return (await engine.api()).listJobs(project);
}

/** Polls `executions describe` until the execution is no longer RUNNING. */
export async function waitForExecution(engine: TestEngine, execution: string, timeoutMs = 60_000, project?: string): Promise<Execution> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = await describeExecution(engine, execution, project);
    if (e.status !== "RUNNING") return e;
    if (Date.now() > deadline) {
      throw new Error(`execution ${execution} still RUNNING after ${timeoutMs} ms: ${JSON.stringify(e.tasks)}\n${engine.logTail()}`);
    }
    await sleep(250);
  }
}

/** One line of `skiff logs read J`: `<time> <execution> task <i> attempt <a> <stream>: <text>`. */
export interface JobLogLine {
  time: string;
  execution: string;
  task: number;
  attempt: number;
  stream: string;
  text: string;
}

const LINE = /^(\S+) (\S+) task (\d+) attempt (\d+) (\w+): (.*)$/;

export function parseJobLog(text: string): JobLogLine[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const m = LINE.exec(line);
      if (!m)
        throw new Error(
          `a job log line not in the form "<time> <execution> task <i> attempt <a> <stream>: <text>": ${JSON.stringify(line)}`,
        );
      return { time: m[1], execution: m[2], task: Number(m[3]), attempt: Number(m[4]), stream: m[5], text: m[6] };
    });
}

/** `skiff logs read J --execution E --limit 1000`, raw. */
export async function readJobLogText(engine: TestEngine, job: string, execution: string, project?: string): Promise<string> {
  const result = await engine.skiff(["logs", "read", job, "--execution", execution, "--limit", "1000", ...projectFlag(project)]);
  if (result.code !== 0) throw new Error(`skiff logs read ${job} --execution ${execution} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

export async function readJobLog(engine: TestEngine, job: string, execution: string, project?: string): Promise<JobLogLine[]> {
  return parseJobLog(await readJobLogText(engine, job, execution, project));
}

/** What one attempt of a task-mode fixture wrote about itself. */
export interface AttemptRecord {
  /** From the engine's log fields. */
  task: number;
  attempt: number;
  /** Epoch ms the fixture wrote at its start and end (absent if it never got there). */
  start?: number;
  end?: number;
  /** CLOUD_RUN_* variables the container saw. */
  env: Record<string, string>;
  /** SIGTERM arrival (epoch ms) when the fixture logged one. */
  sigtermAt?: number;
  lines: JobLogLine[];
}

/** Groups the log by attempt, keyed `<task>/<attempt>`, checking that every line is where it claims to be. */
export function attemptsOf(lines: JobLogLine[]): Map<string, AttemptRecord> {
  const out = new Map<string, AttemptRecord>();
  for (const line of lines) {
    const key = `${line.task}/${line.attempt}`;
    let rec = out.get(key);
    if (!rec) out.set(key, (rec = { task: line.task, attempt: line.attempt, env: {}, lines: [] }));
    rec.lines.push(line);
    const own = /^task (\d+) attempt (\d+) (start|end|env|stopped by SIGTERM at) ?(.*)$/.exec(line.text);
    if (own) {
      if (Number(own[1]) !== line.task || Number(own[2]) !== line.attempt) {
        throw new Error(
          `the log files a line of task ${own[1]} attempt ${own[2]} under task ${line.task} attempt ${line.attempt}: ${line.text}`,
        );
      }
      if (own[3] === "start") rec.start = Number(own[4]);
      else if (own[3] === "end") rec.end = Number(own[4]);
      else if (own[3] === "env")
        rec.env = Object.fromEntries(
          own[4]
            .split(" ")
            .filter(Boolean)
            .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
        );
    }
    const trapped = /^fixture: SIGTERM trapped at (\d+)/.exec(line.text);
    if (trapped) rec.sigtermAt = Number(trapped[1]);
    const stopped = /^task \d+ attempt \d+ stopped by SIGTERM at (\d+)$/.exec(line.text);
    if (stopped) rec.sigtermAt = Number(stopped[1]);
  }
  return out;
}

/** The most intervals open at one instant (an end at the same ms as a start does not overlap). */
export function maxOverlap(intervals: { start: number; end: number }[]): number {
  const events = intervals.flatMap((i) => [
    { at: i.start, delta: 1 },
    { at: i.end, delta: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let max = 0;
  for (const e of events) {
    open += e.delta;
    max = Math.max(max, open);
  }
  return max;
}

/** Pairs of intervals of one task index that overlap, described for a failure message. */
export function overlapsWithinIndex(intervals: { task: number; attempt: number; start: number; end: number }[]): string[] {
  const found: string[] = [];
  for (const a of intervals) {
    for (const b of intervals) {
      if (a.task === b.task && a.attempt < b.attempt && a.start < b.end && b.start < a.end) {
        found.push(`task ${a.task}: attempt ${a.attempt} [${a.start}, ${a.end}] overlaps attempt ${b.attempt} [${b.start}, ${b.end}]`);
      }
    }
  }
  return found;
}

/** This engine's containers of one execution (running or not). */
export async function containersOfExecution(engine: TestEngine, execution: string): Promise<ContainerSummary[]> {
  return (await engine.containers()).filter((c) => c.labels["skiff.execution"] === execution);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
