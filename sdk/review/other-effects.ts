import { canonicalJson } from "../../provider/base/canonical-json";
import { isUnknown } from "../preview-values/unknowns";
import type { CurrentState } from "./current-state";
import { SECRET, type ResourceChange } from "./preview-json";
import { viewsOf } from "./resource-views";
import { templateChanges, type FieldChange } from "./template-changes";

/**
 * The effects of an update beyond a service's traffic: jobs that execute during it (and what
 * waits for them), domain mappings that move, and resources that go.
 */
export interface JobRun {
  job: string;
  urn: string;
  project: string;
  /** Why it runs: created, its template changed, its token changed, its last run failed. */
  why: string;
  /** Whether `pulumi up` waits for it and stops when it fails. */
  waits: boolean;
  changes: FieldChange[];
  /** The resources that wait for it (dependsOn or an output of it) and what waits, as a clause. */
  waitedForBy: { resource: string; what: string }[];
}

export interface MappingMove {
  domain: string;
  before?: string;
  after?: string;
}

export interface Deletion {
  resource: string;
  id?: string;
}

export const describe = (change: ResourceChange) => `${change.kind.replace(":", ".")} ${change.name}`;

/** What waits for a job, as a clause: "web's traffic moves". */
function whatWaits(change: ResourceChange): string {
  const view = viewsOf(change).after;
  switch (view?.kind) {
    case "traffic":
      return `${view.traffic.service}'s traffic moves`;
    case "service":
      return `service ${view.service.name} changes`;
    case "revision":
      return `the new revision of ${view.revision.service} is made`;
    case "domainMapping":
      return `${view.mapping.domain} is mapped`;
    default:
      return `${describe(change)} changes`;
  }
}

/** Why a job's update or create runs an execution, if it does. */
function runReason(change: ResourceChange): string | undefined {
  const { before, after } = viewsOf(change);
  if (after?.kind !== "job") return undefined;
  const job = after.job;
  const lastStatus = (change.oldOutputs?.latestExecution as { status?: string } | undefined)?.status;
  const lastFailed = lastStatus !== undefined && lastStatus !== "SUCCEEDED";
  if (job.execute === "token") {
    const old = before?.kind === "job" ? before.job.token : undefined;
    if (change.op === "create" || change.op === "replace") return "the job is created with an execution token";
    if (isUnknown(job.token)) return "its execution token is not known at preview and may change";
    return job.token !== old ? `its execution token changes (${JSON.stringify(old)} → ${JSON.stringify(job.token)})` : undefined;
  }
  if (job.execute === "never") return undefined;
  if (change.op === "create" || change.op === "replace") return "the job is created";
  const templateChanged = before?.kind === "job" && canonicalJson(before.job.template) !== canonicalJson(job.template);
  if (job.execute === "onChange" && templateChanged) return "its template changes";
  if (lastFailed) return `its last execution ${String(lastStatus).toLowerCase()}, and it runs again until one succeeds`;
  return undefined;
}

function secretEnv(...templates: (Record<string, unknown> | undefined)[]): Set<string> {
  const keys = templates.flatMap((t) =>
    Object.entries((t?.env ?? {}) as Record<string, unknown>)
      .filter(([, v]) => v === SECRET)
      .map(([k]) => k),
  );
  return new Set(keys);
}

export function jobRuns(changes: ResourceChange[]): JobRun[] {
  const runs: JobRun[] = [];
  for (const change of changes) {
    if (change.op === "delete") continue;
    const why = runReason(change);
    const { before, after } = viewsOf(change);
    if (!why || after?.kind !== "job") continue;
    const waitedForBy = changes
      .filter((c) => c !== change && c.op !== "delete" && c.dependencies.includes(change.urn))
      .map((c) => ({ resource: describe(c), what: whatWaits(c) }));
    runs.push({
      job: after.job.name,
      urn: change.urn,
      project: after.job.project,
      why,
      waits: after.job.wait,
      changes:
        before?.kind === "job"
          ? templateChanges(before.job.template, after.job.template, secretEnv(before.job.template, after.job.template))
          : [],
      waitedForBy,
    });
  }
  return runs;
}

/** Domains whose service changes: mapped, unmapped or moved to another service. */
export function mappingMoves(changes: ResourceChange[], current: CurrentState): MappingMove[] {
  const moves = new Map<string, MappingMove>();
  for (const change of changes) {
    const { before, after } = viewsOf(change);
    for (const [view, side] of [
      [before, "before"],
      [after, "after"],
    ] as const) {
      if (view?.kind !== "domainMapping") continue;
      const move = moves.get(view.mapping.domain) ?? { domain: view.mapping.domain };
      move[side] = view.mapping.service;
      moves.set(view.mapping.domain, move);
    }
  }
  for (const move of moves.values()) move.before ??= current.domainMappings[move.domain]?.service;
  return [...moves.values()].filter((m) => m.before !== m.after);
}

export function deletions(changes: ResourceChange[]): Deletion[] {
  return changes.filter((c) => c.op === "delete").map((c) => (c.id ? { resource: describe(c), id: c.id } : { resource: describe(c) }));
}
