/**
 * `skiff.cloudrunv2`: pulumi-gcp's `gcp.cloudrunv2.Service` and `gcp.cloudrunv2.Job`, with the
 * same arguments and outputs, run on the local engine. Switch a program's import and it runs here.
 */
export { Service, type ServiceArgs, type ServiceTrafficStatus, type Condition } from "./service";
export { Job, type JobArgs, type JobLatestCreatedExecution } from "./job";
export type * from "./types";
