import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/**
 * pulumi-gcp's `gcp.organizations.getIAMPolicy`: a policy written as data, turned into the JSON
 * `policyData` that `cloudrunv2.ServiceIamPolicy` takes. It is computed in the program (Google's
 * is too: the data source calls no API), so a program that builds its policy this way runs on
 * skiff by switching its import. Conditions and audit configs pass through; the IAM resources'
 * `check` refuses them, as they have no local meaning.
 */

export interface GetIAMPolicyBinding {
  condition?: { description?: string; expression: string; title: string };
  members: string[];
  role: string;
}

export interface GetIAMPolicyAuditConfig {
  auditLogConfigs: { exemptedMembers?: string[]; logType: string }[];
  service: string;
}

export interface GetIAMPolicyArgs {
  auditConfigs?: GetIAMPolicyAuditConfig[];
  bindings?: GetIAMPolicyBinding[];
}

export interface GetIAMPolicyResult {
  readonly auditConfigs?: GetIAMPolicyAuditConfig[];
  readonly bindings?: GetIAMPolicyBinding[];
  /** The provider-assigned id: a hash of policyData, as the data source's. */
  readonly id: string;
  readonly policyData: string;
}

function policyOf(args: GetIAMPolicyArgs | undefined): GetIAMPolicyResult {
  // One binding per role and condition, members sorted, as Google's JSON has them.
  const bindings = [...(args?.bindings ?? [])]
    .map((b) => ({ ...(b.condition ? { condition: b.condition } : {}), members: [...new Set(b.members)].sort(), role: b.role }))
    .sort((a, b) => a.role.localeCompare(b.role));
  const policy: Record<string, unknown> = {};
  if (args?.auditConfigs && args.auditConfigs.length > 0) policy.auditConfigs = args.auditConfigs;
  if (bindings.length > 0) policy.bindings = bindings;
  const policyData = JSON.stringify(policy);
  return {
    auditConfigs: args?.auditConfigs,
    bindings: args?.bindings,
    id: createHash("sha256").update(policyData).digest("hex").slice(0, 16),
    policyData,
  };
}

export function getIAMPolicy(args?: GetIAMPolicyArgs, _opts?: pulumi.InvokeOptions): Promise<GetIAMPolicyResult> {
  return Promise.resolve(policyOf(args));
}

export interface GetIAMPolicyOutputArgs {
  auditConfigs?: pulumi.Input<pulumi.Input<pulumi.Unwrap<GetIAMPolicyAuditConfig>>[]>;
  bindings?: pulumi.Input<pulumi.Input<pulumi.Unwrap<GetIAMPolicyBinding>>[]>;
}

export function getIAMPolicyOutput(args?: GetIAMPolicyOutputArgs, _opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetIAMPolicyResult> {
  return pulumi.output(args ?? {}).apply((resolved) => policyOf(resolved as GetIAMPolicyArgs));
}
