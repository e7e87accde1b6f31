import * as pulumi from "@pulumi/pulumi";
import { jobRules } from "../gcp/field-rules";
import { warnAboutOldSecretsConfig, warnFieldsWithoutLocalEffect } from "../gcp/program";
import { resolveProject } from "../resources/project";
import type { Condition } from "./service";
import type { BinaryAuthorization, JobTemplate, Opt, StringMap } from "./types";

/** pulumi-gcp's `gcp.cloudrunv2.JobArgs`, field for field. */
export interface JobArgs {
  annotations?: StringMap;
  binaryAuthorization?: Opt<BinaryAuthorization>;
  client?: Opt<string>;
  clientVersion?: Opt<string>;
  deletionPolicy?: Opt<string>;
  deletionProtection?: Opt<boolean>;
  labels?: StringMap;
  launchStage?: Opt<string>;
  /** A GCP region: no local effect. */
  location: pulumi.Input<string>;
  /** Default: the resource's own name, with no suffix. */
  name?: Opt<string>;
  /** The GCP project: no local effect. skiff's project is stack config `skiff:project`, else the stack name. */
  project?: Opt<string>;
  /** Set or change it to run an execution; `pulumi up` waits for it and fails if it fails. */
  runExecutionToken?: Opt<string>;
  /** Set or change it to start an execution without waiting for it. */
  startExecutionToken?: Opt<string>;
  tags?: StringMap;
  template: pulumi.Input<JobTemplate>;
}

export interface JobLatestCreatedExecution {
  name: string;
  createTime: string;
  completionTime?: string;
}

/** See sdk/resources/service.ts: the serialized provider loads its implementation by package name. */
/** @internal exported for the serialization test */
export const gcpJobProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/cloudrunv2-job").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-job").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-job").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/cloudrunv2-job").provider.create(inputs);
  },
  async update(id, olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-job").provider.update(id, olds, news);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/cloudrunv2-job").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/cloudrunv2-job").provider.delete(id, props);
  },
};

/**
 * pulumi-gcp's `gcp.cloudrunv2.Job`, run by skiff. Executions run `template.taskCount` tasks of
 * `template.template`; a runExecutionToken makes `pulumi up` run one and wait for it to succeed.
 */
export class Job extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  declare readonly location: pulumi.Output<string>;
  declare readonly skiffProject: pulumi.Output<string>;
  declare readonly template: pulumi.Output<pulumi.Unwrap<JobTemplate>>;
  declare readonly labels: pulumi.Output<Record<string, string> | undefined>;
  declare readonly runExecutionToken: pulumi.Output<string | undefined>;
  declare readonly startExecutionToken: pulumi.Output<string | undefined>;
  /** The newest execution (a list of one, as pulumi-gcp has it). */
  declare readonly latestCreatedExecutions: pulumi.Output<JobLatestCreatedExecution[]>;
  declare readonly executionCount: pulumi.Output<number>;
  declare readonly terminalConditions: pulumi.Output<Condition[]>;
  declare readonly conditions: pulumi.Output<Condition[]>;
  declare readonly createTime: pulumi.Output<string>;
  declare readonly updateTime: pulumi.Output<string>;
  declare readonly generation: pulumi.Output<string>;
  declare readonly observedGeneration: pulumi.Output<string>;
  declare readonly reconciling: pulumi.Output<boolean>;

  constructor(name: string, args: JobArgs, opts?: pulumi.CustomResourceOptions) {
    const skiffProject = resolveProject(undefined);
    const props = {
      ...args,
      name: args.name ?? name,
      project: args.project ?? skiffProject,
      skiffProject,
      latestCreatedExecutions: undefined,
      executionCount: undefined,
      terminalConditions: undefined,
      conditions: undefined,
      createTime: undefined,
      updateTime: undefined,
      generation: undefined,
      observedGeneration: undefined,
      reconciling: undefined,
    };
    super(gcpJobProvider, name, props, opts, "skiff/cloudrunv2", "Job");
    warnFieldsWithoutLocalEffect("cloudrunv2.Job", name, args, jobRules, this);
    warnAboutOldSecretsConfig(this);
  }
}
