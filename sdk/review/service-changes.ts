import { canonicalJson } from "../../provider/base/canonical-json";
import { containsUnknown } from "../preview-values/unknowns";
import type { ServiceState } from "./current-state";
import { SECRET, type ResourceChange } from "./preview-json";
import { viewsOf, type RevisionView, type ServiceView, type Template, type TrafficView } from "./resource-views";

/**
 * Everything a preview changes about one service, gathered from the resources that touch it: its
 * Service (skiff's or cloudrunv2's), its Revision resources, its TrafficTarget and the IAM
 * resources that grant roles/run.invoker on it; and the revisions this update will make.
 */
export interface ServiceChanges {
  key: string;
  project: string;
  name: string;
  service?: { change: ResourceChange; before?: ServiceView; after?: ServiceView };
  revisions: { change: ResourceChange; before?: RevisionView; after?: RevisionView }[];
  traffic?: { change: ResourceChange; before?: TrafficView; after?: TrafficView };
  grants: ResourceChange[];
  /** Env names whose value is a secret somewhere in the preview: never printed. */
  secretKeys: Set<string>;
}

/** A revision this update makes: the Service's next one, or a Revision resource's. */
export interface NewRevision {
  id: string;
  /** Known when the program names it (revisionSuffix, cloudrunv2 template.revision). */
  name?: string;
  /** The resource that makes it, as the program names it. */
  madeBy: { kind: string; name: string; urn: string };
  template: Template;
  imageDigest?: string;
  /** The revision of the same Revision resource that it replaces. */
  replaces?: string;
  /** Why this may not happen (a change the preview hides). */
  maybe?: string;
}

/** Does a template change? "maybe": only where secrets (or values not known yet) hide it. */
export type TemplateVerdict = "same" | "changed" | "maybe";

/**
 * Compares two templates. Secret env values are left out on both sides (the engine's copy is
 * plain, the preview's is `[secret]`), so a template that differs only there, or only where a
 * value is not known yet, is "maybe".
 */
export function compareTemplates(before: Template | undefined, after: Template, secretKeys: ReadonlySet<string>): TemplateVerdict {
  if (before === undefined) return "changed";
  const visible = (t: Template) => {
    const env = Object.fromEntries(Object.entries((t.env ?? {}) as Record<string, unknown>).filter(([k]) => !secretKeys.has(k)));
    return canonicalJson({ ...t, env });
  };
  if (visible(before) !== visible(after)) return containsUnknown(after) ? "maybe" : "changed";
  const envs = [before.env, after.env].map((e) => Object.keys(e ?? {}));
  return containsUnknown(after) || envs.some((keys) => keys.some((k) => secretKeys.has(k))) ? "maybe" : "same";
}

/** Old and new inputs that read the same: the update is there for a value the preview hides (a secret). */
function onlyHiddenChange(change: ResourceChange): boolean {
  const strip = (inputs: Record<string, unknown> | undefined) =>
    canonicalJson(Object.fromEntries(Object.entries(inputs ?? {}).filter(([k]) => k !== "url" && k !== "uri" && k !== "urls")));
  return change.op === "update" && strip(change.oldInputs) === strip(change.newInputs);
}

function secretEnvKeys(template: Template | undefined): string[] {
  const env = template?.env;
  if (!env || typeof env !== "object") return [];
  return Object.entries(env as Record<string, unknown>)
    .filter(([, v]) => v === SECRET)
    .map(([k]) => k);
}

/** The changes of the preview grouped by service (services known only through a domain mapping are left out). */
export function groupByService(changes: ResourceChange[]): Map<string, ServiceChanges> {
  const groups = new Map<string, ServiceChanges>();
  const group = (project: string, name: string) => {
    const key = `${project}/${name}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, project, name, revisions: [], grants: [], secretKeys: new Set() }));
    return g;
  };
  for (const change of changes) {
    const { before, after } = viewsOf(change);
    const view = after ?? before;
    if (view?.kind === "service") {
      const g = group(view.service.project, view.service.name);
      g.service = {
        change,
        before: before?.kind === "service" ? before.service : undefined,
        after: after?.kind === "service" ? after.service : undefined,
      };
      for (const s of [g.service.before, g.service.after]) secretEnvKeys(s?.template).forEach((k) => g.secretKeys.add(k));
    } else if (view?.kind === "revision") {
      const g = group(view.revision.project, view.revision.service);
      const entry = {
        change,
        before: before?.kind === "revision" ? before.revision : undefined,
        after: after?.kind === "revision" ? after.revision : undefined,
      };
      g.revisions.push(entry);
      for (const r of [entry.before, entry.after]) secretEnvKeys(r?.template).forEach((k) => g.secretKeys.add(k));
    } else if (view?.kind === "traffic") {
      group(view.traffic.project, view.traffic.service).traffic = {
        change,
        before: before?.kind === "traffic" ? before.traffic : undefined,
        after: after?.kind === "traffic" ? after.traffic : undefined,
      };
    } else if (view?.kind === "invokers") {
      group(view.grant.project, view.grant.service).grants.push(change);
    }
  }
  return groups;
}

/** The revisions this update makes for one service, given what runs now. */
export function newRevisionsOf(g: ServiceChanges, current: ServiceState): NewRevision[] {
  const made: NewRevision[] = [];
  const s = g.service;
  if (s?.after && s.change.op !== "delete") {
    const base = current.exists
      ? ((current.latestCreatedRevision ? current.revisions[current.latestCreatedRevision]?.template : undefined) ?? current.template)
      : undefined;
    let verdict =
      s.change.op === "create" || s.change.op === "replace" || !current.exists
        ? "changed"
        : compareTemplates(base ?? s.before?.template, s.after.template, g.secretKeys);
    if (verdict === "maybe" && onlyHiddenChange(s.change) && !containsUnknown(s.after.template)) verdict = "changed";
    const named = s.after.revisionName;
    const newName = named !== undefined && !containsUnknown(named) && current.revisions[named] === undefined;
    if (verdict !== "same" || newName) {
      const revision: NewRevision = {
        id: s.change.urn,
        madeBy: { kind: s.change.kind, name: s.change.name, urn: s.change.urn },
        template: s.after.template,
      };
      if (named !== undefined && !containsUnknown(named)) revision.name = named;
      if (verdict === "maybe" && !newName) revision.maybe = "only if a secret or a value not known at preview changes the template";
      made.push(revision);
    }
  }
  for (const r of g.revisions) {
    if (!r.after || (r.change.op !== "create" && r.change.op !== "replace")) continue;
    const revision: NewRevision = {
      id: r.change.urn,
      madeBy: { kind: r.change.kind, name: r.change.name, urn: r.change.urn },
      template: r.after.template,
    };
    if (r.after.name !== undefined) revision.name = r.after.name;
    if (r.after.imageDigest !== undefined) revision.imageDigest = r.after.imageDigest;
    if (r.change.op === "replace" && r.change.id) revision.replaces = r.change.id;
    made.push(revision);
  }
  return made;
}

/** Revisions this update deletes: those of replaced or deleted Revision resources, or all of a deleted service's. */
export function deletedRevisionsOf(g: ServiceChanges, current: ServiceState): string[] {
  if (g.service?.change.op === "delete") return Object.keys(current.revisions);
  return g.revisions
    .filter((r) => (r.change.op === "delete" || r.change.op === "replace") && r.change.id)
    .map((r) => r.change.id as string);
}
