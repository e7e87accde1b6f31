import { createHash } from "node:crypto";
import { canonicalJson } from "../base/canonical-json";

/**
 * The small parts every v2 message shares: conditions in Cloud Run's shape, a uid that stays the
 * same for the same object, and etags.
 */

export type ConditionState = "CONDITION_PENDING" | "CONDITION_RECONCILING" | "CONDITION_FAILED" | "CONDITION_SUCCEEDED";

export function condition(type: string, state: ConditionState, lastTransitionTime: string): Record<string, unknown> {
  return { type, state, lastTransitionTime };
}

/** A failed condition, with the message users read (a revision's log tail) and a common reason. */
export function failedCondition(
  type: string,
  lastTransitionTime: string,
  message: string | undefined,
  reason: string,
): Record<string, unknown> {
  return { type, state: "CONDITION_FAILED", message, lastTransitionTime, severity: "ERROR", reason };
}

/**
 * A uid in UUID form that is the same on every read and differs when an object of the same name
 * is made again (its createTime differs); skiff keeps no uid of its own.
 */
export function uidOf(kind: string, project: string, name: string, createTime: string): string {
  const hex = createHash("sha256").update(`${kind}\0${project}\0${name}\0${createTime}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * An etag over what a client may change: the same content gives the same etag, any change a new
 * one. Quoted, as HTTP and Cloud Run write etags.
 */
export function etagOf(value: unknown): string {
  return `"${createHash("sha256").update(canonicalJson(value)).digest("base64url").slice(0, 22)}"`;
}
