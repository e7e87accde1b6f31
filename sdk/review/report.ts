import { isUnknown } from "../preview-values/unknowns";
import { emptyService, type CurrentState, type ServiceState } from "./current-state";
import { deletions, describe, jobRuns, mappingMoves, type Deletion, type JobRun, type MappingMove } from "./other-effects";
import { resourceChanges, stackOf, type PreviewJson, type ResourceChange } from "./preview-json";
import { viewsOf } from "./resource-views";
import { risksOf, type Risk } from "./risks";
import { settingChanges } from "./service-settings";
import { deletedRevisionsOf, groupByService, newRevisionsOf, type NewRevision, type ServiceChanges } from "./service-changes";
import { templateChanges, type FieldChange } from "./template-changes";
import { trafficEffect, type TrafficRow } from "./traffic-effect";

/**
 * The traffic-effect report of one preview: a pure function of `pulumi preview --json` and of what
 * runs now. Everything in it is plain JSON (`skiff review --format json` prints it as it is);
 * markdown.ts renders it for a pull request.
 */
export interface ReviewReport {
  stack?: string;
  /** Where "before" comes from: the engine now, or the Pulumi state (its last up or refresh). */
  before: { source: "engine" | "state"; reason?: string };
  services: ServiceReport[];
  jobs: JobRun[];
  domainMappings: MappingMove[];
  deleted: Deletion[];
  /** Every risk line, each naming its service. */
  risks: (Risk & { service: string })[];
  /** What this report cannot know, said plainly. */
  unknowns: string[];
}

export interface ServiceReport {
  project: string;
  name: string;
  change: "created" | "updated" | "replaced" | "deleted" | "unchanged";
  /** Where the traffic after the update comes from. */
  trafficSource: string;
  traffic: TrafficRowReport[];
  revisions: RevisionReport[];
  /** Its own settings the update changes (ingress, default URL, service scaling): at once, for every revision. */
  settings: FieldChange[];
  access?: { before?: "public" | "private"; after?: "public" | "private" };
  risks: Risk[];
  notes: string[];
}

export interface TrafficRowReport {
  /** The revision's name, or for a new one without a name yet `new revision (Kind name)`. */
  revision: string;
  /** Its name, when known (absent for a new revision named only when `pulumi up` makes it). */
  name?: string;
  new: boolean;
  /** The resource that makes a new revision, as `Kind name`. */
  madeBy?: string;
  tagsBefore: string[];
  tagsAfter: string[];
  /** null when what it serves now is not known (no engine read, and not in the preview). */
  before: number | null;
  /** null when an entry's percent is not known at preview. */
  after: number | null;
  deleted: boolean;
}

export interface RevisionReport {
  revision: string;
  name?: string;
  madeBy: string;
  /** The revision it is compared with: the one it replaces in traffic. */
  against?: string;
  changes: FieldChange[];
  note?: string;
}

const kindName = (kind: string) => kind.replace(":", ".");

export function labelOf(revision: NewRevision): string {
  return revision.name ?? `new revision (${kindName(revision.madeBy.kind)} ${revision.madeBy.name})`;
}

function rowLabel(row: TrafficRow): string {
  return row.newRevision ? labelOf(row.newRevision) : row.key;
}

/** The revision a new one takes over from: the one it replaces, the service's previous, or the one losing most traffic. */
function baseOf(revision: NewRevision, rows: TrafficRow[], current: ServiceState, madeByService: boolean): string | undefined {
  if (revision.replaces) return revision.replaces;
  if (madeByService) return current.latestCreatedRevision;
  const loss = (r: TrafficRow) => (r.before ?? 0) - (r.after ?? 0);
  const losers = rows.filter((r) => !r.newRevision && r.after !== undefined && loss(r) > 0).sort((a, b) => loss(b) - loss(a));
  return losers[0]?.key ?? current.latestReadyRevision;
}

function isPublic(invokers: Iterable<string> | undefined): "public" | "private" | undefined {
  if (invokers === undefined) return undefined;
  return [...invokers].includes("allUsers") ? "public" : "private";
}

/** Who may call the service after the update: its own invokers, then what IAM resources add, take back or set. */
function accessAfter(g: ServiceChanges, current: ServiceState): { after?: "public" | "private"; unknown: boolean } {
  const s = g.service;
  if (s?.change.op === "delete") return { unknown: false };
  let invokers: Set<string> | undefined;
  if (s?.after?.invokers) invokers = new Set(s.after.invokers);
  else if (s && (s.change.op === "create" || !current.exists)) invokers = new Set(s.change.kind === "Service" ? ["allUsers"] : []);
  else if (current.invokers) invokers = new Set(current.invokers);
  let unknown = false;
  for (const change of g.grants) {
    const { before, after } = viewsOf(change);
    const edit = (view: typeof before, add: boolean) => {
      if (view?.kind !== "invokers") return;
      invokers ??= new Set();
      if (view.grant.exact) invokers = new Set(add ? view.grant.members : []);
      else {
        for (const m of view.grant.members) {
          if (add) invokers.add(m);
          else invokers.delete(m);
        }
      }
      if (view.grant.members.some(isUnknown)) unknown = true;
    };
    edit(before, false);
    edit(after, true);
  }
  return { after: isPublic(invokers), unknown };
}

/** What a new revision changes against the revision it takes over from. */
function revisionReport(
  revision: NewRevision,
  g: ServiceChanges,
  rows: TrafficRow[],
  current: ServiceState,
  state: CurrentState,
): RevisionReport {
  const madeByService = revision.madeBy.urn === g.service?.change.urn;
  const against = baseOf(revision, rows, current, madeByService);
  const base = against !== undefined ? current.revisions[against] : undefined;
  const baseTemplate = base?.template ?? (madeByService ? current.template : undefined);
  const image = typeof revision.template.image === "string" ? revision.template.image : undefined;
  const digestAfter = revision.imageDigest ?? (image !== undefined ? state.images[image] : undefined);
  const report: RevisionReport = {
    revision: labelOf(revision),
    madeBy: `${kindName(revision.madeBy.kind)} ${revision.madeBy.name}`,
    changes: [],
  };
  if (revision.name !== undefined) report.name = revision.name;
  if (baseTemplate) {
    if (against !== undefined) report.against = against;
    report.changes = templateChanges(baseTemplate, revision.template, g.secretKeys, { before: base?.imageDigest, after: digestAfter });
  } else {
    report.note = current.exists ? "no revision of the service to compare it with" : "the first revision of a new service";
  }
  if (revision.maybe) report.note = `made ${revision.maybe}`;
  return report;
}

function serviceReport(
  g: ServiceChanges,
  current: ServiceState,
  state: CurrentState,
  gates: Map<string, string>,
  unknowns: string[],
): ServiceReport {
  const made = newRevisionsOf(g, current);
  const deleted = deletedRevisionsOf(g, current);
  const effect = trafficEffect(g, current, made, deleted);
  const revisions = made.map((revision) => revisionReport(revision, g, effect.rows, current, state));
  const access = accessAfter(g, current);
  const accessBefore = current.exists ? isPublic(current.invokers) : undefined;
  if (access.unknown) unknowns.push(`who may call ${g.name} after the update: an IAM member is not known at preview`);
  const settings = g.service?.change.op === "update" ? settingChanges(g.service.after, g.service.before, current) : [];
  const facts = {
    service: g.name,
    rows: effect.rows,
    revisions: made.map((revision, i) => {
      const after = effect.rows.find((r) => r.newRevision === revision)?.after;
      return { label: revisions[i].revision, changes: revisions[i].changes, servesAfter: after === undefined || after > 0 };
    }),
    publicBefore: accessBefore === undefined ? undefined : accessBefore === "public",
    publicAfter: access.after === undefined || access.unknown ? undefined : access.after === "public",
    deleted,
    settings,
  };
  const notes = [...effect.unresolved];
  for (const change of [g.traffic?.change, g.service?.change]) {
    const gate = change?.dependencies.map((urn) => gates.get(urn)).find((job) => job !== undefined);
    if (gate)
      notes.push(
        `${describe(change as ResourceChange)} waits for job ${gate}: ${g.name}'s traffic changes only after that execution succeeded`,
      );
  }
  unknowns.push(...effect.unresolved.map((u) => `${g.name}: ${u}`));
  const op = g.service?.change.op;
  const report: ServiceReport = {
    project: g.project,
    name: g.name,
    change:
      op === "create" ? "created" : op === "update" ? "updated" : op === "replace" ? "replaced" : op === "delete" ? "deleted" : "unchanged",
    trafficSource: effect.source,
    traffic: effect.rows.map((r) => ({
      revision: rowLabel(r),
      ...(r.revision !== undefined ? { name: r.revision } : {}),
      new: r.newRevision !== undefined,
      ...(r.newRevision ? { madeBy: `${kindName(r.newRevision.madeBy.kind)} ${r.newRevision.madeBy.name}` } : {}),
      tagsBefore: r.tagsBefore,
      tagsAfter: r.tagsAfter,
      before: r.before ?? null,
      after: r.after ?? null,
      deleted: r.deleted,
    })),
    revisions,
    settings,
    risks: risksOf(facts, rowLabel),
    notes,
  };
  if (accessBefore !== access.after)
    report.access = { ...(accessBefore ? { before: accessBefore } : {}), ...(access.after ? { after: access.after } : {}) };
  return report;
}

export function buildReport(preview: PreviewJson, state: CurrentState): ReviewReport {
  const changes = resourceChanges(preview);
  const unknowns: string[] = [];
  if (state.source === "state")
    unknowns.push(
      `"before" is what the Pulumi state recorded at the last \`pulumi up\` or \`pulumi refresh\`, not what runs now (${state.reason ?? "the engine was not read"}); image digests were not looked up`,
    );
  const jobs = jobRuns(changes);
  const gates = new Map(jobs.map((j) => [j.urn, j.job]));
  const services = [...groupByService(changes).values()].map((g) =>
    serviceReport(g, state.services[g.key] ?? emptyService(g.project, g.name), state, gates, unknowns),
  );
  for (const s of services)
    for (const r of s.revisions)
      for (const c of r.changes)
        if (c.field === "image digest" && c.after === undefined)
          unknowns.push(`${s.name}: the digest of ${r.revision}'s image (not on this machine; pulled when the revision is made)`);
  for (const s of services)
    if (s.revisions.some((r) => r.changes.some((c) => c.note?.startsWith("a secret"))))
      unknowns.push(`${s.name}: whether its secret env values change (a preview shows every secret as [secret])`);
  const stack = stackOf(preview);
  return {
    ...(stack ? { stack } : {}),
    before: state.reason ? { source: state.source, reason: state.reason } : { source: state.source },
    services,
    jobs,
    domainMappings: mappingMoves(changes, state),
    deleted: deletions(changes),
    risks: services.flatMap((s) => s.risks.map((r) => ({ ...r, service: s.name }))),
    unknowns,
  };
}
