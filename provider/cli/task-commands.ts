import { Command } from "commander";
import { EngineError } from "../client/api-client";
import { taskIndexOf } from "../cloudrun-v2/job-to-v2";
import { taskToCloudRun } from "../knative/task-object";
import type { TaskState } from "../model/job";
import { commonOptions, connect, withCommon } from "./common";
import { nameArg } from "./flags";
import { render } from "./formats";
import { listed, withListFlags } from "./list-flags";
import { printTable, UsageError } from "./output";

/**
 * `skiff jobs executions tasks list|describe`, as gcloud's: tasks are named `<execution>-task<index>`
 * (as the v2 API names them), listed by index with gcloud's columns and its state flags
 * (--succeeded, --failed, --cancelled, --running, --pending, --completed, --no-completed), printed
 * with --format as Cloud Run's v1 Task.
 */

const STATE_FLAGS: [flag: string, states: TaskState[]][] = [
  ["succeeded", ["SUCCEEDED"]],
  ["failed", ["FAILED"]],
  ["cancelled", ["CANCELLED"]],
  ["running", ["RUNNING"]],
  ["pending", ["PENDING"]],
  ["completed", ["SUCCEEDED", "FAILED", "CANCELLED"]],
  ["noCompleted", ["RUNNING", "PENDING"]],
];

export function taskCommands(): Command {
  const tasks = new Command("tasks").description("list and describe the tasks of an execution");

  withListFlags(withCommon(tasks.command("list")))
    .requiredOption("--execution <execution>", "the execution whose tasks to list", nameArg("execution", "--execution"))
    .option("--succeeded", "include succeeded tasks")
    .option("--failed", "include failed tasks")
    .option("--cancelled", "include cancelled tasks")
    .option("--running", "include running tasks")
    .option("--pending", "include pending tasks")
    .option("--completed", "include succeeded, failed and cancelled tasks")
    .option("--no-completed", "include running and pending tasks")
    .description("list an execution's tasks by index (all of them unless a state flag picks some)")
    .action(async (options) => {
      const { project, format } = commonOptions(options);
      const client = await connect();
      const [e] = await listOrNone(client.getExecution(project, options.execution).then((found) => [found]));
      // commander stores --no-completed as completed === false.
      const picked = STATE_FLAGS.filter(([flag]) =>
        flag === "noCompleted" ? options.completed === false : flag === "completed" ? options.completed === true : options[flag] === true,
      ).flatMap(([, states]) => states);
      const chosen = (e?.tasks ?? []).filter((t) => picked.length === 0 || picked.includes(t.state)).sort((a, b) => a.index - b.index);
      const { items, objects } = listed(chosen, (t) => taskToCloudRun(e!, t), options);
      render(format, objects, () =>
        printTable([
          ["INDEX", "STATE", "TASK", "STARTED", "COMPLETED", "RETRIES"],
          ...items.map((t) => [
            String(t.index),
            t.state,
            `${e!.name}-task${t.index}`,
            t.startTime ?? "",
            t.completionTime ?? "",
            t.startTime ? String(t.attempt) : "",
          ]),
        ]),
      );
    });

  withCommon(tasks.command("describe"))
    .argument("<task>", "task name: <execution>-task<index>")
    .action(async (name: string, options) => {
      const { project, format } = commonOptions(options);
      const match = /^(.+)-task\d+$/.exec(name);
      if (!match) throw new UsageError(`TASK: "${name}" is not a task name; tasks are named <execution>-task<index>`);
      const e = await (await connect()).getExecution(project, match[1]);
      const index = taskIndexOf(e.name, name);
      const t = e.tasks.find((task) => task.index === index);
      if (!t) throw new UsageError(`TASK: execution ${e.name} has no task ${name} (it has ${e.tasks.length})`);
      render(format, taskToCloudRun(e, t), () =>
        process.stdout.write(
          [
            `Task ${name} of execution ${e.name}: ${t.state}`,
            `  Index:     ${t.index}`,
            `  Retries:   ${t.attempt}`,
            `  Exit code: ${t.exitCode ?? "-"}`,
            `  Started:   ${t.startTime ?? "-"}`,
            `  Completed: ${t.completionTime ?? "-"}`,
            ...(t.lastError ? [`  Error:     ${t.lastError}`] : []),
            "",
          ].join("\n"),
        ),
      );
    });
  return tasks;
}

/**
 * gcloud lists a job's executions, and an execution's tasks, by label (`run.googleapis.com/job = J`):
 * a job or execution that does not exist lists nothing, and the command succeeds.
 */
export async function listOrNone<T>(list: Promise<T[]>): Promise<T[]> {
  return list.catch((error: unknown) => {
    if (error instanceof EngineError && error.status === 404) return [];
    throw error;
  });
}
