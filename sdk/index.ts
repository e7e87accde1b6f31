/**
 * skiff's Pulumi SDK: `import * as skiff from "skiff-run"`. Each resource is a Pulumi dynamic
 * resource (`pulumi-nodejs:dynamic/skiff:<Kind>`) whose provider talks to the local skiff engine,
 * starting it when it is not running. Job comes with the jobs work, as sdk/resources/job.ts.
 */
export { Service, type ServiceArgs, type TrafficStatusOutput } from "./resources/service";
export { Revision, type RevisionArgs } from "./resources/revision";
export { TrafficTarget, type TrafficTargetArgs, type TrafficEntryArgs } from "./resources/traffic-target";
export { DomainMapping, type DomainMappingArgs } from "./resources/domain-mapping";
export type { ServiceTemplateArgs, ServiceTemplateOutput } from "./resources/template";
