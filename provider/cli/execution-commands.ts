import { Command } from "commander";
import type { Execution } from "../model/job";
import { commonOptions, connect, withAsyncAccepted, withCommon } from "./common";
import { confirmOrAbort } from "./confirm";
import { nameArg } from "./flags";
import { counts } from "./job-commands";
import { render } from "./formats";
import { executionToCloudRun } from "../knative/objects";
import { printTable, UsageError } from "./output";
import { listed, withListFlags } from "./list-flags";
import { listOrNone, taskCommands } from "./task-commands";

export function executionCommands(): Command {
  const executions = new Command("executions").description(
    "list, describe, cancel and delete executions of jobs; list and describe their tasks",
  );

  withListFlags(withCommon(executions.command("list")))
    .option("--job <job>", "only this job's executions", nameArg("job", "--job"))
    .description("list executions, newest first")
    .action(async (options) => {
      const { project, format } = commonOptions(options);
      const { items: list, objects } = listed(
        await listOrNone((await connect()).listExecutions(project, options.job)),
        executionToCloudRun,
        options,
      );
      render(format, objects, () =>
        printTable([
          ["EXECUTION", "JOB", "STATUS", "TASKS", "SUCCEEDED", "FAILED", "STARTED", "COMPLETED"],
          ...list.map((e) => [
            e.name,
            e.job,
            e.status,
            String(e.tasks.length),
            String(e.succeededCount),
            String(e.failedCount),
            e.startTime,
            e.completionTime ?? "-",
          ]),
        ]),
      );
    });

  withCommon(executions.command("describe"))
    .argument("<execution>", "execution name", nameArg("execution"))
    .action(async (name: string, options) => {
      const { project, format } = commonOptions(options);
      const e = await (await connect()).getExecution(project, name);
      render(format, executionToCloudRun(e), () => printExecution(e));
    });

  // gcloud's newer `jobs executions describe-latest --job J`: the job's latest execution, as describe prints it.
  withCommon(executions.command("describe-latest"))
    .requiredOption("--job <job>", "the job whose latest execution to describe", nameArg("job", "--job"))
    .description("describe the latest execution of a job")
    .action(async (options) => {
      const { project, format } = commonOptions(options);
      const client = await connect();
      const latest = (await client.getJob(project, options.job)).latestExecution?.name;
      if (latest === undefined) throw new UsageError(`--job: job "${options.job}" has no executions yet`);
      const e = await client.getExecution(project, latest);
      render(format, executionToCloudRun(e), () => printExecution(e));
    });

  // As gcloud's (command_lib/run/cancellation.py): the command returns once the execution has
  // ended, so what runs next sees it cancelled; --async returns once the cancel is asked for.
  withCommon(executions.command("cancel"))
    .argument("<execution>", "execution name", nameArg("execution"))
    .option("--async", "return once the cancel is asked for, without waiting for the execution to end")
    .description("stop the running tasks (SIGTERM, then SIGKILL after 10 s) and cancel the rest; waits until it has ended unless --async")
    .action(async (name: string, options) => {
      const { project, format } = commonOptions(options);
      const client = await connect();
      let e = await client.cancelExecution(project, name);
      if (options.async) {
        render(format, executionToCloudRun(e), () => process.stdout.write(`Execution ${e.name} is being cancelled: ${counts(e)}.\n`));
        return;
      }
      while (e.status === "RUNNING") e = await client.getExecution(project, e.name, 300);
      render(format, executionToCloudRun(e), () => process.stdout.write(`Execution ${e.name} ${e.status.toLowerCase()}: ${counts(e)}.\n`));
      // Its tasks all ended on their own before the cancel reached them: gcloud's "Failed to cancel".
      if (e.status !== "CANCELLED") throw new UsageError(`execution ${e.name} ${e.status.toLowerCase()} before it could be cancelled`);
    });

  withAsyncAccepted(withCommon(executions.command("delete")))
    .argument("<execution>", "execution name", nameArg("execution"))
    .description("forget a finished execution (cancel a running one first); its lines stay in the job's log")
    .option("-q, --quiet", "do not ask to confirm")
    .action(async (name: string, options) => {
      const { project } = commonOptions(options);
      await confirmOrAbort(`Execution [${name}] in project [${project}]`, options.quiet);
      await (await connect()).deleteExecution(project, name);
      process.stdout.write(`deleted execution ${name}\n`);
    });
  executions.addCommand(taskCommands());
  return executions;
}

function printExecution(e: Execution): void {
  process.stdout.write(
    [
      `Execution ${e.name} of job ${e.job}: ${e.status}`,
      `  ${counts(e)}`,
      `  Started:   ${e.startTime}`,
      `  Completed: ${e.completionTime ?? "-"}`,
      ...(e.error ? [`  Error:     ${e.error}`] : []),
      "",
    ].join("\n"),
  );
  printTable([
    ["TASK", "STATE", "ATTEMPT", "EXIT CODE", "LAST ERROR"],
    ...e.tasks.map((t) => [
      String(t.index),
      t.state,
      String(t.attempt),
      t.exitCode === undefined ? "-" : String(t.exitCode),
      t.lastError ?? "",
    ]),
  ]);
}
