import type * as pulumi from "@pulumi/pulumi";
import type { Opt } from "./types";

/**
 * pulumi-gcp's argument types of the Cloud Run IAM resources (cloudrunv2/serviceIamMember.d.ts,
 * serviceIamBinding.d.ts, serviceIamPolicy.d.ts, jobIamMember.d.ts), field for field. pulumi-gcp
 * types `name` as optional; the API needs it, and so does skiff's `check`.
 */

/** An IAM condition: refused by `check` (a conditional grant would hold at all times locally). */
export interface IamCondition {
  description?: Opt<string>;
  expression: pulumi.Input<string>;
  title: pulumi.Input<string>;
}

interface IamScopeArgs {
  /** A GCP region: no local effect. */
  location?: Opt<string>;
  /** The service's (or job's) name, or its id `projects/P/locations/L/services/NAME`. */
  name?: Opt<string>;
  /** The GCP project: no local effect. skiff's project is stack config `skiff:project`, else the stack name. */
  project?: Opt<string>;
}

export interface ServiceIamMemberArgs extends IamScopeArgs {
  condition?: Opt<IamCondition>;
  /** `allUsers`, `allAuthenticatedUsers`, `user:EMAIL`, `serviceAccount:EMAIL`, `group:EMAIL` or `domain:DOMAIN`. */
  member: pulumi.Input<string>;
  /** e.g. `roles/run.invoker` (the one role the ingress checks). */
  role: pulumi.Input<string>;
}

export interface ServiceIamBindingArgs extends IamScopeArgs {
  condition?: Opt<IamCondition>;
  /** Every member the role has (authoritative for the role). */
  members: pulumi.Input<pulumi.Input<string>[]>;
  role: pulumi.Input<string>;
}

export interface ServiceIamPolicyArgs extends IamScopeArgs {
  /** The whole policy as JSON, `{"bindings":[{"role":"roles/run.invoker","members":["allUsers"]}]}`, as getIAMPolicy gives it. */
  policyData: pulumi.Input<string>;
}

export type JobIamMemberArgs = ServiceIamMemberArgs;
