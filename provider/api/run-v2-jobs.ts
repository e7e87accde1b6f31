import { jobSpecFromV2, jobWirePath, overridesFromV2 } from "../cloudrun-v2/job-from-v2";
import { executionEtag, executionToV2, jobEtag, jobToV2, taskIndexOf, taskToV2 } from "../cloudrun-v2/job-to-v2";
import { timeKey } from "../cloudrun-v2/paging";
import { lastSegment, requireCreatableLocation, shownScope, unlessWildcard, WILDCARD, type Scope } from "../cloudrun-v2/resource-names";
import { aborted } from "../cloudrun-v2/rpc-status";
import { applyUpdateMask } from "../cloudrun-v2/update-mask";
import { checkField, invalid, notFound, renameViolations, SkiffError } from "../model/errors";
import { applyOverrides, type Execution, type Job, type JobSpec } from "../model/job";
import { jobNameSchema } from "../model/names";
import { answer, boolParam, encodeOptions, googleRoute, pageOf, readMessage } from "./google-http";
import { operationToWire, type Progress } from "./operations";
import { scopeOf, type RunV2Deps } from "./run-v2-services";
import type { RequestContext, Route } from "./server";

type Wire = Record<string, unknown>;

const J = "/v2/projects/{project}/locations/{location}/jobs";
const E = `${J}/{job}/executions`;
/** How long one wait for an execution to finish lasts before it is asked again (an operation may run for days). */
const EXECUTION_WAIT_MS = 10 * 60_000;

/**
 * The Cloud Run Admin API v2's jobs, executions and tasks (docs/API.md). Job changes finish their
 * Operation at once (nothing starts); RunJob's and CancelExecution's finish when the execution has.
 */
export function runV2JobRoutes(d: RunV2Deps): Route[] {
  const { jobs, operations } = d;
  const logUri = (project: string, job: string, execution: string) =>
    `${d.apiBase()}/v1/projects/${project}/jobs/${job}/logs?execution=${execution}`;
  const executionView = (e: Execution, scope: Scope) => executionToV2(e, scope, logUri(e.project, e.job, e.name));
  const checkEtag = (given: unknown, current: string, field: string) => {
    if (typeof given === "string" && given !== "" && given !== current)
      throw aborted(field, `it changed since it was read (etag ${given} is stale, it is now ${current}); read it again and retry`);
  };
  const find = (project: string, name: string): Job | undefined => {
    try {
      return jobs.get(project, name);
    } catch (error) {
      if (error instanceof SkiffError && error.code === "NOT_FOUND") return undefined;
      throw error;
    }
  };

  const save = async (ctx: RequestContext, scope: Scope, name: string, spec: JobSpec, mode: "create" | "update", etag?: string) => {
    if (mode === "create") requireCreatableLocation(scope, ctx.req.method === "POST" ? "parent" : "job.name");
    let saved: Job;
    if (boolParam(ctx.query, "validateOnly")) {
      const now = new Date().toISOString();
      const current = find(scope.project, name);
      saved = {
        name,
        project: scope.project,
        ...spec,
        generation: current?.generation ?? 0,
        executionCount: 0,
        createTime: now,
        updateTime: now,
      };
    } else {
      saved = await jobs
        .apply(scope.project, name, spec, { mode, precondition: (current) => current && checkEtag(etag, jobEtag(current), "job.etag") })
        .catch((error: unknown) => {
          throw renameViolations(error, (field) => jobWirePath("job", field));
        });
    }
    return operationToWire(operations.finished(scope, "Job", jobToV2(saved, scope)), encodeOptions(ctx.query));
  };

  /** The execution once it has finished, telling `progress` how it stands meanwhile. */
  const finished = async (scope: Scope, execution: Execution, progress: Progress): Promise<Execution> => {
    let e = execution;
    while (e.status === "RUNNING") {
      const asked = Date.now();
      e = await jobs.waitExecution(scope.project, e.name, EXECUTION_WAIT_MS);
      progress(executionView(e, scope));
      // A wait that came back at once with the execution still running had nothing to wait on
      // (its runner gone between two states): pause before asking again rather than spin.
      if (e.status === "RUNNING" && Date.now() - asked < 1000) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return e;
  };

  /** RunJob's Operation finishes with the execution: the Execution when it succeeded or was cancelled, an error when it failed. */
  const untilFinished = (scope: Scope, execution: Execution) =>
    operations.start(scope, "Execution", executionView(execution, scope), async (progress) => {
      const e = await finished(scope, execution, progress);
      if (e.status === "FAILED") throw new SkiffError("FAILED_PRECONDITION", `execution ${e.name} failed: ${e.error ?? "a task failed"}`);
      return executionView(e, scope);
    });

  const executionOf = (params: Record<string, string>): Execution => {
    const e = jobs.getExecution(params.project, params.execution);
    if (e.job !== params.job)
      throw notFound("execution", params.execution, params.project, `it is not an execution of job "${params.job}"`);
    return e;
  };

  return [
    googleRoute("GET", J, ({ params, query }) => {
      const list = jobs.list(params.project);
      const page = pageOf(list, (j) => j.name, "asc", query);
      const shown = shownScope(scopeOf(params), d.region);
      return { jobs: page.items.map((j) => answer("Job", jobToV2(j, shown), query)), nextPageToken: page.nextPageToken };
    }),
    googleRoute("POST", J, (ctx) => {
      const name = ctx.query.get("jobId") ?? "";
      if (name === "") throw invalid("jobId", "is required: the new job's name");
      checkField("jobId", jobNameSchema, name);
      const spec = jobSpecFromV2(readMessage("Job", ctx.body, "job"), "job");
      if (find(ctx.params.project, name))
        throw new SkiffError("ALREADY_EXISTS", `job "${name}" already exists in project "${ctx.params.project}"`);
      return save(ctx, scopeOf(ctx.params), name, spec, "create");
    }),
    googleRoute("GET", `${J}/{job}`, ({ params, query }) =>
      answer("Job", jobToV2(jobs.get(params.project, params.job), scopeOf(params)), query),
    ),
    googleRoute("PATCH", `${J}/{job}`, (ctx) => {
      const { params, query } = ctx;
      const scope = scopeOf(params);
      const wire = readMessage("Job", ctx.body, "job");
      if (wire.name !== undefined && lastSegment(wire.name as string) !== params.job)
        throw invalid("job.name", `names job "${lastSegment(wire.name as string)}" but the path names "${params.job}"`);
      const current = find(scope.project, params.job);
      if (!current) {
        if (!boolParam(query, "allowMissing")) jobs.get(scope.project, params.job); // NOT_FOUND
        return save(ctx, scope, params.job, jobSpecFromV2(wire, "job"), "create");
      }
      checkEtag(wire.etag, jobEtag(current), "job.etag");
      const merged = applyUpdateMask("Job", jobToV2(current, scope), wire, query.get("updateMask"));
      return save(ctx, scope, params.job, jobSpecFromV2(merged, "job"), "update", wire.etag as string | undefined);
    }),
    googleRoute("DELETE", `${J}/{job}`, async ({ params, query }) => {
      const scope = scopeOf(params);
      const current = jobs.get(params.project, params.job);
      const etag = query.get("etag") ?? undefined;
      checkEtag(etag, jobEtag(current), "etag");
      if (!boolParam(query, "validateOnly")) await jobs.delete(params.project, params.job, (now) => checkEtag(etag, jobEtag(now), "etag"));
      return operationToWire(operations.finished(scope, "Job", jobToV2(current, scope)), encodeOptions(query));
    }),
    googleRoute("POST", `${J}/{job}:run`, async ({ params, query, body }) => {
      const scope = scopeOf(params);
      const request = readMessage("RunJobRequest", body, "");
      const job = jobs.get(params.project, params.job);
      checkEtag(request.etag, jobEtag(job), "etag");
      const overrides = overridesFromV2(request.overrides as Wire | undefined, "overrides", {
        main: job.template.containerName,
        sidecars: (job.template.sidecars ?? []).map((s) => s.name),
      });
      if (request.validateOnly === true) {
        const now = new Date().toISOString();
        const counts = { runningCount: 0, succeededCount: 0, failedCount: 0, cancelledCount: 0, retriedCount: 0 };
        const template = applyOverrides(job.template, overrides);
        const preview: Execution = {
          name: "",
          project: job.project,
          job: job.name,
          template,
          status: "RUNNING",
          ...counts,
          createTime: now,
          startTime: now,
          tasks: [],
        };
        return operationToWire(operations.finished(scope, "Execution", executionView(preview, scope)), encodeOptions(query));
      }
      const execution = await jobs.execute(params.project, params.job, overrides);
      return operationToWire(untilFinished(scope, execution), encodeOptions(query));
    }),

    googleRoute("GET", E, ({ params, query }) => {
      // `jobs/-/executions`: the executions of every job.
      const list = jobs.listExecutions(params.project, unlessWildcard(params.job));
      const page = pageOf(list, (e) => timeKey(e.createTime, e.name), "desc", query);
      const shown = shownScope(scopeOf(params), d.region);
      return { executions: page.items.map((e) => answer("Execution", executionView(e, shown), query)), nextPageToken: page.nextPageToken };
    }),
    googleRoute("GET", `${E}/{execution}`, ({ params, query }) =>
      answer("Execution", executionView(executionOf(params), scopeOf(params)), query),
    ),
    googleRoute("DELETE", `${E}/{execution}`, async ({ params, query }) => {
      const scope = scopeOf(params);
      const execution = executionOf(params);
      checkEtag(query.get("etag") ?? undefined, executionEtag(execution), "etag");
      if (!boolParam(query, "validateOnly")) await jobs.deleteExecution(params.project, execution.name);
      return operationToWire(operations.finished(scope, "Execution", executionView(execution, scope)), encodeOptions(query));
    }),
    googleRoute("POST", `${E}/{execution}:cancel`, async ({ params, query, body }) => {
      const scope = scopeOf(params);
      const request = readMessage("CancelExecutionRequest", body, "");
      const execution = executionOf(params);
      checkEtag(request.etag, executionEtag(execution), "etag");
      if (request.validateOnly === true)
        return operationToWire(operations.finished(scope, "Execution", executionView(execution, scope)), encodeOptions(query));
      const cancelling = await jobs.cancel(params.project, execution.name);
      const op = operations.start(scope, "Execution", executionView(cancelling, scope), async (progress) =>
        executionView(await finished(scope, cancelling, progress), scope),
      );
      return operationToWire(op, encodeOptions(query));
    }),

    googleRoute("GET", `${E}/{execution}/tasks`, ({ params, query }) => {
      // `executions/-/tasks`: the tasks of every execution of the job; `jobs/-/executions/-`: of every job.
      const executions =
        params.execution === WILDCARD ? jobs.listExecutions(params.project, unlessWildcard(params.job)) : [executionOf(params)];
      const tasks = executions.flatMap((e) => e.tasks.map((t) => ({ e, t })));
      const page = pageOf(tasks, ({ e, t }) => `${timeKey(e.createTime, e.name)}\u0000${String(t.index).padStart(8, "0")}`, "asc", query);
      const shown = shownScope(scopeOf(params), d.region);
      return {
        tasks: page.items.map(({ e, t }) => answer("Task", taskToV2(e, t, shown, logUri(e.project, e.job, e.name)), query)),
        nextPageToken: page.nextPageToken,
      };
    }),
    googleRoute("GET", `${E}/{execution}/tasks/{task}`, ({ params, query }) => {
      const e = executionOf(params);
      const index = taskIndexOf(e.name, params.task);
      const task = index === undefined ? undefined : e.tasks.find((t) => t.index === index);
      if (!task)
        throw notFound(
          "task",
          params.task,
          params.project,
          `execution "${e.name}" has tasks ${e.name}-task0 to ${e.name}-task${e.tasks.length - 1}`,
        );
      return answer("Task", taskToV2(e, task, scopeOf(params), logUri(e.project, e.job, e.name)), query);
    }),
  ];
}
