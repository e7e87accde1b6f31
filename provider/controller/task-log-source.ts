import { jobLogName } from "../model/derived-names";
import type { LogSource } from "../logs/container-logs";

/** The log's instance field of one attempt: where its lines resume after a restart. */
export function attemptId(index: number, attempt: number): string {
  return `task${index}-attempt${attempt}`;
}

/** Where one attempt's lines go: the job's log, as its execution, with its index and attempt. */
export function taskLogSource(project: string, job: string, execution: string, task: number, attempt: number): LogSource {
  return { project, service: jobLogName(job), revision: execution, instance: attemptId(task, attempt), task, attempt };
}
