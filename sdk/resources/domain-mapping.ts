import * as pulumi from "@pulumi/pulumi";
import { SkiffResource } from "./resource";
import { resolveProject } from "./project";

export interface DomainMappingArgs {
  /** e.g. `api.example.test`; a domain maps to one service at a time. */
  domain: pulumi.Input<string>;
  service: pulumi.Input<string>;
  /** Default: stack config `skiff:project`, else the stack name. */
  project?: pulumi.Input<string>;
}

/** See service.ts: the serialized provider loads its implementation by package name. */
/** @internal exported for the serialization test */
export const domainMappingProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/domain-mapping").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/domain-mapping").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/domain-mapping").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/domain-mapping").provider.create(inputs);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/domain-mapping").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/domain-mapping").provider.delete(id, props);
  },
};

/** Sends requests whose Host is `domain` to the service. Any change replaces it. */
export class DomainMapping extends SkiffResource {
  declare readonly domain: pulumi.Output<string>;
  declare readonly service: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  /** `http://<domain>:<ingress port>` */
  declare readonly url: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;

  constructor(name: string, args: DomainMappingArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      domain: args.domain,
      service: args.service,
      project: resolveProject(args.project),
      url: undefined,
      status: undefined,
    };
    super(domainMappingProvider, name, props, opts, "skiff", "DomainMapping");
  }
}
