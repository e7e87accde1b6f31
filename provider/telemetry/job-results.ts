import type { JobStore } from "../state/job-store";

/** Each job's executions by status and their tasks by state, read from the job tables (the job metrics). */
export function* jobResults(
  jobs: JobStore,
): Generator<{ project: string; job: string; executions: Record<string, number>; tasks: Record<string, number> }> {
  const byJob = new Map<string, { project: string; job: string; executions: Record<string, number>; tasks: Record<string, number> }>();
  for (const execution of jobs.listExecutions()) {
    const key = `${execution.project}/${execution.job}`;
    let counts = byJob.get(key);
    if (!counts) byJob.set(key, (counts = { project: execution.project, job: execution.job, executions: {}, tasks: {} }));
    counts.executions[execution.status] = (counts.executions[execution.status] ?? 0) + 1;
    for (const task of jobs.listTasks(execution.project, execution.name)) counts.tasks[task.state] = (counts.tasks[task.state] ?? 0) + 1;
  }
  yield* byJob.values();
}
