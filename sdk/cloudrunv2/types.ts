import type * as pulumi from "@pulumi/pulumi";

/**
 * pulumi-gcp's argument types for cloudrunv2 (as published in @pulumi/gcp 9.37.0,
 * types/input.d.ts and cloudrunv2/{service,job}.d.ts), mirrored field for field so a program
 * written for `gcp.cloudrunv2` compiles against skiff unchanged. Which fields act locally is in
 * sdk/README.md; enums stay strings, as pulumi-gcp types them.
 */
export type Opt<T> = pulumi.Input<T | undefined>;
export type StringMap = Opt<{ [key: string]: pulumi.Input<string> }>;
export type List<T> = Opt<pulumi.Input<T>[]>;

// Shared by both kinds.

export interface BinaryAuthorization {
  breakglassJustification?: Opt<string>;
  policy?: Opt<string>;
  useDefault?: Opt<boolean>;
}
export interface NodeSelector {
  accelerator: pulumi.Input<string>;
}
export interface VpcAccess {
  connector?: Opt<string>;
  egress?: Opt<string>;
  networkInterfaces?: List<{ network?: Opt<string>; subnetwork?: Opt<string>; tags?: List<string> }>;
}
export interface HttpHeader {
  name: pulumi.Input<string>;
  value?: Opt<string>;
}
export interface ProbeHttpGet {
  httpHeaders?: List<HttpHeader>;
  path?: Opt<string>;
  port?: Opt<number>;
}
export interface ProbeGrpc {
  port?: Opt<number>;
  service?: Opt<string>;
}
export interface StartupProbe {
  failureThreshold?: Opt<number>;
  grpc?: Opt<ProbeGrpc>;
  httpGet?: Opt<ProbeHttpGet>;
  initialDelaySeconds?: Opt<number>;
  periodSeconds?: Opt<number>;
  tcpSocket?: Opt<{ port?: Opt<number> }>;
  timeoutSeconds?: Opt<number>;
}
export interface VolumeMount {
  mountPath: pulumi.Input<string>;
  name: pulumi.Input<string>;
  subPath?: Opt<string>;
}
export interface EmptyDirVolume {
  medium?: Opt<string>;
  sizeLimit?: Opt<string>;
}
export interface GcsVolume {
  bucket: pulumi.Input<string>;
  mountOptions?: List<string>;
  readOnly?: Opt<boolean>;
}

// cloudrunv2.Service

export interface ServiceTemplateContainerEnv {
  name: pulumi.Input<string>;
  value?: Opt<string>;
  valueSource?: Opt<{ secretKeyRef?: Opt<{ secret: pulumi.Input<string>; version?: Opt<string> }> }>;
}
/** One object in a Service (a Job's container has a list). */
export interface ServiceTemplateContainerPorts {
  containerPort?: Opt<number>;
  name?: Opt<string>;
}
export interface ServiceTemplateContainerResources {
  cpuIdle?: Opt<boolean>;
  limits?: StringMap;
  startupCpuBoost?: Opt<boolean>;
}
export interface ServiceTemplateContainerLivenessProbe {
  failureThreshold?: Opt<number>;
  grpc?: Opt<ProbeGrpc>;
  httpGet?: Opt<ProbeHttpGet>;
  initialDelaySeconds?: Opt<number>;
  periodSeconds?: Opt<number>;
  tcpSocket?: Opt<{ port: pulumi.Input<number> }>;
  timeoutSeconds?: Opt<number>;
}
export interface ServiceTemplateContainerReadinessProbe {
  failureThreshold?: Opt<number>;
  grpc?: Opt<ProbeGrpc>;
  httpGet?: Opt<{ path?: Opt<string>; port?: Opt<number> }>;
  periodSeconds?: Opt<number>;
  successThreshold?: Opt<number>;
  timeoutSeconds?: Opt<number>;
}
export interface ServiceTemplateContainer {
  args?: List<string>;
  baseImageUri?: Opt<string>;
  buildInfos?: List<{ functionTarget?: Opt<string>; sourceLocation?: Opt<string> }>;
  commands?: List<string>;
  dependsOns?: List<string>;
  envs?: List<ServiceTemplateContainerEnv>;
  image: pulumi.Input<string>;
  livenessProbe?: Opt<ServiceTemplateContainerLivenessProbe>;
  name?: Opt<string>;
  ports?: Opt<ServiceTemplateContainerPorts>;
  readinessProbe?: Opt<ServiceTemplateContainerReadinessProbe>;
  resources?: Opt<ServiceTemplateContainerResources>;
  sandboxLauncher?: Opt<boolean>;
  sourceCode?: Opt<{ cloudStorageSource?: Opt<{ bucket: pulumi.Input<string>; generation?: Opt<string>; object: pulumi.Input<string> }> }>;
  startupProbe?: Opt<StartupProbe>;
  volumeMounts?: List<VolumeMount>;
  workingDir?: Opt<string>;
}
export interface ServiceTemplateScaling {
  concurrencyUtilization?: Opt<number>;
  cpuUtilization?: Opt<number>;
  maxInstanceCount?: Opt<number>;
  minInstanceCount?: Opt<number>;
}
export interface ServiceTemplateVolume {
  cloudSqlInstance?: Opt<{ instances?: List<string> }>;
  emptyDir?: Opt<EmptyDirVolume>;
  gcs?: Opt<GcsVolume>;
  name: pulumi.Input<string>;
  nfs?: Opt<{ path: pulumi.Input<string>; readOnly?: Opt<boolean>; server: pulumi.Input<string> }>;
  secret?: Opt<{
    defaultMode?: Opt<number>;
    items?: List<{ mode?: Opt<number>; path: pulumi.Input<string>; version?: Opt<string> }>;
    secret: pulumi.Input<string>;
  }>;
}
export interface ServiceTemplateSandboxes {
  templates?: List<{
    args?: List<string>;
    commands?: List<string>;
    envs?: List<{ name: pulumi.Input<string>; value?: Opt<string> }>;
    image: pulumi.Input<string>;
    name: pulumi.Input<string>;
    volumeMounts?: List<VolumeMount>;
    workingDir?: Opt<string>;
  }>;
}
export interface ServiceTemplate {
  annotations?: StringMap;
  containers?: List<ServiceTemplateContainer>;
  encryptionKey?: Opt<string>;
  executionEnvironment?: Opt<string>;
  gpuZonalRedundancyDisabled?: Opt<boolean>;
  healthCheckDisabled?: Opt<boolean>;
  labels?: StringMap;
  maxInstanceRequestConcurrency?: Opt<number>;
  nodeSelector?: Opt<NodeSelector>;
  /** `<service>-<suffix>`: the name of the revision this template makes. */
  revision?: Opt<string>;
  sandboxes?: Opt<ServiceTemplateSandboxes>;
  scaling?: Opt<ServiceTemplateScaling>;
  serviceAccount?: Opt<string>;
  serviceMesh?: Opt<{ mesh?: Opt<string> }>;
  sessionAffinity?: Opt<boolean>;
  /** Request timeout as a duration string, e.g. "300s" (whole seconds, up to "3600s"). */
  timeout?: Opt<string>;
  volumes?: List<ServiceTemplateVolume>;
  vpcAccess?: Opt<VpcAccess>;
}
export interface ServiceScaling {
  manualInstanceCount?: Opt<number>;
  maxInstanceCount?: Opt<number>;
  minInstanceCount?: Opt<number>;
  /** AUTOMATIC or MANUAL. */
  scalingMode?: Opt<string>;
}
export interface ServiceTraffic {
  percent?: Opt<number>;
  revision?: Opt<string>;
  tag?: Opt<string>;
  /** TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST or TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION. */
  type?: Opt<string>;
}
export interface ServiceBuildConfig {
  baseImage?: Opt<string>;
  enableAutomaticUpdates?: Opt<boolean>;
  environmentVariables?: StringMap;
  functionTarget?: Opt<string>;
  imageUri?: Opt<string>;
  name?: Opt<string>;
  serviceAccount?: Opt<string>;
  sourceLocation?: Opt<string>;
  workerPool?: Opt<string>;
}

// cloudrunv2.Job

export interface JobTemplateTemplateContainerEnv {
  name: pulumi.Input<string>;
  value?: Opt<string>;
  valueSource?: Opt<{ secretKeyRef?: Opt<{ secret: pulumi.Input<string>; version: pulumi.Input<string> }> }>;
}
export interface JobTemplateTemplateContainer {
  args?: List<string>;
  commands?: List<string>;
  dependsOns?: List<string>;
  envs?: List<JobTemplateTemplateContainerEnv>;
  image: pulumi.Input<string>;
  name?: Opt<string>;
  ports?: List<{ containerPort?: Opt<number>; name?: Opt<string> }>;
  resources?: Opt<{ limits?: StringMap }>;
  startupProbe?: Opt<StartupProbe>;
  volumeMounts?: List<VolumeMount>;
  workingDir?: Opt<string>;
}
export interface JobTemplateTemplateVolume {
  cloudSqlInstance?: Opt<{ instances?: List<string> }>;
  emptyDir?: Opt<EmptyDirVolume>;
  gcs?: Opt<GcsVolume>;
  name: pulumi.Input<string>;
  nfs?: Opt<{ path?: Opt<string>; readOnly?: Opt<boolean>; server: pulumi.Input<string> }>;
  secret?: Opt<{
    defaultMode?: Opt<number>;
    items?: List<{ mode?: Opt<number>; path: pulumi.Input<string>; version: pulumi.Input<string> }>;
    secret: pulumi.Input<string>;
  }>;
}
export interface JobTemplateTemplate {
  containers?: List<JobTemplateTemplateContainer>;
  encryptionKey?: Opt<string>;
  executionEnvironment?: Opt<string>;
  gpuZonalRedundancyDisabled?: Opt<boolean>;
  maxRetries?: Opt<number>;
  nodeSelector?: Opt<NodeSelector>;
  serviceAccount?: Opt<string>;
  /** Per task attempt, e.g. "600s". */
  timeout?: Opt<string>;
  volumes?: List<JobTemplateTemplateVolume>;
  vpcAccess?: Opt<VpcAccess>;
}
export interface JobTemplate {
  annotations?: StringMap;
  labels?: StringMap;
  parallelism?: Opt<number>;
  taskCount?: Opt<number>;
  template: pulumi.Input<JobTemplateTemplate>;
}
