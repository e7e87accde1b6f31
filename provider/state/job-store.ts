import { inTransaction, type Database } from "./db";
import { rowByName, rowsByProject, rowsWhere } from "./queries";
import type { ExecutionStatus, JobTemplate, TaskState } from "../model/job";

export interface JobRow {
  project: string;
  name: string;
  template: JobTemplate;
  labels: Record<string, string>;
  generation: number;
  executionCount: number;
  createTime: string;
  updateTime: string;
}

export interface ExecutionRow {
  project: string;
  name: string;
  job: string;
  template: JobTemplate;
  status: ExecutionStatus;
  cancelRequested: boolean;
  createTime: string;
  startTime: string;
  completionTime?: string;
}

export interface TaskRow {
  project: string;
  execution: string;
  index: number;
  state: TaskState;
  attempt: number;
  exitCode?: number;
  lastError?: string;
  /** The container of the attempt running now (or of the last one, until it is removed). */
  containerId?: string;
  startTime?: string;
  completionTime?: string;
}

/** Typed access to the job tables; shares the Store's database and its transactions. */
export class JobStore {
  constructor(private readonly db: Database) {}

  getJob(project: string, name: string): JobRow | undefined {
    const row = rowByName(this.db, "jobs", project, name);
    return row ? toJob(row) : undefined;
  }

  listJobs(project?: string): JobRow[] {
    return rowsByProject(this.db, "jobs", project).map(toJob);
  }

  putJob(j: JobRow): void {
    this.db
      .prepare(
        `INSERT INTO jobs (project, name, spec, generation, execution_count, create_time, update_time)
         VALUES (@project, @name, @spec, @generation, @executionCount, @createTime, @updateTime)
         ON CONFLICT (project, name) DO UPDATE SET spec = @spec, generation = @generation,
           execution_count = @executionCount, update_time = @updateTime`,
      )
      .run({
        project: j.project,
        name: j.name,
        spec: JSON.stringify({ template: j.template, labels: j.labels }),
        generation: j.generation,
        executionCount: j.executionCount,
        createTime: j.createTime,
        updateTime: j.updateTime,
      });
  }

  /** Removes a job with its executions and task records. */
  deleteJob(project: string, name: string): void {
    inTransaction(this.db, () => {
      for (const e of this.listExecutions(project, name))
        this.db.prepare("DELETE FROM tasks WHERE project = ? AND execution = ?").run(project, e.name);
      this.db.prepare("DELETE FROM executions WHERE project = ? AND job = ?").run(project, name);
      this.db.prepare("DELETE FROM jobs WHERE project = ? AND name = ?").run(project, name);
      this.db.prepare("DELETE FROM iam_policies WHERE project = ? AND kind = 'job' AND name = ?").run(project, name);
    });
  }

  /** Removes one execution with its task records. */
  deleteExecution(project: string, name: string): void {
    inTransaction(this.db, () => {
      this.db.prepare("DELETE FROM tasks WHERE project = ? AND execution = ?").run(project, name);
      this.db.prepare("DELETE FROM executions WHERE project = ? AND name = ?").run(project, name);
    });
  }

  getExecution(project: string, name: string): ExecutionRow | undefined {
    const row = rowByName(this.db, "executions", project, name);
    return row ? toExecution(row) : undefined;
  }

  /** Newest first. */
  listExecutions(project?: string, job?: string): ExecutionRow[] {
    return rowsWhere(this.db, "executions", { project, job }, "create_time DESC, name").map(toExecution);
  }

  insertExecution(e: ExecutionRow, tasks: TaskRow[]): void {
    inTransaction(this.db, () => {
      this.db
        .prepare(
          `INSERT INTO executions (project, name, job, template, status, cancel_requested, create_time, start_time, completion_time)
           VALUES (@project, @name, @job, @template, @status, @cancelRequested, @createTime, @startTime, @completionTime)`,
        )
        .run({
          project: e.project,
          name: e.name,
          job: e.job,
          template: JSON.stringify(e.template),
          status: e.status,
          cancelRequested: e.cancelRequested ? 1 : 0,
          createTime: e.createTime,
          startTime: e.startTime,
          completionTime: e.completionTime ?? null,
        });
      for (const t of tasks) this.putTask(t);
    });
  }

  updateExecution(
    project: string,
    name: string,
    change: { status?: ExecutionStatus; cancelRequested?: boolean; completionTime?: string },
  ): void {
    const current = this.getExecution(project, name);
    if (!current) return;
    this.db
      .prepare("UPDATE executions SET status = ?, cancel_requested = ?, completion_time = ? WHERE project = ? AND name = ?")
      .run(
        change.status ?? current.status,
        (change.cancelRequested ?? current.cancelRequested) ? 1 : 0,
        change.completionTime ?? current.completionTime ?? null,
        project,
        name,
      );
  }

  listTasks(project: string, execution: string): TaskRow[] {
    return this.db
      .prepare("SELECT * FROM tasks WHERE project = ? AND execution = ? ORDER BY task_index")
      .all(project, execution)
      .map(toTask);
  }

  putTask(t: TaskRow): void {
    this.db
      .prepare(
        `INSERT INTO tasks (project, execution, task_index, state, attempt, exit_code, last_error, container_id, start_time, completion_time)
         VALUES (@project, @execution, @index, @state, @attempt, @exitCode, @lastError, @containerId, @startTime, @completionTime)
         ON CONFLICT (project, execution, task_index) DO UPDATE SET state = @state, attempt = @attempt, exit_code = @exitCode,
           last_error = @lastError, container_id = @containerId, start_time = @startTime, completion_time = @completionTime`,
      )
      .run({
        project: t.project,
        execution: t.execution,
        index: t.index,
        state: t.state,
        attempt: t.attempt,
        exitCode: t.exitCode ?? null,
        lastError: t.lastError ?? null,
        containerId: t.containerId ?? null,
        startTime: t.startTime ?? null,
        completionTime: t.completionTime ?? null,
      });
  }
}

type Row = Record<string, any>;

function toJob(row: unknown): JobRow {
  const r = row as Row;
  const spec = JSON.parse(r.spec);
  return {
    project: r.project,
    name: r.name,
    template: spec.template,
    labels: spec.labels,
    generation: r.generation,
    executionCount: r.execution_count,
    createTime: r.create_time,
    updateTime: r.update_time,
  };
}

function toExecution(row: unknown): ExecutionRow {
  const r = row as Row;
  return {
    project: r.project,
    name: r.name,
    job: r.job,
    template: JSON.parse(r.template),
    status: r.status,
    cancelRequested: r.cancel_requested === 1,
    createTime: r.create_time,
    startTime: r.start_time,
    completionTime: r.completion_time ?? undefined,
  };
}

function toTask(row: unknown): TaskRow {
  const r = row as Row;
  return {
    project: r.project,
    execution: r.execution,
    index: r.task_index,
    state: r.state,
    attempt: r.attempt,
    exitCode: r.exit_code ?? undefined,
    lastError: r.last_error ?? undefined,
    containerId: r.container_id ?? undefined,
    startTime: r.start_time ?? undefined,
    completionTime: r.completion_time ?? undefined,
  };
}
