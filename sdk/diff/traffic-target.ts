import { DiffDecision, DiffTable, diffByTable } from "./table";

/** TrafficTarget: the traffic list updates in place; pointing it at another service replaces it. */
export const trafficTargetDiffTable: DiffTable = {
  service: "replace",
  project: "replace",
  traffic: "update",
};

export function diffTrafficTarget(olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  return diffByTable(trafficTargetDiffTable, olds, news);
}
