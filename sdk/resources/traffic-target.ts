import * as pulumi from "@pulumi/pulumi";
import { SkiffResource } from "./resource";
import { resolveProject } from "./project";
import type { TrafficStatusOutput } from "./service";

/** One entry: a revision (`revision`) or the latest ready one (`latestRevision: true`), a percent, a tag. */
export interface TrafficEntryArgs {
  revision?: pulumi.Input<string>;
  latestRevision?: pulumi.Input<boolean>;
  /** Whole percents; the entries sum to 100. A 0 % entry with a tag only gives a URL. */
  percent?: pulumi.Input<number>;
  /** `http://<tag>---<service>...` reaches this entry's revision. */
  tag?: pulumi.Input<string>;
}

export interface TrafficTargetArgs {
  service: pulumi.Input<string>;
  /** Default: stack config `skiff:project`, else the stack name. */
  project?: pulumi.Input<string>;
  traffic: pulumi.Input<pulumi.Input<TrafficEntryArgs>[]>;
}

/** See service.ts: the serialized provider loads its implementation by package name. */
/** @internal exported for the serialization test */
export const trafficTargetProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/traffic-target").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/traffic-target").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/traffic-target").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/traffic-target").provider.create(inputs);
  },
  async update(id, olds, news) {
    return require("skiff-run/sdk/providers/traffic-target").provider.update(id, olds, news);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/traffic-target").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/traffic-target").provider.delete(id, props);
  },
};

/**
 * The traffic of one service. While it exists the Service resource never rewrites the traffic;
 * deleting it sends the service back to 100 % on its latest ready revision.
 */
export class TrafficTarget extends SkiffResource {
  declare readonly service: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  declare readonly traffic: pulumi.Output<{ type: "LATEST" | "REVISION"; revision?: string; percent: number; tag?: string }[]>;
  /** Which revision gets what, with each tag's URL. */
  declare readonly statuses: pulumi.Output<TrafficStatusOutput[]>;

  constructor(name: string, args: TrafficTargetArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      service: args.service,
      project: resolveProject(args.project),
      traffic: args.traffic,
      statuses: undefined,
    };
    super(trafficTargetProvider, name, props, opts, "skiff", "TrafficTarget");
  }
}
