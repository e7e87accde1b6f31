import { canonicalJson } from "../../provider/base/canonical-json";
import { isPlaceholder } from "../preview-values/placeholders";
import { containsUnknown, isUnknown } from "../preview-values/unknowns";
import { SECRET } from "./preview-json";
import type { Template } from "./resource-views";

/**
 * What a new revision changes against the revision it replaces in traffic, field by field, in the
 * order a reviewer reads them: the image and its digest, env, the container, scaling and limits,
 * the account it runs as. Secret env values are never shown: they read `[secret]` on both sides.
 */
export interface FieldChange {
  /** `image`, `env GREETING`, `maxInstanceRequestConcurrency`, `scaling.maxInstanceCount`, ... */
  field: string;
  /** As displayed: JSON for values, `[secret]` for secrets; absent when there was none. */
  before?: string;
  after?: string;
  /** What the preview cannot say about it, or why it matters. */
  note?: string;
}

export const MASK = SECRET;
const NOT_KNOWN = "not known until `pulumi up`";

/** The fields compared besides image and env, with how a change reads. */
const FIELDS: { path: string[]; label: string }[] = [
  { path: ["command"], label: "command" },
  { path: ["args"], label: "args" },
  { path: ["port"], label: "port" },
  { path: ["startupProbe"], label: "startupProbe" },
  { path: ["livenessProbe"], label: "livenessProbe" },
  { path: ["maxInstanceRequestConcurrency"], label: "maxInstanceRequestConcurrency" },
  { path: ["scaling", "minInstanceCount"], label: "scaling.minInstanceCount" },
  { path: ["scaling", "maxInstanceCount"], label: "scaling.maxInstanceCount" },
  { path: ["timeout"], label: "timeout" },
  { path: ["resources", "cpu"], label: "resources.cpu" },
  { path: ["resources", "memory"], label: "resources.memory" },
  { path: ["serviceAccount"], label: "serviceAccount" },
  { path: ["http2"], label: "http2" },
  { path: ["sessionAffinity"], label: "sessionAffinity" },
  // Which secrets (by name and version: never a value) and volumes the container gets.
  { path: ["secretEnv"], label: "secretEnv" },
  { path: ["volumes"], label: "volumes" },
  { path: ["volumeMounts"], label: "volumeMounts" },
  // Jobs
  { path: ["taskCount"], label: "taskCount" },
  { path: ["parallelism"], label: "parallelism" },
  { path: ["maxRetries"], label: "maxRetries" },
];

function at(template: Template, path: string[]): unknown {
  let value: unknown = template;
  for (const key of path) value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

function shown(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (isUnknown(value) || containsUnknown(value)) return NOT_KNOWN;
  if (isPlaceholder(value)) return value;
  return typeof value === "string" ? JSON.stringify(value) : canonicalJson(value);
}

function fieldChange(field: string, before: unknown, after: unknown): FieldChange | undefined {
  if (canonicalJson(before ?? null) === canonicalJson(after ?? null)) return undefined;
  const change: FieldChange = { field };
  const b = shown(before);
  const a = shown(after);
  if (b !== undefined) change.before = b;
  if (a !== undefined) change.after = a;
  if (a === NOT_KNOWN) {
    delete change.after;
    change.note = "its new value is not known at preview (it comes from a resource that changes too)";
  }
  return change;
}

export interface Digests {
  before?: string;
  /** The digest the new revision will pin, when Docker has the image locally; null when it would be pulled. */
  after?: string | null;
}

/**
 * `secretKeys` are env names whose value is a secret anywhere in the preview: the engine holds
 * them in plain text, so the old value would leak if it were compared or printed.
 */
export function templateChanges(before: Template, after: Template, secretKeys: ReadonlySet<string>, digests: Digests = {}): FieldChange[] {
  const changes: FieldChange[] = [];
  const image = fieldChange("image", before.image, after.image);
  if (image) changes.push(image);
  changes.push(...digestChange(digests, before.image === after.image && !isUnknown(after.image)));
  changes.push(...envChanges((before.env ?? {}) as Record<string, unknown>, (after.env ?? {}) as Record<string, unknown>, secretKeys));
  for (const { path, label } of FIELDS) {
    const change = fieldChange(label, at(before, path), at(after, path));
    if (change) changes.push(change);
  }
  return changes;
}

function digestChange(digests: Digests, sameImage: boolean): FieldChange[] {
  if (digests.after === undefined || digests.before === undefined) return [];
  if (digests.after === null) {
    return [
      {
        field: "image digest",
        before: digests.before,
        note: "the new image is not on this machine: the engine pulls it when it makes the revision, so its digest is not known yet",
      },
    ];
  }
  if (digests.after === digests.before) return [];
  const note = sameImage ? "the same image reference now names another image" : undefined;
  return [{ field: "image digest", before: digests.before, after: digests.after, ...(note ? { note } : {}) }];
}

function envChanges(before: Record<string, unknown>, after: Record<string, unknown>, secretKeys: ReadonlySet<string>): FieldChange[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changes: FieldChange[] = [];
  const secrets: FieldChange[] = [];
  for (const name of names) {
    const field = `env ${name}`;
    const had = name in before;
    const has = name in after;
    if (secretKeys.has(name) || before[name] === SECRET || after[name] === SECRET) {
      const change: FieldChange = { field };
      if (had) change.before = MASK;
      if (has) change.after = MASK;
      if (had && has) change.note = "a secret: the preview does not show whether it changes";
      secrets.push(change);
      continue;
    }
    const change = fieldChange(field, had ? before[name] : undefined, has ? after[name] : undefined);
    if (change) changes.push(change);
  }
  // What is known to change first; then the secrets, whose values no one here may see.
  return [...changes, ...secrets];
}
