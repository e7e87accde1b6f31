import type { DomainController } from "../controller/domain-controller";
import type { JobController } from "../controller/job-controller";
import { cloudRunJobPathOf, jobSpecFromCloudRun } from "../knative/job-from-cloud-run";
import { domainMappingToKnative, executionToCloudRun, jobToCloudRun, type KnativeObject } from "../knative/objects";
import { taskToCloudRun } from "../knative/task-object";
import { taskName } from "../model/derived-names";
import { notFound } from "../model/errors";
import { invalid, renameViolations } from "../model/errors";
import type { ExecutionOverrides } from "../model/job";
import { googleRoute } from "./google-http";
import { deletedStatus, knativeList, warnIgnored } from "./knative-v1-common";
import type { RequestContext, Route } from "./server";

const RUN = "run.googleapis.com/v1";
const DOMAINS = "domains.cloudrun.com/v1";
const N = `/apis/${RUN}/namespaces/{namespace}`;

type Obj = Record<string, unknown>;

/**
 * gcloud's `run` v1 API for jobs (get, list, create, replace, delete, run), executions (get, list,
 * delete, cancel), tasks (get, list) and domain mappings (get, list, create, delete; under run.googleapis.com/v1 and
 * domains.cloudrun.com/v1, where gcloud asks for them). The objects are the CLI's
 * (knative/objects.ts).
 */
export function knativeRunRoutes(jobs: JobController, domains: DomainController): Route[] {
  const apply = async ({ params, body, res }: RequestContext, create: boolean): Promise<KnativeObject> => {
    const plan = jobSpecFromCloudRun(body);
    if (params.name !== undefined && plan.name !== params.name)
      throw invalid("metadata.name", `names job "${plan.name}" but the path names "${params.name}"`);
    if (plan.namespace !== undefined && plan.namespace !== params.namespace)
      throw invalid(
        "metadata.namespace",
        `the object is for namespace "${plan.namespace}" but the path names namespace "${params.namespace}"`,
      );
    const job = await jobs.apply(params.namespace, plan.name, plan.spec, { mode: create ? "create" : "update" }).catch((error: unknown) => {
      throw renameViolations(error, (field) => cloudRunJobPathOf(field));
    });
    warnIgnored(res, plan.ignored);
    return jobToCloudRun(job);
  };

  const domainRoutes = (base: string): Route[] => [
    googleRoute("GET", `${base}/domainmappings`, ({ params, query }) =>
      knativeList(DOMAINS, "DomainMapping", domains.list(params.namespace).map(domainMappingToKnative), query),
    ),
    googleRoute("POST", `${base}/domainmappings`, ({ params, body }) => {
      const object = (body ?? {}) as { metadata?: Obj; spec?: Obj };
      const mapping = domains.create(params.namespace, {
        domain: object.metadata?.name,
        service: object.spec?.routeName,
        ...(object.spec?.forceOverride !== undefined ? { forceOverride: object.spec.forceOverride } : {}),
      });
      return domainMappingToKnative(mapping);
    }),
    googleRoute("GET", `${base}/domainmappings/{name}`, ({ params }) => domainMappingToKnative(domains.get(params.namespace, params.name))),
    googleRoute("DELETE", `${base}/domainmappings/{name}`, ({ params }) => {
      domains.delete(params.namespace, params.name);
      return deletedStatus("domainmappings", params.name);
    }),
  ];

  return [
    googleRoute("GET", `${N}/jobs`, ({ params, query }) => knativeList(RUN, "Job", jobs.list(params.namespace).map(jobToCloudRun), query)),
    googleRoute("POST", `${N}/jobs`, (ctx) => apply(ctx, true)),
    googleRoute("GET", `${N}/jobs/{name}`, ({ params }) => jobToCloudRun(jobs.get(params.namespace, params.name))),
    googleRoute("PUT", `${N}/jobs/{name}`, (ctx) => apply(ctx, false)),
    googleRoute("DELETE", `${N}/jobs/{name}`, async ({ params }) => {
      await jobs.delete(params.namespace, params.name);
      return deletedStatus("jobs", params.name);
    }),
    googleRoute("POST", `${N}/jobs/{name}:run`, async ({ params, body }) =>
      executionToCloudRun(await jobs.execute(params.namespace, params.name, overridesFromCloudRun(body))),
    ),

    googleRoute("GET", `${N}/executions`, ({ params, query }) =>
      knativeList(RUN, "Execution", jobs.listExecutions(params.namespace).map(executionToCloudRun), query),
    ),
    googleRoute("GET", `${N}/executions/{name}`, ({ params }) => executionToCloudRun(jobs.getExecution(params.namespace, params.name))),
    googleRoute("DELETE", `${N}/executions/{name}`, async ({ params }) => {
      await jobs.deleteExecution(params.namespace, params.name);
      return deletedStatus("executions", params.name);
    }),
    googleRoute("POST", `${N}/executions/{name}:cancel`, async ({ params }) =>
      executionToCloudRun(await jobs.cancel(params.namespace, params.name)),
    ),

    // Tasks: gcloud lists them with `labelSelector=run.googleapis.com/execution = EX` (and a running-state set).
    googleRoute("GET", `${N}/tasks`, ({ params, query }) =>
      knativeList(
        RUN,
        "Task",
        jobs.listExecutions(params.namespace).flatMap((e) => e.tasks.map((t) => taskToCloudRun(e, t))),
        query,
      ),
    ),
    googleRoute("GET", `${N}/tasks/{name}`, ({ params }) => {
      const match = /^(.+)-task(\d+)$/.exec(params.name);
      const execution = match ? jobs.listExecutions(params.namespace).find((e) => e.name === match[1]) : undefined;
      const task = execution?.tasks.find((t) => taskName(execution.name, t.index) === params.name);
      if (!execution || !task) throw notFound("task", params.name, params.namespace);
      return taskToCloudRun(execution, task);
    }),

    ...domainRoutes(N),
    ...domainRoutes(`/apis/${DOMAINS}/namespaces/{namespace}`),
  ];
}

/** Cloud Run v1's RunJobRequest: `{ overrides: { containerOverrides: [{ args, env, clearArgs }], taskCount, timeoutSeconds } }`. */
function overridesFromCloudRun(body: unknown): ExecutionOverrides {
  const overrides = ((body ?? {}) as { overrides?: Obj }).overrides;
  if (overrides === undefined) return {};
  const container = ((overrides.containerOverrides as Obj[] | undefined) ?? [])[0] ?? {};
  const out: ExecutionOverrides = {};
  if (container.clearArgs === true) out.args = [];
  else if (container.args !== undefined) out.args = container.args as string[];
  if (Array.isArray(container.env)) {
    const env: Record<string, string> = {};
    for (const e of container.env as Obj[]) {
      if (e.valueFrom !== undefined)
        throw invalid(
          "overrides.containerOverrides[0].env",
          `${String(e.name)}: values from secrets are not supported locally; give it a value`,
        );
      env[String(e.name)] = String(e.value ?? "");
    }
    out.env = env;
  }
  if (overrides.taskCount !== undefined) out.taskCount = overrides.taskCount as number;
  if (overrides.timeoutSeconds !== undefined) out.timeout = Number(overrides.timeoutSeconds);
  return out;
}
