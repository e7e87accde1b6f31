/**
 * `skiff.cloudrunv2`: pulumi-gcp's `gcp.cloudrunv2.Service` and `gcp.cloudrunv2.Job` and the IAM
 * resources of both, with the same arguments and outputs, run on the local engine. Switch a
 * program's import and it runs here.
 */
export { Service, type ServiceArgs, type ServiceTrafficStatus, type Condition } from "./service";
export { Job, type JobArgs, type JobLatestCreatedExecution } from "./job";
export { ServiceIamMember, ServiceIamBinding, ServiceIamPolicy } from "./service-iam";
export { JobIamMember } from "./job-iam";
export type * from "./iam-types";
export type * from "./types";
