/**
 * Cloud Run v2's condition outputs (`terminalConditions`, `conditions`), filled from what the
 * engine knows, so a program that waits on `terminalConditions[0].state` reads the same states.
 */
export type ConditionState = "CONDITION_SUCCEEDED" | "CONDITION_FAILED" | "CONDITION_PENDING";

export interface GcpCondition {
  type: string;
  state: ConditionState;
  lastTransitionTime: string;
  message?: string;
  executionReason?: string;
}

function condition(type: string, state: ConditionState, time: string, message?: string): GcpCondition {
  return message === undefined ? { type, state, lastTransitionTime: time } : { type, state, lastTransitionTime: time, message };
}

export interface ServiceReadiness {
  latestCreatedRevision?: string;
  latestReadyRevision?: string;
  /** The revision this deploy made, when it failed. */
  failure?: string;
  updateTime: string;
  routed: boolean;
}

export function serviceConditions(s: ServiceReadiness): { terminalConditions: GcpCondition[]; conditions: GcpCondition[] } {
  const state: ConditionState =
    s.failure !== undefined
      ? "CONDITION_FAILED"
      : s.latestCreatedRevision !== undefined && s.latestCreatedRevision === s.latestReadyRevision
        ? "CONDITION_SUCCEEDED"
        : "CONDITION_PENDING";
  return {
    terminalConditions: [condition("Ready", state, s.updateTime, s.failure)],
    conditions: [
      condition("ConfigurationsReady", state, s.updateTime),
      condition("RoutesReady", s.routed ? "CONDITION_SUCCEEDED" : "CONDITION_PENDING", s.updateTime),
    ],
  };
}

/** A job is ready unless the execution its runExecutionToken ran failed. */
export function jobConditions(
  updateTime: string,
  failedExecution?: { message: string },
): { terminalConditions: GcpCondition[]; conditions: GcpCondition[] } {
  if (!failedExecution) return { terminalConditions: [condition("Ready", "CONDITION_SUCCEEDED", updateTime)], conditions: [] };
  const failed = { ...condition("Ready", "CONDITION_FAILED", updateTime, failedExecution.message), executionReason: "NON_ZERO_EXIT_CODE" };
  return { terminalConditions: [failed], conditions: [] };
}

/** cloudrun.DomainMapping's `statuses` (Knative's shape: status "True"). */
export function domainMappingStatuses(service: string) {
  return [
    {
      conditions: [
        { type: "Ready", status: "True" },
        { type: "DomainRoutable", status: "True" },
      ],
      mappedRouteName: service,
      observedGeneration: 1,
      resourceRecords: [],
    },
  ];
}
