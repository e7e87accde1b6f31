import type { JobController } from "../controller/job-controller";
import { formatLogRecord } from "../logs/log-store";
import { jobLogName } from "../model/derived-names";
import { followLogs, logFilterParam, sendLogLines, wholeNumberParam } from "./http-util";
import { route, type Route } from "./server";

const P = "/v1/projects/:project";

/** The admin API's job paths (see docs/API.md). */
export function jobRoutes(jobs: JobController): Route[] {
  return [
    route("GET", `${P}/jobs`, ({ params }) => ({ jobs: jobs.list(params.project) })),
    route("GET", `${P}/jobs/:job`, ({ params }) => jobs.get(params.project, params.job)),
    route("PUT", `${P}/jobs/:job`, ({ params, body, query }) => {
      const mode = query.get("mode");
      return jobs.apply(params.project, params.job, body, {
        mode: mode === "create" || mode === "update" ? mode : undefined,
        expectedGeneration: wholeNumberParam(query, "expectedGeneration", 0),
      });
    }),
    route("DELETE", `${P}/jobs/:job`, async ({ params }) => {
      await jobs.delete(params.project, params.job);
      return { deleted: params.job };
    }),
    route("POST", `${P}/jobs/:job/executions`, ({ params, body }) =>
      jobs.execute(params.project, params.job, (body as { overrides?: unknown } | undefined)?.overrides),
    ),
    route("GET", `${P}/jobs/:job/logs`, async ({ params, query, res }) => {
      const { project, job } = params;
      jobs.get(project, job); // 404 for an unknown job, before any answer is begun
      const execution = query.get("execution") ?? undefined;
      const container = query.get("container") ?? undefined;
      const limit = wholeNumberParam(query, "limit", 1);
      const { filter, wanted } = logFilterParam(query, project, jobLogName(job));
      if (query.get("follow") !== "true") {
        const encoding = query.get("view") === "entries" ? "entries" : "json";
        await sendLogLines(res, (write) => jobs.readLogs(project, job, { execution, container, limit, filter, encoding }, write));
        return undefined;
      }
      await followLogs(
        res,
        (write) => jobs.readLogs(project, job, { execution, container, limit, filter, encoding: "text" }, write),
        (write) =>
          jobs.subscribeLogs(project, job, (record) => {
            if (
              (!execution || record.revision === execution) &&
              (!container || record.container === container) &&
              (!wanted || wanted(record))
            )
              write(formatLogRecord(record));
          }),
      );
      return undefined;
    }),
    route("GET", `${P}/executions`, ({ params, query }) => ({
      executions: jobs.listExecutions(params.project, query.get("job") ?? undefined),
    })),
    route("GET", `${P}/executions/:execution`, ({ params, query }) => {
      const waitSeconds = wholeNumberParam(query, "wait", 0);
      if (waitSeconds === undefined) return jobs.getExecution(params.project, params.execution);
      return jobs.waitExecution(params.project, params.execution, waitSeconds * 1000);
    }),
    route("POST", `${P}/executions/:execution/cancel`, ({ params }) => jobs.cancel(params.project, params.execution)),
    route("DELETE", `${P}/executions/:execution`, async ({ params }) => {
      await jobs.deleteExecution(params.project, params.execution);
      return { deleted: params.execution };
    }),
  ];
}
