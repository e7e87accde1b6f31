import { domainMappingRules } from "../gcp/field-rules";
import { DiffDecision, DiffTable, diffByTable, sameValue } from "./table";

/**
 * cloudrun.DomainMapping: the domain (`name`), the service (`spec.routeName`) and the skiff project
 * are what a mapping is, so a change of any replaces it; fields with no local meaning update.
 */
export const gcpDomainMappingDiffTable: DiffTable = {
  ...Object.fromEntries(Object.keys(domainMappingRules.fields).map((key) => [key, "update" as const])),
  name: "replace",
  skiffProject: "replace",
};

/** `spec` holds both the service (replace) and fields with no local meaning (update). */
export function diffGcpDomainMapping(olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  const decision = diffByTable(gcpDomainMappingDiffTable, olds, news);
  const routeOf = (v: Record<string, unknown>) => (v.spec as { routeName?: unknown } | undefined)?.routeName;
  if (!sameValue(routeOf(olds), routeOf(news))) decision.replaces.push("spec");
  decision.stables = decision.stables.filter((key) => !decision.replaces.includes(key));
  // A domain maps to one service at a time: with the same domain the old mapping goes first.
  const sameDomain = !decision.replaces.includes("name");
  return { ...decision, deleteBeforeReplace: decision.replaces.length > 0 && sameDomain };
}
