import { isUnknown } from "../preview-values/unknowns";
import type { ServiceState } from "./current-state";
import type { ServiceView } from "./resource-views";
import type { FieldChange } from "./template-changes";

/**
 * What an update changes in a service's own settings, beside its revisions and traffic: who may
 * reach it over the network (ingress), whether its URLs answer (the default URL switch), and the
 * service-level scaling. They apply at once, to every revision, with no new revision; a preview
 * shows them only as a changed input of the Service, so the report lists them apart.
 */

const NOT_KNOWN = "not known until `pulumi up`";

/** The settings a service view carries, as displayed; a field the resource does not set is absent (it leaves it alone). */
function displayed(view: ServiceView): Record<string, string> {
  const out: Record<string, string> = {};
  const show = (field: string, value: unknown, render: (v: unknown) => string) => {
    if (value === undefined) return;
    out[field] = isUnknown(value) ? NOT_KNOWN : render(value);
  };
  show("ingress", view.ingress, (v) => String(v));
  show("default URL", view.defaultUriDisabled, (v) => (v === true ? "disabled" : "enabled"));
  show("service scaling", view.serviceScaling, (v) => scalingText(v as Record<string, unknown>));
  return out;
}

/** `automatic`, `automatic, min 2, max 10`, `manual, 3 instances`. */
export function scalingText(s: Record<string, unknown> | undefined): string {
  if (!s || s.scalingMode !== "MANUAL") {
    const bounds = [
      s?.minInstanceCount ? `min ${String(s.minInstanceCount)}` : "",
      s?.maxInstanceCount ? `max ${String(s.maxInstanceCount)}` : "",
    ];
    return ["automatic", ...bounds.filter(Boolean)].join(", ");
  }
  return `manual, ${String(s.manualInstanceCount ?? 0)} instance${s.manualInstanceCount === 1 ? "" : "s"}`;
}

/** The same settings of what runs now. */
function displayedNow(current: ServiceState): Record<string, string> {
  const out: Record<string, string> = {};
  if (current.ingress !== undefined) out.ingress = current.ingress;
  if (current.defaultUriDisabled !== undefined) out["default URL"] = current.defaultUriDisabled ? "disabled" : "enabled";
  if (current.serviceScaling !== undefined) out["service scaling"] = scalingText(current.serviceScaling);
  return out;
}

/**
 * The service's settings that the update changes: those the Service resource sets (after) that
 * differ from what runs now (or, where that is not known, from the resource's own old inputs). A
 * new service has nothing to compare with, and a deleted one no after.
 */
export function settingChanges(after: ServiceView | undefined, before: ServiceView | undefined, current: ServiceState): FieldChange[] {
  if (!after || !current.exists) return [];
  const now = { ...(before ? displayed(before) : {}), ...displayedNow(current) };
  const changes: FieldChange[] = [];
  for (const [field, value] of Object.entries(displayed(after))) {
    const was = now[field];
    if (was === value && value !== NOT_KNOWN) continue;
    if (value === NOT_KNOWN) changes.push({ field, ...(was !== undefined ? { before: was } : {}), note: NOT_KNOWN });
    else changes.push({ field, ...(was !== undefined ? { before: was } : {}), after: value });
  }
  return changes;
}
