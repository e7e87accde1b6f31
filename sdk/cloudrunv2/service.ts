import * as pulumi from "@pulumi/pulumi";
import { serviceRules } from "../gcp/field-rules";
import { warnAboutOldSecretsConfig, warnFieldsWithoutLocalEffect } from "../gcp/program";
import { nameProps } from "../check/kept-name";
import { gcpResourceProps } from "../resources/project";
import { CloudRunV2Resource, STATUS_OUTPUTS } from "./resource";
import type {
  BinaryAuthorization,
  List,
  Opt,
  ServiceBuildConfig,
  ServiceScaling,
  ServiceTemplate,
  ServiceTraffic,
  StringMap,
} from "./types";

/** pulumi-gcp's `gcp.cloudrunv2.ServiceArgs`, field for field. */
export interface ServiceArgs {
  annotations?: StringMap;
  binaryAuthorization?: Opt<BinaryAuthorization>;
  buildConfig?: Opt<ServiceBuildConfig>;
  client?: Opt<string>;
  clientVersion?: Opt<string>;
  customAudiences?: List<string>;
  defaultUriDisabled?: Opt<boolean>;
  deletionPolicy?: Opt<string>;
  deletionProtection?: Opt<boolean>;
  description?: Opt<string>;
  iapEnabled?: Opt<boolean>;
  /** INGRESS_TRAFFIC_ALL (default), INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER. */
  ingress?: Opt<string>;
  invokerIamDisabled?: Opt<boolean>;
  labels?: StringMap;
  launchStage?: Opt<string>;
  /** A GCP region: no local effect. */
  location: pulumi.Input<string>;
  multiRegionSettings?: Opt<{ multiRegionId?: Opt<string>; regions?: List<string> }>;
  /** Default: the resource's own name, with no suffix (it is part of the URL). */
  name?: Opt<string>;
  /** The GCP project: no local effect. skiff's project is stack config `skiff:project`, else the stack name. */
  project?: Opt<string>;
  scaling?: Opt<ServiceScaling>;
  tags?: StringMap;
  template: pulumi.Input<ServiceTemplate>;
  traffics?: List<ServiceTraffic>;
}

export interface ServiceTrafficStatus {
  type: string;
  revision: string;
  percent: number;
  tag?: string;
  uri?: string;
}

export type { Condition } from "./resource";

/** See sdk/resources/service.ts: the serialized provider loads its implementation by package name. */
/** @internal exported for the serialization test */
export const gcpServiceProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/cloudrunv2-service").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-service").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-service").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/cloudrunv2-service").provider.create(inputs);
  },
  async update(id, olds, news) {
    return require("skiff-run/sdk/providers/cloudrunv2-service").provider.update(id, olds, news);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/cloudrunv2-service").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/cloudrunv2-service").provider.delete(id, props);
  },
};

/**
 * pulumi-gcp's `gcp.cloudrunv2.Service`, run by skiff: the same arguments and outputs, so a
 * program ports by changing its import. Each template change makes a new revision; `traffics`
 * sets the split (default: 100 % to the latest ready revision).
 */
export class Service extends CloudRunV2Resource {
  declare readonly template: pulumi.Output<pulumi.Unwrap<ServiceTemplate>>;
  declare readonly traffics: pulumi.Output<pulumi.Unwrap<ServiceTraffic>[] | undefined>;
  declare readonly ingress: pulumi.Output<string | undefined>;
  /** `http://<name>.<project>.localhost:<ingress port>` (no project part for project "default"). */
  declare readonly uri: pulumi.Output<string>;
  declare readonly urls: pulumi.Output<string[]>;
  declare readonly latestCreatedRevision: pulumi.Output<string>;
  declare readonly latestReadyRevision: pulumi.Output<string>;
  /** Which revision gets what; tagged entries carry their tag URL in `uri`. */
  declare readonly trafficStatuses: pulumi.Output<ServiceTrafficStatus[]>;

  constructor(name: string, args: ServiceArgs, opts?: pulumi.CustomResourceOptions) {
    const props = gcpResourceProps({ ...args, ...nameProps(args.name, name) }, [
      "uri",
      "urls",
      "latestCreatedRevision",
      "latestReadyRevision",
      "trafficStatuses",
      ...STATUS_OUTPUTS,
    ]);
    super(gcpServiceProvider, name, props, opts, "skiff/cloudrunv2", "Service");
    warnFieldsWithoutLocalEffect("cloudrunv2.Service", name, args, serviceRules, this);
    warnAboutOldSecretsConfig(this);
  }
}
