import * as pulumi from "@pulumi/pulumi";
import { jobRules } from "../gcp/field-rules";
import { warnAboutOldSecretsConfig, warnFieldsWithoutLocalEffect } from "../gcp/program";
import { nameProps } from "../check/kept-name";
import { gcpResourceProps } from "../resources/project";
import { CloudRunV2Resource, STATUS_OUTPUTS } from "./resource";
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
export class Job extends CloudRunV2Resource {
  declare readonly template: pulumi.Output<pulumi.Unwrap<JobTemplate>>;
  declare readonly runExecutionToken: pulumi.Output<string | undefined>;
  declare readonly startExecutionToken: pulumi.Output<string | undefined>;
  /** The newest execution (a list of one, as pulumi-gcp has it). */
  declare readonly latestCreatedExecutions: pulumi.Output<JobLatestCreatedExecution[]>;
  declare readonly executionCount: pulumi.Output<number>;

  constructor(name: string, args: JobArgs, opts?: pulumi.CustomResourceOptions) {
    const props = gcpResourceProps({ ...args, ...nameProps(args.name, name) }, [
      "latestCreatedExecutions",
      "executionCount",
      ...STATUS_OUTPUTS,
    ]);
    super(gcpJobProvider, name, props, opts, "skiff/cloudrunv2", "Job");
    warnFieldsWithoutLocalEffect("cloudrunv2.Job", name, args, jobRules, this);
    warnAboutOldSecretsConfig(this);
  }
}
