import * as pulumi from "@pulumi/pulumi";
import { SkiffResource } from "../resources/resource";
import { iamMemberRules } from "../gcp/field-rules";
import { warnFieldsWithoutLocalEffect } from "../gcp/program";
import { gcpResourceProps } from "../resources/project";
import type { IamCondition, JobIamMemberArgs } from "./iam-types";

/** See sdk/resources/service.ts: the serialized provider loads its implementation by package name. */
/** @internal exported for the serialization test */
export const jobIamMemberProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/cloudrunv2-job-iam-member").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-job-iam-member").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-job-iam-member").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/cloudrunv2-job-iam-member").provider.create(inputs);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/cloudrunv2-job-iam-member").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/cloudrunv2-job-iam-member").provider.delete(id, props);
  },
};

/**
 * pulumi-gcp's `gcp.cloudrunv2.JobIamMember`: grants `role` on a job to `member`, leaving the
 * job's other members alone. The engine keeps the job's policy (GET .../jobs/JOB/iamPolicy), but
 * it gates nothing locally: only the engine's owner runs jobs here.
 */
export class JobIamMember extends SkiffResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly location: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  declare readonly skiffProject: pulumi.Output<string>;
  declare readonly role: pulumi.Output<string>;
  declare readonly member: pulumi.Output<string>;
  declare readonly condition: pulumi.Output<IamCondition | undefined>;
  declare readonly etag: pulumi.Output<string>;

  constructor(name: string, args: JobIamMemberArgs, opts?: pulumi.CustomResourceOptions) {
    super(jobIamMemberProvider, name, gcpResourceProps(args, ["etag"]), opts, "skiff/cloudrunv2", "JobIamMember");
    warnFieldsWithoutLocalEffect("cloudrunv2.JobIamMember", name, args, iamMemberRules, this);
  }
}
