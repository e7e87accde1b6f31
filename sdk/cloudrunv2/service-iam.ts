import * as pulumi from "@pulumi/pulumi";
import { SkiffResource } from "../resources/resource";
import { iamBindingRules, iamMemberRules, iamPolicyRules } from "../gcp/field-rules";
import { warnFieldsWithoutLocalEffect } from "../gcp/program";
import { gcpResourceProps } from "../resources/project";
import type { IamCondition, ServiceIamBindingArgs, ServiceIamMemberArgs, ServiceIamPolicyArgs } from "./iam-types";

/**
 * pulumi-gcp's IAM resources of a Cloud Run service, run by skiff: a Member adds one member to a
 * role, a Binding sets a role's members, a Policy sets the whole policy. roles/run.invoker is who
 * may call the service (the ingress answers 401 without a valid identity token, 403 to one whose
 * identity is not an invoker); `allUsers` makes it public. See sdk/README.md.
 */

/** See sdk/resources/service.ts: the serialized provider loads its implementation by package name. */
/** @internal exported for the serialization test */
export const serviceIamMemberProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/cloudrunv2-service-iam-member").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-member").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-member").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-member").provider.create(inputs);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-member").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-member").provider.delete(id, props);
  },
};

/** Non-authoritative: grants `role` to `member`, leaving the policy's other members alone. */
export class ServiceIamMember extends SkiffResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly location: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  declare readonly skiffProject: pulumi.Output<string>;
  declare readonly role: pulumi.Output<string>;
  declare readonly member: pulumi.Output<string>;
  declare readonly condition: pulumi.Output<IamCondition | undefined>;
  /** The etag of the service's policy as this resource last wrote or read it. */
  declare readonly etag: pulumi.Output<string>;

  constructor(name: string, args: ServiceIamMemberArgs, opts?: pulumi.CustomResourceOptions) {
    super(serviceIamMemberProvider, name, gcpResourceProps(args, ["etag"]), opts, "skiff/cloudrunv2", "ServiceIamMember");
    warnFieldsWithoutLocalEffect("cloudrunv2.ServiceIamMember", name, args, iamMemberRules, this);
  }
}

/** @internal exported for the serialization test */
export const serviceIamBindingProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/cloudrunv2-service-iam-binding").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-binding").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-binding").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-binding").provider.create(inputs);
  },
  async update(id, olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-binding").provider.update(id, olds, news);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-binding").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-binding").provider.delete(id, props);
  },
};

/** Authoritative for one role: its members become exactly `members`; other roles are left alone. */
export class ServiceIamBinding extends SkiffResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly location: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  declare readonly skiffProject: pulumi.Output<string>;
  declare readonly role: pulumi.Output<string>;
  declare readonly members: pulumi.Output<string[]>;
  declare readonly condition: pulumi.Output<IamCondition | undefined>;
  declare readonly etag: pulumi.Output<string>;

  constructor(name: string, args: ServiceIamBindingArgs, opts?: pulumi.CustomResourceOptions) {
    super(serviceIamBindingProvider, name, gcpResourceProps(args, ["etag"]), opts, "skiff/cloudrunv2", "ServiceIamBinding");
    warnFieldsWithoutLocalEffect("cloudrunv2.ServiceIamBinding", name, args, iamBindingRules, this);
  }
}

/** @internal exported for the serialization test */
export const serviceIamPolicyProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/cloudrunv2-service-iam-policy").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-policy").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-policy").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-policy").provider.create(inputs);
  },
  async update(id, olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-policy").provider.update(id, olds, news);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-policy").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/cloudrunv2-service-iam-policy").provider.delete(id, props);
  },
};

/**
 * Authoritative for the whole policy. Destroying it leaves the policy empty, as pulumi-gcp does on
 * Cloud Run: the service is then private to everyone.
 */
export class ServiceIamPolicy extends SkiffResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly location: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  declare readonly skiffProject: pulumi.Output<string>;
  declare readonly policyData: pulumi.Output<string>;
  declare readonly etag: pulumi.Output<string>;

  constructor(name: string, args: ServiceIamPolicyArgs, opts?: pulumi.CustomResourceOptions) {
    super(serviceIamPolicyProvider, name, gcpResourceProps(args, ["etag"]), opts, "skiff/cloudrunv2", "ServiceIamPolicy");
    warnFieldsWithoutLocalEffect("cloudrunv2.ServiceIamPolicy", name, args, iamPolicyRules, this);
  }
}
