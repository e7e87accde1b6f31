import { canonicalPolicyData, memberSet, resourceNameOf, type IamKind } from "../gcp/iam";
import { isUnknown } from "../preview-values/unknowns";
import { DiffDecision, DiffTable, diffByTable } from "./table";

/**
 * The IAM resources' diff tables, as pulumi-gcp has them: what names the policy (name, location,
 * project, skiff's project) and what a Member grants (role, member, condition) replace it; a
 * Binding's members and a Policy's policyData update in place. A Binding's members are a set and
 * policyData is compared as a policy, so neither order nor spacing is a change.
 *
 * A replace normally creates the new resource before deleting the old one. When both grant the
 * same thing on the same service (only `location` or the spelling of `name` changed), the old
 * one's delete would take back what the new one just granted, so the old one goes first.
 */

const scope = { name: "replace", location: "replace", project: "replace", skiffProject: "replace" } as const;

export const iamMemberDiffTable: DiffTable = { ...scope, role: "replace", member: "replace", condition: "replace" };
export const iamBindingDiffTable: DiffTable = { ...scope, role: "replace", condition: "replace", members: "update" };
export const iamPolicyDiffTable: DiffTable = { ...scope, policyData: "update" };

/** What a resource's delete would take away: the policy it edits and, for a Member or Binding, its part of it. */
function grantOf(kind: IamKind, props: Record<string, unknown>, part: string[]): string | undefined {
  const values = [props.skiffProject, props.name, ...part.map((key) => props[key])];
  if (values.some((v) => isUnknown(v))) return undefined;
  const name = typeof props.name === "string" ? resourceNameOf(props.name, kind) : props.name;
  return JSON.stringify([props.skiffProject, name, ...part.map((key) => props[key] ?? null)]);
}

function decide(
  kind: IamKind,
  table: DiffTable,
  part: string[],
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): DiffDecision {
  const decision = diffByTable(table, olds, news);
  const sameGrant = grantOf(kind, olds, part) !== undefined && grantOf(kind, olds, part) === grantOf(kind, news, part);
  return { ...decision, deleteBeforeReplace: decision.replaces.length > 0 && sameGrant };
}

export function diffIamMember(kind: IamKind, olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  return decide(kind, iamMemberDiffTable, ["role", "member"], olds, news);
}

export function diffIamBinding(kind: IamKind, olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  const asSet = (props: Record<string, unknown>) => ({ ...props, members: memberSet(props.members) });
  return decide(kind, iamBindingDiffTable, ["role"], asSet(olds), asSet(news));
}

export function diffIamPolicy(kind: IamKind, olds: Record<string, unknown>, news: Record<string, unknown>): DiffDecision {
  const asPolicy = (props: Record<string, unknown>) => ({ ...props, policyData: canonicalPolicyData(props.policyData) });
  return decide(kind, iamPolicyDiffTable, [], asPolicy(olds), asPolicy(news));
}
