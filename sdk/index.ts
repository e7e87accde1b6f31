/**
 * skiff's Pulumi SDK: `import * as skiff from "skiff-run"`. Each resource is a Pulumi dynamic
 * resource (`pulumi-nodejs:dynamic/skiff:<Kind>`) whose provider talks to the local skiff engine,
 * starting it when it is not running.
 */
export { Service, type ServiceArgs, type ServiceScalingArgs, type TrafficStatusOutput } from "./resources/service";
export { Revision, type RevisionArgs } from "./resources/revision";
export { TrafficTarget, type TrafficTargetArgs, type TrafficEntryArgs } from "./resources/traffic-target";
export { DomainMapping, type DomainMappingArgs } from "./resources/domain-mapping";
export { Job, type JobArgs, type JobTemplateArgs, type ExecutionSummaryOutput } from "./resources/job";
export { Image, type ImageArgs } from "./resources/image";
export { Secret, SecretVersion, type SecretArgs, type SecretVersionArgs } from "./resources/secret";
export type {
  ServiceTemplateArgs,
  OneContainerTemplateArgs,
  ContainerListTemplateArgs,
  ContainerArgs,
  ServiceTemplateOutput,
  SecretRefArgs,
  VolumeArgs,
} from "./resources/template";
/** pulumi-gcp's cloudrunv2 Service, Job and their IAM resources, cloudrun DomainMapping: same arguments and outputs, run locally. */
export * as cloudrunv2 from "./cloudrunv2";
export * as cloudrun from "./cloudrun";
/** pulumi-gcp's secretmanager Secret and SecretVersion, kept in the engine's own Secret Manager. */
export * as secretmanager from "./secretmanager";
/** pulumi-gcp's organizations.getIAMPolicy: the policyData a cloudrunv2.ServiceIamPolicy takes. */
export * as organizations from "./organizations";
/** `skiff review` as a function: the traffic-effect report of a `pulumi preview` (see review/index.ts). */
export { review, renderReview, buildReport, type ReviewOptions, type ReviewReport } from "./review";
