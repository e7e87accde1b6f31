// pulumi-gcp's argument types for Cloud Run, copied from the published typings of @pulumi/gcp 9.37.0
// (types/input.d.ts, cloudrunv2/service.d.ts, cloudrunv2/job.d.ts, cloudrun/domainMapping.d.ts,
// secretmanager/secret.d.ts, secretmanager/secretVersion.d.ts) with
// their doc comments removed. Only the type test uses them: skiff does not depend on the provider.
/* eslint-disable */
import type * as pulumi from "@pulumi/pulumi";

export declare namespace inputs {
  namespace cloudrunv2 {
    interface JobBinaryAuthorization {
      breakglassJustification?: pulumi.Input<string | undefined>;
      policy?: pulumi.Input<string | undefined>;
      useDefault?: pulumi.Input<boolean | undefined>;
    }
    interface JobTemplate {
      annotations?: pulumi.Input<
        | {
            [key: string]: pulumi.Input<string>;
          }
        | undefined
      >;
      labels?: pulumi.Input<
        | {
            [key: string]: pulumi.Input<string>;
          }
        | undefined
      >;
      parallelism?: pulumi.Input<number | undefined>;
      taskCount?: pulumi.Input<number | undefined>;
      template: pulumi.Input<inputs.cloudrunv2.JobTemplateTemplate>;
    }
    interface JobTemplateTemplate {
      containers?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateContainer>[] | undefined>;
      encryptionKey?: pulumi.Input<string | undefined>;
      executionEnvironment?: pulumi.Input<string | undefined>;
      gpuZonalRedundancyDisabled?: pulumi.Input<boolean | undefined>;
      maxRetries?: pulumi.Input<number | undefined>;
      nodeSelector?: pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateNodeSelector | undefined>;
      serviceAccount?: pulumi.Input<string | undefined>;
      timeout?: pulumi.Input<string | undefined>;
      volumes?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateVolume>[] | undefined>;
      vpcAccess?: pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateVpcAccess | undefined>;
    }
    interface JobTemplateTemplateContainer {
      args?: pulumi.Input<pulumi.Input<string>[] | undefined>;
      commands?: pulumi.Input<pulumi.Input<string>[] | undefined>;
      dependsOns?: pulumi.Input<pulumi.Input<string>[] | undefined>;
      envs?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateContainerEnv>[] | undefined>;
      image: pulumi.Input<string>;
      name?: pulumi.Input<string | undefined>;
      ports?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateContainerPort>[] | undefined>;
      resources?: pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateContainerResources | undefined>;
      startupProbe?: pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateContainerStartupProbe | undefined>;
      volumeMounts?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateContainerVolumeMount>[] | undefined>;
      workingDir?: pulumi.Input<string | undefined>;
    }
    interface JobTemplateTemplateContainerEnv {
      name: pulumi.Input<string>;
      value?: pulumi.Input<string | undefined>;
      valueSource?: pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateContainerEnvValueSource | undefined>;
    }
    interface JobTemplateTemplateContainerEnvValueSource {
      secretKeyRef?: pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateContainerEnvValueSourceSecretKeyRef | undefined>;
    }
    interface JobTemplateTemplateContainerEnvValueSourceSecretKeyRef {
      secret: pulumi.Input<string>;
      version: pulumi.Input<string>;
    }
    interface JobTemplateTemplateContainerPort {
      containerPort?: pulumi.Input<number | undefined>;
      name?: pulumi.Input<string | undefined>;
    }
    interface JobTemplateTemplateContainerResources {
      limits?: pulumi.Input<
        | {
            [key: string]: pulumi.Input<string>;
          }
        | undefined
      >;
    }
    interface JobTemplateTemplateContainerStartupProbe {
      failureThreshold?: pulumi.Input<number | undefined>;
      grpc?: pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateContainerStartupProbeGrpc | undefined>;
      httpGet?: pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateContainerStartupProbeHttpGet | undefined>;
      initialDelaySeconds?: pulumi.Input<number | undefined>;
      periodSeconds?: pulumi.Input<number | undefined>;
      tcpSocket?: pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateContainerStartupProbeTcpSocket | undefined>;
      timeoutSeconds?: pulumi.Input<number | undefined>;
    }
    interface JobTemplateTemplateContainerStartupProbeGrpc {
      port?: pulumi.Input<number | undefined>;
      service?: pulumi.Input<string | undefined>;
    }
    interface JobTemplateTemplateContainerStartupProbeHttpGet {
      httpHeaders?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateContainerStartupProbeHttpGetHttpHeader>[] | undefined>;
      path?: pulumi.Input<string | undefined>;
      port?: pulumi.Input<number | undefined>;
    }
    interface JobTemplateTemplateContainerStartupProbeHttpGetHttpHeader {
      name: pulumi.Input<string>;
      value?: pulumi.Input<string | undefined>;
    }
    interface JobTemplateTemplateContainerStartupProbeTcpSocket {
      port?: pulumi.Input<number | undefined>;
    }
    interface JobTemplateTemplateContainerVolumeMount {
      mountPath: pulumi.Input<string>;
      name: pulumi.Input<string>;
      subPath?: pulumi.Input<string | undefined>;
    }
    interface JobTemplateTemplateNodeSelector {
      accelerator: pulumi.Input<string>;
    }
    interface JobTemplateTemplateVolume {
      cloudSqlInstance?: pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateVolumeCloudSqlInstance | undefined>;
      emptyDir?: pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateVolumeEmptyDir | undefined>;
      gcs?: pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateVolumeGcs | undefined>;
      name: pulumi.Input<string>;
      nfs?: pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateVolumeNfs | undefined>;
      secret?: pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateVolumeSecret | undefined>;
    }
    interface JobTemplateTemplateVolumeCloudSqlInstance {
      instances?: pulumi.Input<pulumi.Input<string>[] | undefined>;
    }
    interface JobTemplateTemplateVolumeEmptyDir {
      medium?: pulumi.Input<string | undefined>;
      sizeLimit?: pulumi.Input<string | undefined>;
    }
    interface JobTemplateTemplateVolumeGcs {
      bucket: pulumi.Input<string>;
      mountOptions?: pulumi.Input<pulumi.Input<string>[] | undefined>;
      readOnly?: pulumi.Input<boolean | undefined>;
    }
    interface JobTemplateTemplateVolumeNfs {
      path?: pulumi.Input<string | undefined>;
      readOnly?: pulumi.Input<boolean | undefined>;
      server: pulumi.Input<string>;
    }
    interface JobTemplateTemplateVolumeSecret {
      defaultMode?: pulumi.Input<number | undefined>;
      items?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateVolumeSecretItem>[] | undefined>;
      secret: pulumi.Input<string>;
    }
    interface JobTemplateTemplateVolumeSecretItem {
      mode?: pulumi.Input<number | undefined>;
      path: pulumi.Input<string>;
      version: pulumi.Input<string>;
    }
    interface JobTemplateTemplateVpcAccess {
      connector?: pulumi.Input<string | undefined>;
      egress?: pulumi.Input<string | undefined>;
      networkInterfaces?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.JobTemplateTemplateVpcAccessNetworkInterface>[] | undefined>;
    }
    interface JobTemplateTemplateVpcAccessNetworkInterface {
      network?: pulumi.Input<string | undefined>;
      subnetwork?: pulumi.Input<string | undefined>;
      tags?: pulumi.Input<pulumi.Input<string>[] | undefined>;
    }
    interface ServiceBinaryAuthorization {
      breakglassJustification?: pulumi.Input<string | undefined>;
      policy?: pulumi.Input<string | undefined>;
      useDefault?: pulumi.Input<boolean | undefined>;
    }
    interface ServiceBuildConfig {
      baseImage?: pulumi.Input<string | undefined>;
      enableAutomaticUpdates?: pulumi.Input<boolean | undefined>;
      environmentVariables?: pulumi.Input<
        | {
            [key: string]: pulumi.Input<string>;
          }
        | undefined
      >;
      functionTarget?: pulumi.Input<string | undefined>;
      imageUri?: pulumi.Input<string | undefined>;
      name?: pulumi.Input<string | undefined>;
      serviceAccount?: pulumi.Input<string | undefined>;
      sourceLocation?: pulumi.Input<string | undefined>;
      workerPool?: pulumi.Input<string | undefined>;
    }
    interface ServiceMultiRegionSettings {
      multiRegionId?: pulumi.Input<string | undefined>;
      regions?: pulumi.Input<pulumi.Input<string>[] | undefined>;
    }
    interface ServiceScaling {
      manualInstanceCount?: pulumi.Input<number | undefined>;
      maxInstanceCount?: pulumi.Input<number | undefined>;
      minInstanceCount?: pulumi.Input<number | undefined>;
      scalingMode?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplate {
      annotations?: pulumi.Input<
        | {
            [key: string]: pulumi.Input<string>;
          }
        | undefined
      >;
      containers?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainer>[] | undefined>;
      encryptionKey?: pulumi.Input<string | undefined>;
      executionEnvironment?: pulumi.Input<string | undefined>;
      gpuZonalRedundancyDisabled?: pulumi.Input<boolean | undefined>;
      healthCheckDisabled?: pulumi.Input<boolean | undefined>;
      labels?: pulumi.Input<
        | {
            [key: string]: pulumi.Input<string>;
          }
        | undefined
      >;
      maxInstanceRequestConcurrency?: pulumi.Input<number | undefined>;
      nodeSelector?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateNodeSelector | undefined>;
      revision?: pulumi.Input<string | undefined>;
      sandboxes?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateSandboxes | undefined>;
      scaling?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateScaling | undefined>;
      serviceAccount?: pulumi.Input<string | undefined>;
      serviceMesh?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateServiceMesh | undefined>;
      sessionAffinity?: pulumi.Input<boolean | undefined>;
      timeout?: pulumi.Input<string | undefined>;
      volumes?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.ServiceTemplateVolume>[] | undefined>;
      vpcAccess?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateVpcAccess | undefined>;
    }
    interface ServiceTemplateContainer {
      args?: pulumi.Input<pulumi.Input<string>[] | undefined>;
      baseImageUri?: pulumi.Input<string | undefined>;
      buildInfos?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerBuildInfo>[] | undefined>;
      commands?: pulumi.Input<pulumi.Input<string>[] | undefined>;
      dependsOns?: pulumi.Input<pulumi.Input<string>[] | undefined>;
      envs?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerEnv>[] | undefined>;
      image: pulumi.Input<string>;
      livenessProbe?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerLivenessProbe | undefined>;
      name?: pulumi.Input<string | undefined>;
      ports?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerPorts | undefined>;
      readinessProbe?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerReadinessProbe | undefined>;
      resources?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerResources | undefined>;
      sandboxLauncher?: pulumi.Input<boolean | undefined>;
      sourceCode?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerSourceCode | undefined>;
      startupProbe?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerStartupProbe | undefined>;
      volumeMounts?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerVolumeMount>[] | undefined>;
      workingDir?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateContainerBuildInfo {
      functionTarget?: pulumi.Input<string | undefined>;
      sourceLocation?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateContainerEnv {
      name: pulumi.Input<string>;
      value?: pulumi.Input<string | undefined>;
      valueSource?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerEnvValueSource | undefined>;
    }
    interface ServiceTemplateContainerEnvValueSource {
      secretKeyRef?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerEnvValueSourceSecretKeyRef | undefined>;
    }
    interface ServiceTemplateContainerEnvValueSourceSecretKeyRef {
      secret: pulumi.Input<string>;
      version?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateContainerLivenessProbe {
      failureThreshold?: pulumi.Input<number | undefined>;
      grpc?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerLivenessProbeGrpc | undefined>;
      httpGet?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerLivenessProbeHttpGet | undefined>;
      initialDelaySeconds?: pulumi.Input<number | undefined>;
      periodSeconds?: pulumi.Input<number | undefined>;
      tcpSocket?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerLivenessProbeTcpSocket | undefined>;
      timeoutSeconds?: pulumi.Input<number | undefined>;
    }
    interface ServiceTemplateContainerLivenessProbeGrpc {
      port?: pulumi.Input<number | undefined>;
      service?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateContainerLivenessProbeHttpGet {
      httpHeaders?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerLivenessProbeHttpGetHttpHeader>[] | undefined>;
      path?: pulumi.Input<string | undefined>;
      port?: pulumi.Input<number | undefined>;
    }
    interface ServiceTemplateContainerLivenessProbeHttpGetHttpHeader {
      name: pulumi.Input<string>;
      value?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateContainerLivenessProbeTcpSocket {
      port: pulumi.Input<number>;
    }
    interface ServiceTemplateContainerPorts {
      containerPort?: pulumi.Input<number | undefined>;
      name?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateContainerReadinessProbe {
      failureThreshold?: pulumi.Input<number | undefined>;
      grpc?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerReadinessProbeGrpc | undefined>;
      httpGet?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerReadinessProbeHttpGet | undefined>;
      periodSeconds?: pulumi.Input<number | undefined>;
      successThreshold?: pulumi.Input<number | undefined>;
      timeoutSeconds?: pulumi.Input<number | undefined>;
    }
    interface ServiceTemplateContainerReadinessProbeGrpc {
      port?: pulumi.Input<number | undefined>;
      service?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateContainerReadinessProbeHttpGet {
      path?: pulumi.Input<string | undefined>;
      port?: pulumi.Input<number | undefined>;
    }
    interface ServiceTemplateContainerResources {
      cpuIdle?: pulumi.Input<boolean | undefined>;
      limits?: pulumi.Input<
        | {
            [key: string]: pulumi.Input<string>;
          }
        | undefined
      >;
      startupCpuBoost?: pulumi.Input<boolean | undefined>;
    }
    interface ServiceTemplateContainerSourceCode {
      cloudStorageSource?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerSourceCodeCloudStorageSource | undefined>;
    }
    interface ServiceTemplateContainerSourceCodeCloudStorageSource {
      bucket: pulumi.Input<string>;
      generation?: pulumi.Input<string | undefined>;
      object: pulumi.Input<string>;
    }
    interface ServiceTemplateContainerStartupProbe {
      failureThreshold?: pulumi.Input<number | undefined>;
      grpc?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerStartupProbeGrpc | undefined>;
      httpGet?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerStartupProbeHttpGet | undefined>;
      initialDelaySeconds?: pulumi.Input<number | undefined>;
      periodSeconds?: pulumi.Input<number | undefined>;
      tcpSocket?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerStartupProbeTcpSocket | undefined>;
      timeoutSeconds?: pulumi.Input<number | undefined>;
    }
    interface ServiceTemplateContainerStartupProbeGrpc {
      port?: pulumi.Input<number | undefined>;
      service?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateContainerStartupProbeHttpGet {
      httpHeaders?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.ServiceTemplateContainerStartupProbeHttpGetHttpHeader>[] | undefined>;
      path?: pulumi.Input<string | undefined>;
      port?: pulumi.Input<number | undefined>;
    }
    interface ServiceTemplateContainerStartupProbeHttpGetHttpHeader {
      name: pulumi.Input<string>;
      value?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateContainerStartupProbeTcpSocket {
      port?: pulumi.Input<number | undefined>;
    }
    interface ServiceTemplateContainerVolumeMount {
      mountPath: pulumi.Input<string>;
      name: pulumi.Input<string>;
      subPath?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateNodeSelector {
      accelerator: pulumi.Input<string>;
    }
    interface ServiceTemplateSandboxes {
      templates?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.ServiceTemplateSandboxesTemplate>[] | undefined>;
    }
    interface ServiceTemplateSandboxesTemplate {
      args?: pulumi.Input<pulumi.Input<string>[] | undefined>;
      commands?: pulumi.Input<pulumi.Input<string>[] | undefined>;
      envs?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.ServiceTemplateSandboxesTemplateEnv>[] | undefined>;
      image: pulumi.Input<string>;
      name: pulumi.Input<string>;
      volumeMounts?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.ServiceTemplateSandboxesTemplateVolumeMount>[] | undefined>;
      workingDir?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateSandboxesTemplateEnv {
      name: pulumi.Input<string>;
      value?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateSandboxesTemplateVolumeMount {
      mountPath: pulumi.Input<string>;
      name: pulumi.Input<string>;
      subPath?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateScaling {
      concurrencyUtilization?: pulumi.Input<number | undefined>;
      cpuUtilization?: pulumi.Input<number | undefined>;
      maxInstanceCount?: pulumi.Input<number | undefined>;
      minInstanceCount?: pulumi.Input<number | undefined>;
    }
    interface ServiceTemplateServiceMesh {
      mesh?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateVolume {
      cloudSqlInstance?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateVolumeCloudSqlInstance | undefined>;
      emptyDir?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateVolumeEmptyDir | undefined>;
      gcs?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateVolumeGcs | undefined>;
      name: pulumi.Input<string>;
      nfs?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateVolumeNfs | undefined>;
      secret?: pulumi.Input<inputs.cloudrunv2.ServiceTemplateVolumeSecret | undefined>;
    }
    interface ServiceTemplateVolumeCloudSqlInstance {
      instances?: pulumi.Input<pulumi.Input<string>[] | undefined>;
    }
    interface ServiceTemplateVolumeEmptyDir {
      medium?: pulumi.Input<string | undefined>;
      sizeLimit?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateVolumeGcs {
      bucket: pulumi.Input<string>;
      mountOptions?: pulumi.Input<pulumi.Input<string>[] | undefined>;
      readOnly?: pulumi.Input<boolean | undefined>;
    }
    interface ServiceTemplateVolumeNfs {
      path: pulumi.Input<string>;
      readOnly?: pulumi.Input<boolean | undefined>;
      server: pulumi.Input<string>;
    }
    interface ServiceTemplateVolumeSecret {
      defaultMode?: pulumi.Input<number | undefined>;
      items?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.ServiceTemplateVolumeSecretItem>[] | undefined>;
      secret: pulumi.Input<string>;
    }
    interface ServiceTemplateVolumeSecretItem {
      mode?: pulumi.Input<number | undefined>;
      path: pulumi.Input<string>;
      version?: pulumi.Input<string | undefined>;
    }
    interface ServiceTemplateVpcAccess {
      connector?: pulumi.Input<string | undefined>;
      egress?: pulumi.Input<string | undefined>;
      networkInterfaces?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.ServiceTemplateVpcAccessNetworkInterface>[] | undefined>;
    }
    interface ServiceTemplateVpcAccessNetworkInterface {
      network?: pulumi.Input<string | undefined>;
      subnetwork?: pulumi.Input<string | undefined>;
      tags?: pulumi.Input<pulumi.Input<string>[] | undefined>;
    }
    interface ServiceTraffic {
      percent?: pulumi.Input<number | undefined>;
      revision?: pulumi.Input<string | undefined>;
      tag?: pulumi.Input<string | undefined>;
      type?: pulumi.Input<string | undefined>;
    }
  }
  namespace cloudrun {
    interface DomainMappingMetadata {
      annotations?: pulumi.Input<
        | {
            [key: string]: pulumi.Input<string>;
          }
        | undefined
      >;
      effectiveAnnotations?: pulumi.Input<
        | {
            [key: string]: pulumi.Input<string>;
          }
        | undefined
      >;
      effectiveLabels?: pulumi.Input<
        | {
            [key: string]: pulumi.Input<string>;
          }
        | undefined
      >;
      generation?: pulumi.Input<number | undefined>;
      labels?: pulumi.Input<
        | {
            [key: string]: pulumi.Input<string>;
          }
        | undefined
      >;
      namespace: pulumi.Input<string>;
      pulumiLabels?: pulumi.Input<
        | {
            [key: string]: pulumi.Input<string>;
          }
        | undefined
      >;
      resourceVersion?: pulumi.Input<string | undefined>;
      selfLink?: pulumi.Input<string | undefined>;
      uid?: pulumi.Input<string | undefined>;
    }
    interface DomainMappingSpec {
      certificateMode?: pulumi.Input<string | undefined>;
      forceOverride?: pulumi.Input<boolean | undefined>;
      routeName: pulumi.Input<string>;
    }
  }
}

export interface ServiceArgs {
  annotations?: pulumi.Input<
    | {
        [key: string]: pulumi.Input<string>;
      }
    | undefined
  >;
  binaryAuthorization?: pulumi.Input<inputs.cloudrunv2.ServiceBinaryAuthorization | undefined>;
  buildConfig?: pulumi.Input<inputs.cloudrunv2.ServiceBuildConfig | undefined>;
  client?: pulumi.Input<string | undefined>;
  clientVersion?: pulumi.Input<string | undefined>;
  customAudiences?: pulumi.Input<pulumi.Input<string>[] | undefined>;
  defaultUriDisabled?: pulumi.Input<boolean | undefined>;
  deletionPolicy?: pulumi.Input<string | undefined>;
  deletionProtection?: pulumi.Input<boolean | undefined>;
  description?: pulumi.Input<string | undefined>;
  iapEnabled?: pulumi.Input<boolean | undefined>;
  ingress?: pulumi.Input<string | undefined>;
  invokerIamDisabled?: pulumi.Input<boolean | undefined>;
  labels?: pulumi.Input<
    | {
        [key: string]: pulumi.Input<string>;
      }
    | undefined
  >;
  launchStage?: pulumi.Input<string | undefined>;
  location: pulumi.Input<string>;
  multiRegionSettings?: pulumi.Input<inputs.cloudrunv2.ServiceMultiRegionSettings | undefined>;
  name?: pulumi.Input<string | undefined>;
  project?: pulumi.Input<string | undefined>;
  scaling?: pulumi.Input<inputs.cloudrunv2.ServiceScaling | undefined>;
  tags?: pulumi.Input<
    | {
        [key: string]: pulumi.Input<string>;
      }
    | undefined
  >;
  template: pulumi.Input<inputs.cloudrunv2.ServiceTemplate>;
  traffics?: pulumi.Input<pulumi.Input<inputs.cloudrunv2.ServiceTraffic>[] | undefined>;
}

export interface JobArgs {
  annotations?: pulumi.Input<
    | {
        [key: string]: pulumi.Input<string>;
      }
    | undefined
  >;
  binaryAuthorization?: pulumi.Input<inputs.cloudrunv2.JobBinaryAuthorization | undefined>;
  client?: pulumi.Input<string | undefined>;
  clientVersion?: pulumi.Input<string | undefined>;
  deletionPolicy?: pulumi.Input<string | undefined>;
  deletionProtection?: pulumi.Input<boolean | undefined>;
  labels?: pulumi.Input<
    | {
        [key: string]: pulumi.Input<string>;
      }
    | undefined
  >;
  launchStage?: pulumi.Input<string | undefined>;
  location: pulumi.Input<string>;
  name?: pulumi.Input<string | undefined>;
  project?: pulumi.Input<string | undefined>;
  runExecutionToken?: pulumi.Input<string | undefined>;
  startExecutionToken?: pulumi.Input<string | undefined>;
  tags?: pulumi.Input<
    | {
        [key: string]: pulumi.Input<string>;
      }
    | undefined
  >;
  template: pulumi.Input<inputs.cloudrunv2.JobTemplate>;
}

export interface DomainMappingArgs {
  deletionPolicy?: pulumi.Input<string | undefined>;
  location: pulumi.Input<string>;
  metadata?: pulumi.Input<inputs.cloudrun.DomainMappingMetadata | undefined>;
  name?: pulumi.Input<string | undefined>;
  project?: pulumi.Input<string | undefined>;
  spec: pulumi.Input<inputs.cloudrun.DomainMappingSpec>;
}

// The IAM resources, from the generated source of the same typings (pulumi-gcp sdk/nodejs/cloudrunv2/
// serviceIamMember.ts, serviceIamBinding.ts, serviceIamPolicy.ts, jobIamMember.ts; the condition is
// inputs.cloudrunv2.ServiceIamMemberCondition and its Binding and Job twins).
export interface IamCondition {
  description?: pulumi.Input<string | undefined>;
  expression: pulumi.Input<string>;
  title: pulumi.Input<string>;
}

export interface ServiceIamMemberArgs {
  condition?: pulumi.Input<IamCondition | undefined>;
  location?: pulumi.Input<string | undefined>;
  member: pulumi.Input<string>;
  name?: pulumi.Input<string | undefined>;
  project?: pulumi.Input<string | undefined>;
  role: pulumi.Input<string>;
}

export interface ServiceIamBindingArgs {
  condition?: pulumi.Input<IamCondition | undefined>;
  location?: pulumi.Input<string | undefined>;
  members: pulumi.Input<pulumi.Input<string>[]>;
  name?: pulumi.Input<string | undefined>;
  project?: pulumi.Input<string | undefined>;
  role: pulumi.Input<string>;
}

export interface ServiceIamPolicyArgs {
  location?: pulumi.Input<string | undefined>;
  name?: pulumi.Input<string | undefined>;
  policyData: pulumi.Input<string>;
  project?: pulumi.Input<string | undefined>;
}

export type JobIamMemberArgs = ServiceIamMemberArgs;

// Secret Manager (secretmanager/secret.d.ts, secretmanager/secretVersion.d.ts and their inputs).
export declare namespace secretmanagerInputs {
  interface SecretReplication {
    auto?: pulumi.Input<SecretReplicationAuto | undefined>;
    userManaged?: pulumi.Input<SecretReplicationUserManaged | undefined>;
  }
  interface SecretReplicationAuto {
    customerManagedEncryption?: pulumi.Input<SecretCustomerManagedEncryption | undefined>;
  }
  interface SecretCustomerManagedEncryption {
    kmsKeyName: pulumi.Input<string>;
  }
  interface SecretReplicationUserManaged {
    replicas: pulumi.Input<pulumi.Input<SecretReplicationUserManagedReplica>[]>;
  }
  interface SecretReplicationUserManagedReplica {
    customerManagedEncryption?: pulumi.Input<SecretCustomerManagedEncryption | undefined>;
    location: pulumi.Input<string>;
  }
  interface SecretRotation {
    nextRotationTime?: pulumi.Input<string | undefined>;
    rotationPeriod?: pulumi.Input<string | undefined>;
  }
  interface SecretTopic {
    name: pulumi.Input<string>;
  }
}

export interface SecretArgs {
  annotations?: pulumi.Input<{ [key: string]: pulumi.Input<string> } | undefined>;
  deletionProtection?: pulumi.Input<boolean | undefined>;
  expireTime?: pulumi.Input<string | undefined>;
  labels?: pulumi.Input<{ [key: string]: pulumi.Input<string> } | undefined>;
  project?: pulumi.Input<string | undefined>;
  replication: pulumi.Input<secretmanagerInputs.SecretReplication>;
  rotation?: pulumi.Input<secretmanagerInputs.SecretRotation | undefined>;
  secretId: pulumi.Input<string>;
  tags?: pulumi.Input<{ [key: string]: pulumi.Input<string> } | undefined>;
  topics?: pulumi.Input<pulumi.Input<secretmanagerInputs.SecretTopic>[] | undefined>;
  ttl?: pulumi.Input<string | undefined>;
  versionAliases?: pulumi.Input<{ [key: string]: pulumi.Input<string> } | undefined>;
  versionDestroyTtl?: pulumi.Input<string | undefined>;
}

export interface SecretVersionArgs {
  deletionPolicy?: pulumi.Input<string | undefined>;
  enabled?: pulumi.Input<boolean | undefined>;
  isSecretDataBase64?: pulumi.Input<boolean | undefined>;
  secret: pulumi.Input<string>;
  secretData?: pulumi.Input<string | undefined>;
  secretDataWo?: pulumi.Input<string | undefined>;
  secretDataWoVersion?: pulumi.Input<number | undefined>;
}
