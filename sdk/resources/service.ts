import * as pulumi from "@pulumi/pulumi";
import { SkiffResource } from "./resource";
import { nameProps } from "../check/kept-name";
import { resolveProject } from "./project";
import type { ServiceTemplateArgs, ServiceTemplateOutput } from "./template";

export interface ServiceArgs {
  /** Default: the resource's own name, with no suffix (it is part of the URL). */
  name?: pulumi.Input<string>;
  /** Default: stack config `skiff:project`, else the stack name. */
  project?: pulumi.Input<string>;
  template: pulumi.Input<ServiceTemplateArgs>;
  labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** "all" (default); "internal": only the engine's own containers may call it (404 from the host). */
  ingress?: pulumi.Input<"all" | "internal" | "internal-and-cloud-load-balancing">;
  /**
   * Who may call it: exactly these members get roles/run.invoker (`["allUsers"]`: public;
   * `["serviceAccount:web@my-project.iam.gserviceaccount.com"]`: that account's identity tokens
   * only). Left out, the Service never touches its IAM policy, so `cloudrunv2.ServiceIam*`
   * resources can manage it; a new service is then public.
   */
  invokers?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Token audiences a private service takes besides its URL (Cloud Run's customAudiences): an
   * identity token whose `aud` is exactly one of these passes. No new revision. Left out, the
   * Service leaves them as they are (none for a new service).
   */
  customAudiences?: pulumi.Input<pulumi.Input<string>[]>;
  /** Cloud Run's description (at most 512 characters): metadata only, no new revision. Left out, it stays as it is. */
  description?: pulumi.Input<string>;
  /**
   * true turns off the service's own URLs (`<name>.localhost`, its tag URLs), as Cloud Run's
   * defaultUriDisabled turns off its run.app URLs: only domain mappings reach it then. No new
   * revision. Left out, it stays as it is (a new service: on).
   */
  defaultUriDisabled?: pulumi.Input<boolean>;
  /**
   * The service's own scaling, across its revisions (Cloud Run's service-level scaling): a minimum
   * and maximum for the whole service, divided among the revisions with traffic by their share, or
   * `scalingMode: "MANUAL"` with `manualInstanceCount` instances, never scaled on load. No new
   * revision. Left out, it stays as it is (a new service: none, each revision scales on its own).
   */
  scaling?: pulumi.Input<ServiceScalingArgs>;
}

export interface ServiceScalingArgs {
  minInstanceCount?: pulumi.Input<number>;
  maxInstanceCount?: pulumi.Input<number>;
  /** "AUTOMATIC" (default) or "MANUAL". */
  scalingMode?: pulumi.Input<"AUTOMATIC" | "MANUAL">;
  /** With scalingMode "MANUAL": exactly this many instances. */
  manualInstanceCount?: pulumi.Input<number>;
}

export interface TrafficStatusOutput {
  type: "LATEST" | "REVISION";
  revision: string;
  percent: number;
  tag?: string;
  url?: string;
}

/**
 * What Pulumi serializes into the state: a tiny object whose methods load skiff's implementation by
 * package name when they are called. It captures nothing, so it never changes between releases and
 * old state still refreshes and deletes with whatever version is installed.
 */
/** @internal exported for the serialization test */
export const serviceProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/service").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/service").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/service").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/service").provider.create(inputs);
  },
  async update(id, olds, news) {
    return require("skiff-run/sdk/providers/service").provider.update(id, olds, news);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/service").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/service").provider.delete(id, props);
  },
};

/**
 * A service: a URL and a template. Each template change makes a new revision; without a
 * TrafficTarget the service sends 100 % to its latest ready revision.
 */
export class Service extends SkiffResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  declare readonly template: pulumi.Output<ServiceTemplateOutput>;
  declare readonly labels: pulumi.Output<Record<string, string>>;
  declare readonly ingress: pulumi.Output<string>;
  /** The invokers as set by this resource (sorted); undefined when it leaves the policy alone. */
  declare readonly invokers: pulumi.Output<string[] | undefined>;
  /** The custom audiences as set by this resource; undefined when it leaves them alone. */
  declare readonly customAudiences: pulumi.Output<string[] | undefined>;
  /** The service-level settings as set by this resource; undefined where it leaves them alone. */
  declare readonly description: pulumi.Output<string | undefined>;
  declare readonly defaultUriDisabled: pulumi.Output<boolean | undefined>;
  declare readonly scaling: pulumi.Output<ServiceScalingArgs | undefined>;
  /** `http://<name>.<project>.localhost:<ingress port>` (no project part for project "default"). */
  declare readonly url: pulumi.Output<string>;
  /** The engine's generation of the service's spec (template, labels, ingress) as of this state. */
  declare readonly generation: pulumi.Output<number>;
  /** The newest revision made from this service's own template (Revision resources do not count). */
  declare readonly latestCreatedRevision: pulumi.Output<string>;
  declare readonly latestReadyRevision: pulumi.Output<string>;
  /** Traffic as resolved when the service was last created, updated or refreshed. */
  declare readonly trafficStatuses: pulumi.Output<TrafficStatusOutput[]>;

  constructor(name: string, args: ServiceArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      ...nameProps(args.name, name),
      project: resolveProject(args.project),
      template: args.template,
      labels: args.labels,
      ingress: args.ingress,
      invokers: args.invokers,
      customAudiences: args.customAudiences,
      description: args.description,
      defaultUriDisabled: args.defaultUriDisabled,
      scaling: args.scaling,
      url: undefined,
      generation: undefined,
      latestCreatedRevision: undefined,
      latestReadyRevision: undefined,
      trafficStatuses: undefined,
    };
    super(serviceProvider, name, props, opts, "skiff", "Service");
  }
}
