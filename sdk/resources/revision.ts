import * as pulumi from "@pulumi/pulumi";
import { SkiffResource } from "./resource";
import { resolveProject } from "./project";
import type { ServiceTemplateArgs, ServiceTemplateOutput } from "./template";

export interface RevisionArgs {
  /** The service the revision belongs to (e.g. `svc.name`). */
  service: pulumi.Input<string>;
  /** Default: stack config `skiff:project`, else the stack name. */
  project?: pulumi.Input<string>;
  template: pulumi.Input<ServiceTemplateArgs>;
  /**
   * Names the revision `<service>-<suffix>` (gcloud's --revision-suffix), so its name is known at
   * preview; a new template then needs a new suffix. Default: the engine names it `<service>-<00002>-<abc>`,
   * and a preview shows "new revision of <service>".
   */
  revisionSuffix?: pulumi.Input<string>;
}

/** See service.ts: the serialized provider loads its implementation by package name. */
/** @internal exported for the serialization test */
export const revisionProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/revision").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/revision").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/revision").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/revision").provider.create(inputs);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/revision").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/revision").provider.delete(id, props);
  },
};

/**
 * A candidate revision of a service: created with no traffic (only a TrafficTarget routes to it),
 * immutable (any change replaces it: the new one is made before the old one goes), and never the
 * service's latest revision.
 */
export class Revision extends SkiffResource {
  /** The engine's name for it, e.g. `hello-00002-xyz`, or `hello-<revisionSuffix>`. */
  declare readonly name: pulumi.Output<string>;
  declare readonly service: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  declare readonly template: pulumi.Output<ServiceTemplateOutput>;
  declare readonly revisionSuffix: pulumi.Output<string | undefined>;
  /** The image id (sha256:…) pinned when the revision was made. */
  declare readonly imageDigest: pulumi.Output<string>;
  declare readonly ready: pulumi.Output<boolean>;
  /** A tag URL that reaches this revision, once it has a tag (as of create or refresh). */
  declare readonly url: pulumi.Output<string | undefined>;

  constructor(name: string, args: RevisionArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      service: args.service,
      project: resolveProject(args.project),
      template: args.template,
      revisionSuffix: args.revisionSuffix,
      name: undefined,
      imageDigest: undefined,
      ready: undefined,
      url: undefined,
    };
    super(revisionProvider, name, props, opts, "skiff", "Revision");
  }
}
