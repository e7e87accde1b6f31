import { canonicalJson } from "../base/canonical-json";
import type { Clock } from "../base/clock";
import { executionName, jobLogName, scopedKey } from "../model/derived-names";
import { checkField, notFound, SkiffError } from "../model/errors";
import { applyOverrides, parseExecutionOverrides, parseJobSpec, type Execution, type Job } from "../model/job";
import { checkProject, executionNameSchema, jobNameSchema } from "../model/names";
import type { ContainerLogs } from "../logs/container-logs";
import type { LogEncoding, LogPieceWriter } from "../logs/log-read";
import { checkTemplateSecrets } from "../platform/secret-values";
import { checkTemplateMappings } from "../platform/volume-host";
import { LABEL, taskOfLabels, type TaskAttemptLabels } from "../runtime/labels";
import type { ExecutionRow, JobRow, TaskRow } from "../state/job-store";
import type { Store } from "../state/store";
import { attemptId, ExecutionRunner, TASK_STOP_GRACE_SECONDS, taskLogSource } from "./execution-runner";
import type { ExecutionRunnerDeps } from "./execution-runner-deps";
import { KeyedLock } from "./keyed-lock";
import { executionCounts } from "./execution-plan";

/** What its execution runners work with, the job store apart: the controller hands them the Store's. */
export interface JobControllerDeps extends Omit<ExecutionRunnerDeps, "jobs"> {
  store: Store;
}

export interface ApplyJobOptions {
  /** "create": the job must not exist (409); "update": it must (404); absent: either. */
  mode?: "create" | "update";
  expectedGeneration?: number;
  /** The caller's own check of the job as it is under the lock (e.g. an etag); throwing refuses the change. */
  precondition?: (current: Job | undefined) => void;
}

/** The longest a `wait` read of an execution is held open before it answers with the current state. */
const MAX_WAIT_MS = 10 * 60_000;

/**
 * Jobs and their executions: create/update/delete jobs (the template is mutable; each execution
 * snapshots it with its overrides), execute, cancel, and pick running executions back up after an
 * engine restart. Each running execution has one ExecutionRunner.
 */
export class JobController {
  private readonly lock = new KeyedLock();
  private readonly runners = new Map<string, ExecutionRunner>();

  constructor(private readonly deps: JobControllerDeps) {}

  // ---- jobs ----

  list(project: string): Job[] {
    checkProject(project);
    return this.deps.store.jobs.listJobs(project).map((j) => this.jobView(j));
  }

  get(project: string, name: string): Job {
    return this.jobView(this.requireJob(project, name));
  }

  async apply(project: string, name: string, body: unknown, options: ApplyJobOptions = {}): Promise<Job> {
    checkProject(project);
    checkField("job", jobNameSchema, name);
    const spec = parseJobSpec(body);
    checkTemplateMappings(this.deps.store, spec.template);
    checkTemplateSecrets(this.deps.store.secrets, project, spec.template);
    return this.lock.run(scopedKey(project, name), async () => {
      const { jobs } = this.deps.store;
      const existing = jobs.getJob(project, name);
      if (existing && options.mode === "create") {
        throw new SkiffError(
          "ALREADY_EXISTS",
          `job "${name}" already exists in project "${project}"; change it with: skiff jobs update ${name}`,
          [{ field: "job", reason: `"${name}" already exists in project "${project}"` }],
        );
      }
      if (!existing && options.mode === "update") throw notFound("job", name, project);
      if (options.expectedGeneration !== undefined && (existing?.generation ?? 0) !== options.expectedGeneration) {
        throw new SkiffError("CONFLICT", `job "${name}" in project "${project}" was changed by someone else; read it again and retry`, [
          { field: "expectedGeneration", reason: `job "${name}" was changed by someone else; retry` },
        ]);
      }
      options.precondition?.(existing ? this.jobView(existing) : undefined);
      const now = new Date().toISOString();
      const changed =
        !existing || canonicalJson({ t: existing.template, l: existing.labels }) !== canonicalJson({ t: spec.template, l: spec.labels });
      const row: JobRow = {
        project,
        name,
        template: spec.template,
        labels: spec.labels,
        generation: (existing?.generation ?? 0) + (changed ? 1 : 0),
        executionCount: existing?.executionCount ?? 0,
        createTime: existing?.createTime ?? now,
        updateTime: changed ? now : (existing?.updateTime ?? now),
      };
      jobs.putJob(row);
      return this.jobView(row);
    });
  }

  /**
   * Deletes the job with its executions at once; running tasks are stopped (SIGTERM, grace) and
   * every container and the job's log go in the background.
   */
  async delete(project: string, name: string, precondition?: (current: Job) => void): Promise<void> {
    const executions = await this.lock.run(scopedKey(project, name), async () => {
      precondition?.(this.jobView(this.requireJob(project, name)));
      const executions = this.deps.store.jobs.listExecutions(project, name);
      this.deps.store.jobs.deleteJob(project, name);
      return executions;
    });
    const stopping = executions.map(async (e) => {
      const runner = this.runners.get(scopedKey(project, e.name));
      if (runner) {
        runner.cancel();
        await runner.done();
      }
      await this.removeContainersOf(project, e.name);
    });
    Promise.all(stopping)
      .then(() => this.deps.logs.remove(project, jobLogName(name)))
      .catch((error) => this.deps.log.warn("cleaning up a deleted job failed", { job: name, error: (error as Error).message }));
  }

  // ---- executions ----

  /** Starts an execution of the job's current template with the overrides; answers once it is recorded. */
  async execute(project: string, job: string, overridesBody: unknown): Promise<Execution> {
    const overrides = parseExecutionOverrides(overridesBody);
    const row = await this.lock.run(scopedKey(project, job), async () => {
      const jobRow = this.requireJob(project, job);
      const { jobs } = this.deps.store;
      const template = applyOverrides(jobRow.template, overrides);
      // Mapped when the job was made, maybe not any more: said now, not as failed tasks.
      checkTemplateMappings(this.deps.store, template);
      const now = new Date().toISOString();
      const execution: ExecutionRow = {
        project,
        name: executionName(job),
        job,
        template,
        status: "RUNNING",
        cancelRequested: false,
        createTime: now,
        startTime: now,
      };
      const tasks: TaskRow[] = Array.from({ length: template.taskCount }, (_, index) => ({
        project,
        execution: execution.name,
        index,
        state: "PENDING",
        attempt: 0,
      }));
      this.deps.store.transaction(() => {
        jobs.insertExecution(execution, tasks);
        jobs.putJob({ ...jobRow, executionCount: jobRow.executionCount + 1 });
      });
      return execution;
    });
    this.runnerFor(row).start();
    return this.getExecution(project, row.name);
  }

  listExecutions(project: string, job?: string): Execution[] {
    checkProject(project);
    if (job !== undefined) this.requireJob(project, job);
    return this.deps.store.jobs.listExecutions(project, job).map((e) => this.executionView(e));
  }

  getExecution(project: string, name: string): Execution {
    return this.executionView(this.requireExecution(project, name));
  }

  /** The execution once it has finished, or as it is after `waitMs` (at most 10 minutes). */
  async waitExecution(project: string, name: string, waitMs: number): Promise<Execution> {
    this.requireExecution(project, name);
    const runner = this.runners.get(scopedKey(project, name));
    if (runner) {
      let timer: ReturnType<Clock["setTimeout"]> | undefined;
      await Promise.race([
        runner.done(),
        new Promise<void>((resolve) => (timer = this.deps.clock.setTimeout(resolve, Math.min(waitMs, MAX_WAIT_MS)))),
      ]);
      if (timer !== undefined) this.deps.clock.clearTimeout(timer);
    }
    return this.getExecution(project, name);
  }

  async cancel(project: string, name: string): Promise<Execution> {
    const row = this.requireExecution(project, name);
    const runner = this.runners.get(scopedKey(project, name));
    if (!runner || row.status !== "RUNNING") {
      throw new SkiffError(
        "FAILED_PRECONDITION",
        `execution "${name}" has already finished (${row.status.toLowerCase()}); only a running execution can be cancelled`,
        [{ field: "execution", reason: `"${name}" has already finished (${row.status.toLowerCase()})` }],
      );
    }
    runner.cancel();
    return this.getExecution(project, name);
  }

  /**
   * Forgets a finished execution (its record and its tasks'; its lines stay in the job's log).
   * A running one must be cancelled first: deleting it would leave tasks nobody answers for.
   */
  async deleteExecution(project: string, name: string): Promise<void> {
    const row = this.requireExecution(project, name);
    await this.lock.run(scopedKey(project, row.job), async () => {
      const current = this.requireExecution(project, name);
      if (current.status === "RUNNING" || this.runners.has(scopedKey(project, name))) {
        throw new SkiffError("FAILED_PRECONDITION", `execution "${name}" is still running; cancel it first, then delete it`, [
          { field: "execution", reason: `"${name}" is still running; cancel it first, then delete it` },
        ]);
      }
      this.deps.store.jobs.deleteExecution(project, name);
    });
  }

  /** The job's log (ContainerLogs.readInto), of one execution or all. */
  readLogs(
    project: string,
    job: string,
    options: { execution?: string; container?: string; limit?: number; filter?: string; encoding: LogEncoding },
    write: LogPieceWriter,
  ): Promise<void> {
    this.requireJob(project, job);
    return this.deps.logs.readInto(
      project,
      jobLogName(job),
      {
        revision: options.execution,
        container: options.container,
        limit: options.limit,
        filter: options.filter,
        encoding: options.encoding,
      },
      write,
    );
  }

  subscribeLogs(project: string, job: string, listener: Parameters<ContainerLogs["subscribe"]>[2]): () => void {
    this.requireJob(project, job);
    return this.deps.logs.subscribe(project, jobLogName(job), listener);
  }

  // ---- restart ----

  /**
   * After an engine restart: every execution still RUNNING gets a runner again, which waits for
   * the task containers of its running attempts and retries the attempts whose containers are gone.
   * Every other task container is an attempt that has ended: its lines are kept, then it goes.
   */
  async resume(): Promise<void> {
    const { store, runtime, engineId, log } = this.deps;
    const executions = store.jobs.listExecutions();
    const known = new Set(executions.map((e) => scopedKey(e.project, e.name)));
    // The attempts a runner waits for: those its execution still records as running.
    const running = new Set(
      executions
        .filter((e) => e.status === "RUNNING")
        .flatMap((e) =>
          store.jobs
            .listTasks(e.project, e.name)
            .filter((t) => t.state === "RUNNING")
            .map((t) => attemptKey(e.project, e.name, t.index, t.attempt)),
        ),
    );
    const containers = (await runtime.list({ [LABEL.engine]: engineId })).filter((c) => c.labels[LABEL.execution] !== undefined);
    // An attempt ends ~2 s before its container is removed (its log read meanwhile), and the engine
    // may die in between, for an execution that is finished or still running alike; those of
    // executions the engine no longer knows (a deleted job, whose log went with it) just go.
    await Promise.all(
      containers.map(async (c) => {
        const attempt = taskOfLabels(c.labels);
        if (attempt && running.has(attemptKey(attempt.project, attempt.execution, attempt.task, attempt.attempt))) return;
        log.info("removing the container of an ended task attempt", {
          container: c.containerId.slice(0, 12),
          execution: c.labels[LABEL.execution],
          task: attempt?.task,
          attempt: attempt?.attempt,
        });
        const keep =
          attempt && known.has(scopedKey(attempt.project, attempt.execution))
            ? () => this.collectTaskLog(c.containerId, attempt)
            : undefined;
        await runtime.stopAndRemove(c.containerId, 0, keep).catch(() => undefined);
      }),
    );
    for (const e of executions) {
      if (e.status === "RUNNING") await this.runnerFor(e).resume();
    }
  }

  /** Keeps the lines of an ended attempt's container whose removal a restart interrupted. */
  private async collectTaskLog(containerId: string, { project, job, execution, task, attempt }: TaskAttemptLabels): Promise<void> {
    const { logs } = this.deps;
    const after = await logs.lastTimeOf(project, jobLogName(job), attemptId(task, attempt)).catch(() => undefined);
    logs.attach(containerId, taskLogSource(project, job, execution, task, attempt), after);
    await logs.collect(containerId);
  }

  /** The engine stops: runners are dropped; their containers keep running for the next start. */
  stop(): void {
    this.runners.clear();
  }

  private runnerFor(row: ExecutionRow): ExecutionRunner {
    const key = scopedKey(row.project, row.name);
    const runner = new ExecutionRunner(row, { ...this.deps, jobs: this.deps.store.jobs }, () => {
      if (this.runners.get(key) === runner) this.runners.delete(key);
    });
    this.runners.set(key, runner);
    return runner;
  }

  private async removeContainersOf(project: string, execution: string): Promise<void> {
    const { runtime, engineId } = this.deps;
    const containers = await runtime.list({ [LABEL.engine]: engineId, [LABEL.project]: project, [LABEL.execution]: execution });
    await Promise.all(containers.map((c) => runtime.stopAndRemove(c.containerId, TASK_STOP_GRACE_SECONDS).catch(() => undefined)));
  }

  // ---- views ----

  private jobView(j: JobRow): Job {
    const latest = this.deps.store.jobs.listExecutions(j.project, j.name)[0];
    const latestExecution = latest ? (({ tasks: _t, template: _p, ...rest }) => rest)(this.executionView(latest)) : undefined;
    return {
      name: j.name,
      project: j.project,
      template: j.template,
      labels: j.labels,
      generation: j.generation,
      executionCount: j.executionCount,
      latestExecution,
      createTime: j.createTime,
      updateTime: j.updateTime,
    };
  }

  private executionView(e: ExecutionRow): Execution {
    const tasks = this.deps.store.jobs.listTasks(e.project, e.name);
    const failed = tasks.filter((t) => t.state === "FAILED");
    return {
      name: e.name,
      project: e.project,
      job: e.job,
      template: e.template,
      status: e.status,
      ...executionCounts(tasks),
      error:
        failed.length > 0
          ? failed
              .map((t) => `task ${t.index} failed after ${t.attempt + 1} attempt${t.attempt === 0 ? "" : "s"}: ${t.lastError ?? "unknown"}`)
              .join("; ")
          : undefined,
      createTime: e.createTime,
      startTime: e.startTime,
      completionTime: e.completionTime,
      tasks: tasks.map((t) => ({
        index: t.index,
        state: t.state,
        attempt: t.attempt,
        exitCode: t.exitCode,
        lastError: t.lastError,
        startTime: t.startTime,
        completionTime: t.completionTime,
      })),
    };
  }

  private requireJob(project: string, name: string): JobRow {
    checkProject(project);
    checkField("job", jobNameSchema, name);
    const row = this.deps.store.jobs.getJob(project, name);
    if (!row) throw notFound("job", name, project);
    return row;
  }

  private requireExecution(project: string, name: string): ExecutionRow {
    checkProject(project);
    checkField("execution", executionNameSchema, name);
    const row = this.deps.store.jobs.getExecution(project, name);
    if (!row) throw notFound("execution", name, project);
    return row;
  }
}

function attemptKey(project: string, execution: string, task: number, attempt: number): string {
  return `${scopedKey(project, execution)}/${task}/${attempt}`;
}
