import { DiffDecision, DiffTable, diffByTable } from "./table";

/** DomainMapping: any change replaces it. */
export const domainMappingDiffTable: DiffTable = {
  domain: "replace",
  service: "replace",
  project: "replace",
};

/**
 * A domain maps to one service at a time (across projects: the Host header names no project), so when the domain stays the same the old mapping has to
 * go before the new one can be made (delete before replace); a new domain is created first.
 */
export function diffDomainMapping(olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  const decision = diffByTable(domainMappingDiffTable, olds, news);
  const sameDomain = !decision.replaces.includes("domain");
  return { ...decision, deleteBeforeReplace: decision.replaces.length > 0 && sameDomain };
}
