import type { TimerHandle } from "../base/clock";
import { defaultServiceAccount, jobLogName, taskContainerName } from "../model/derived-names";
import { taskEnv } from "../model/job";
import { parseCpuNanos, parseMemoryBytes } from "../model/quantity";
import { LABEL, taskLabels } from "../runtime/labels";
import type { ExecutionRow, TaskRow } from "../state/job-store";
import type { ExecutionRunnerDeps } from "./execution-runner-deps";
import { afterAttempt, executionStatus, tasksToStart, type AttemptOutcome } from "./execution-plan";
import { attemptId, taskLogSource } from "./task-log-source";
import { attemptSelector, mainContainerName, startTaskContainers, stopTaskSidecars } from "./task-sidecars";

export { attemptId, taskLogSource };

/** SIGTERM, then this long before SIGKILL, for a task past its timeout or a cancelled one. */
export const TASK_STOP_GRACE_SECONDS = 10;
/** An exited task's container stays this long (its log is read from Docker meanwhile), then its lines are collected into the job's log and it is removed. */
const REMOVE_AFTER_EXIT_MS = 2_000;

/**
 * Runs one execution to its end: starts tasks as the plan allows (execution-plan.ts), waits for
 * each attempt's container to exit (stopping it past its timeout), retries failed attempts, and
 * records every step in the store, so an engine restart can pick the execution up where it was.
 * A task index never runs twice at once: the next attempt starts only after the previous
 * container has exited or is gone.
 */
export class ExecutionRunner {
  private readonly tasks = new Map<number, TaskRow>();
  private readonly running = new Map<number, { containerId?: string; timer?: TimerHandle; timedOut: boolean }>();
  private readonly waiters: (() => void)[] = [];
  private finished = false;

  constructor(
    private row: ExecutionRow,
    private readonly deps: ExecutionRunnerDeps,
    private readonly onFinished: (runner: ExecutionRunner) => void,
  ) {
    for (const t of deps.jobs.listTasks(row.project, row.name)) this.tasks.set(t.index, t);
  }

  get name(): string {
    return this.row.name;
  }

  /** Resolves when the execution has finished (or at once if it has). */
  done(): Promise<void> {
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Starts a new execution's first tasks. */
  start(): void {
    this.pump();
  }

  /**
   * After an engine restart: attempts whose containers still run are waited for again; attempts
   * whose containers exited are judged by their exit code; attempts whose containers are gone
   * count as failed. Then the plan goes on.
   */
  async resume(): Promise<void> {
    const { runtime } = this.deps;
    await Promise.all(
      [...this.tasks.values()]
        .filter((t) => t.state === "RUNNING")
        .map(async (recorded) => {
          let task = recorded;
          // The engine may have died between asking Docker for the container and recording its id;
          // Docker still creates (and may start) it. Find it by its labels, so it is waited for
          // instead of being run again beside the next attempt, and never left behind.
          if (!task.containerId) {
            // With sidecars, the attempt's main container (the others carry their own names).
            const main = this.row.template.sidecars?.length ? mainContainerName(this.row.template) : undefined;
            const [found] = (await runtime.list(attemptSelector(this.deps, this.row, task)).catch(() => [])).filter(
              (c) => main === undefined || c.labels[LABEL.container] === main,
            );
            if (found) {
              task = { ...task, containerId: found.containerId };
              this.save(task);
            }
          }
          let state = task.containerId ? await runtime.inspect(task.containerId).catch(() => undefined) : undefined;
          if (state && state.started === false) {
            // Created but never started: nothing ran. Remove it (so a late start cannot run it) and retry.
            await runtime.remove(task.containerId!).catch(() => undefined);
            state = undefined;
          }
          if (state) {
            this.running.set(task.index, { containerId: task.containerId, timedOut: false });
            // Its Cloud SQL sockets are this engine's now, and its files that follow a secret's `latest` are followed again.
            const t = this.row.template;
            await this.deps.volumes
              .prepare(
                taskContainerName(this.row.project, this.row.name, task.index, task.attempt),
                this.row.project,
                t,
                parseMemoryBytes(t.resources.memory)!,
              )
              .catch((error: unknown) =>
                this.deps.log.warn("a running task's volumes could not be renewed", {
                  execution: this.row.name,
                  error: (error as Error).message,
                }),
              );
            const { project, job } = this.row;
            const after = await this.deps.logs
              .lastTimeOf(project, jobLogName(job), attemptId(task.index, task.attempt))
              .catch(() => undefined);
            this.own(this.watch(task, task.containerId!, after), task);
          } else {
            this.deps.log.warn("a task's container vanished while the engine was down", {
              execution: this.row.name,
              task: task.index,
              attempt: task.attempt,
            });
            this.endAttempt(task, { succeeded: false, reason: "its container vanished while the engine was down" });
          }
        }),
    );
    if (this.row.cancelRequested) this.cancel();
    this.pump();
  }

  /** Stops running tasks (SIGTERM, grace, SIGKILL) and marks the rest cancelled. */
  cancel(): void {
    const { jobs, runtime, log } = this.deps;
    if (!this.row.cancelRequested) {
      this.row = { ...this.row, cancelRequested: true };
      jobs.updateExecution(this.row.project, this.row.name, { cancelRequested: true });
    }
    for (const task of this.tasks.values()) {
      if (task.state === "PENDING") this.save({ ...task, state: "CANCELLED", completionTime: new Date().toISOString() });
    }
    for (const [index, attempt] of this.running) {
      if (!attempt.containerId) continue;
      runtime
        .stop(attempt.containerId, TASK_STOP_GRACE_SECONDS)
        .catch((error) => log.warn("could not stop a task", { execution: this.row.name, task: index, error: (error as Error).message }));
    }
    this.pump();
  }

  private pump(): void {
    if (this.finished) return;
    const list = [...this.tasks.values()];
    for (const index of tasksToStart(list, this.row.template.parallelism, this.row.cancelRequested)) {
      const task = this.tasks.get(index)!;
      const running: TaskRow = {
        ...task,
        state: "RUNNING",
        exitCode: undefined,
        startTime: new Date().toISOString(),
        completionTime: undefined,
        containerId: undefined,
      };
      this.save(running);
      this.running.set(index, { timedOut: false });
      this.own(this.runAttempt(running), running);
    }
    const status = executionStatus([...this.tasks.values()], this.row.cancelRequested);
    if (status !== "RUNNING") this.finish(status);
  }

  private async runAttempt(task: TaskRow): Promise<void> {
    const { runtime, engineId, log } = this.deps;
    const t = this.row.template;
    const { project, name: execution, job } = this.row;
    let containerId: string;
    const name = taskContainerName(project, execution, task.index, task.attempt);
    if (t.sidecars?.length) {
      try {
        containerId = await startTaskContainers(this.deps, this.row, task, name);
      } catch (error) {
        log.warn("could not start a task", { execution, task: task.index, attempt: task.attempt, error: (error as Error).message });
        return this.endAttempt(task, {
          succeeded: false,
          reason: `its containers could not be started: ${(error as Error).message.split("\n")[0]}`,
        });
      }
    } else
      try {
        const memoryBytes = parseMemoryBytes(t.resources.memory)!;
        const prepared = await this.deps.volumes.prepare(name, project, t, memoryBytes);
        const started = await runtime.start({
          name,
          image: t.image,
          command: t.command,
          args: t.args,
          env: { ...t.env, ...prepared.env, ...taskEnv(job, execution, task.index, task.attempt, t.taskCount) },
          memoryBytes,
          mounts: prepared.mounts,
          nanoCpus: Math.min(parseCpuNanos(t.resources.cpu)!, this.deps.hostCpus * 1e9),
          labels: taskLabels(
            engineId,
            project,
            job,
            execution,
            task.index,
            task.attempt,
            t.serviceAccount ?? defaultServiceAccount(project),
          ),
        });
        containerId = started.containerId;
      } catch (error) {
        this.deps.volumes.release(name);
        log.warn("could not start a task", { execution, task: task.index, attempt: task.attempt, error: (error as Error).message });
        return this.endAttempt(task, {
          succeeded: false,
          reason: `its container could not be started: ${(error as Error).message.split("\n")[0]}`,
        });
      }
    const current = { ...task, containerId };
    this.save(current);
    const attempt = this.running.get(task.index);
    if (attempt) attempt.containerId = containerId;
    // Cancelled while the container was being created: stop it like the others.
    if (this.row.cancelRequested) void runtime.stop(containerId, TASK_STOP_GRACE_SECONDS).catch(() => undefined);
    await this.watch(current, containerId);
  }

  /** Attaches the attempt's logs, enforces its timeout, waits for its container to exit, then collects its logs and removes it. */
  private async watch(task: TaskRow, containerId: string, after?: string): Promise<void> {
    const { runtime, logs, clock, log } = this.deps;
    const { project, name: execution, job } = this.row;
    const attempt = this.running.get(task.index) ?? { timedOut: false };
    const source = taskLogSource(project, job, execution, task.index, task.attempt);
    const several = (this.row.template.sidecars?.length ?? 0) > 0;
    logs.attach(containerId, several ? { ...source, container: mainContainerName(this.row.template) } : source, after);
    const timeoutMs = this.row.template.timeout * 1000 - (task.startTime ? Date.now() - Date.parse(task.startTime) : 0);
    attempt.timer = clock.setTimeout(
      () => {
        attempt.timedOut = true;
        log.info("task timed out; stopping it", { execution, task: task.index, attempt: task.attempt });
        runtime.stop(containerId, TASK_STOP_GRACE_SECONDS).catch(() => undefined);
      },
      Math.max(0, timeoutMs),
    );
    let outcome: AttemptOutcome;
    try {
      const exit = await runtime.waitExit(containerId);
      if (attempt.timedOut) outcome = { succeeded: false, reason: `timed out after ${this.row.template.timeout} s` };
      else if (exit.exitCode === 0) outcome = { succeeded: true };
      else outcome = { succeeded: false, reason: exit.oomKilled ? "memory limit exceeded" : `exited with code ${exit.exitCode}` };
      this.tasks.set(task.index, { ...(this.tasks.get(task.index) ?? task), exitCode: exit.exitCode });
    } catch (error) {
      outcome = { succeeded: false, reason: `its container vanished: ${(error as Error).message}` };
    }
    clock.clearTimeout(attempt.timer);
    // The task is its main container: once it exited, its sidecars are stopped and go.
    if (several)
      await stopTaskSidecars(this.deps, this.row, task, containerId, TASK_STOP_GRACE_SECONDS).catch((error) =>
        log.warn("could not stop a task's sidecars", { execution, task: task.index, error: (error as Error).message }),
      );
    // What the task wrote goes into the job's log before its container goes.
    clock.setTimeout(() => {
      logs
        .collect(containerId)
        .then(() => runtime.remove(containerId))
        .then(() => this.deps.volumes.release(taskContainerName(project, execution, task.index, task.attempt)))
        .catch((error) =>
          log.warn("could not remove a task's container", { container: containerId.slice(0, 12), error: (error as Error).message }),
        );
    }, REMOVE_AFTER_EXIT_MS);
    this.endAttempt(this.tasks.get(task.index) ?? task, outcome);
  }

  /** An attempt runs on its own; whatever goes wrong in it is logged here, never left to reach the process. */
  private own(work: Promise<void>, task: TaskRow): void {
    work.catch((error) =>
      this.deps.log.error("a task's attempt failed unexpectedly", {
        execution: this.row.name,
        task: task.index,
        attempt: task.attempt,
        error: (error as Error).stack,
      }),
    );
  }

  private endAttempt(task: TaskRow, outcome: AttemptOutcome): void {
    this.running.delete(task.index);
    const now = new Date().toISOString();
    let next: TaskRow;
    if (this.row.cancelRequested) {
      next = { ...task, state: "CANCELLED", completionTime: now, lastError: outcome.succeeded ? task.lastError : outcome.reason };
    } else {
      const progress = afterAttempt(task, outcome, this.row.template.maxRetries);
      next = {
        ...task,
        state: progress.state,
        attempt: progress.attempt,
        lastError: outcome.succeeded ? undefined : outcome.reason,
        completionTime: progress.state === "PENDING" ? undefined : now,
      };
      if (!outcome.succeeded) {
        this.logAttemptFailure(task, outcome.reason, progress.state === "PENDING");
        this.deps.log.info("task attempt failed", {
          execution: this.row.name,
          task: task.index,
          attempt: task.attempt,
          reason: outcome.reason,
          retry: progress.state === "PENDING",
        });
      }
    }
    this.save(next);
    this.pump();
  }

  /**
   * Why an attempt failed, in the job's log beside what the task printed (as Cloud Run logs a failed
   * task, as an ERROR): a task whose entrypoint cannot run prints nothing of its own.
   */
  private logAttemptFailure(task: TaskRow, reason: string, retried: boolean): void {
    const { project, job, name: execution } = this.row;
    const source = taskLogSource(project, job, execution, task.index, task.attempt);
    const text = `the attempt failed: ${reason}${retried ? "; the task will be retried" : ""}`;
    this.deps.logs.append(project, source.service, {
      time: new Date().toISOString(),
      stream: "engine",
      severity: "ERROR",
      text,
      revision: execution,
      instance: source.instance,
      task: task.index,
      attempt: task.attempt,
    });
  }

  private save(task: TaskRow): void {
    this.tasks.set(task.index, task);
    this.deps.jobs.putTask(task);
  }

  private finish(status: ExecutionRow["status"]): void {
    this.finished = true;
    const completionTime = new Date().toISOString();
    this.row = { ...this.row, status, completionTime };
    this.deps.jobs.updateExecution(this.row.project, this.row.name, { status, completionTime });
    this.deps.log.info("execution finished", { execution: this.row.name, status });
    for (const resolve of this.waiters.splice(0)) resolve();
    this.onFinished(this);
  }
}
