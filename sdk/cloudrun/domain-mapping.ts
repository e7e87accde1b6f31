import * as pulumi from "@pulumi/pulumi";
import { SkiffResource } from "../resources/resource";
import { domainMappingRules } from "../gcp/field-rules";
import { warnFieldsWithoutLocalEffect } from "../gcp/program";
import { gcpResourceProps } from "../resources/project";

type Opt<T> = pulumi.Input<T | undefined>;
type StringMap = Opt<{ [key: string]: pulumi.Input<string> }>;

/** pulumi-gcp's `gcp.cloudrun.DomainMappingMetadata` (9.37.0); `namespace` is the GCP project. */
export interface DomainMappingMetadata {
  annotations?: StringMap;
  effectiveAnnotations?: StringMap;
  effectiveLabels?: StringMap;
  generation?: Opt<number>;
  labels?: StringMap;
  namespace: pulumi.Input<string>;
  pulumiLabels?: StringMap;
  resourceVersion?: Opt<string>;
  selfLink?: Opt<string>;
  uid?: Opt<string>;
}

export interface DomainMappingSpec {
  certificateMode?: Opt<string>;
  forceOverride?: Opt<boolean>;
  /** The service requests for the domain go to. */
  routeName: pulumi.Input<string>;
}

/** pulumi-gcp's `gcp.cloudrun.DomainMappingArgs`, field for field. */
export interface DomainMappingArgs {
  deletionPolicy?: Opt<string>;
  location: pulumi.Input<string>;
  metadata?: Opt<DomainMappingMetadata>;
  /** The domain, e.g. `api.example.test`. Default: the resource's own name. */
  name?: Opt<string>;
  project?: Opt<string>;
  spec: pulumi.Input<DomainMappingSpec>;
}

export interface DomainMappingStatus {
  conditions: { type: string; status: string; message?: string; reason?: string }[];
  mappedRouteName: string;
  observedGeneration: number;
  resourceRecords: { name?: string; rrdata?: string; type?: string }[];
}

/** See sdk/resources/service.ts: the serialized provider loads its implementation by package name. */
/** @internal exported for the serialization test */
export const gcpDomainMappingProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/cloudrun-domain-mapping").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/cloudrun-domain-mapping").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/cloudrun-domain-mapping").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/cloudrun-domain-mapping").provider.create(inputs);
  },
  async update(id, olds, news) {
    return require("skiff-run/sdk/providers/cloudrun-domain-mapping").provider.update(id, olds, news);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/cloudrun-domain-mapping").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/cloudrun-domain-mapping").provider.delete(id, props);
  },
};

/**
 * pulumi-gcp's `gcp.cloudrun.DomainMapping`, run by skiff: requests whose Host is `name` reach
 * the service `spec.routeName` through skiff's ingress. A changed domain or service replaces it.
 */
export class DomainMapping extends SkiffResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  declare readonly location: pulumi.Output<string>;
  declare readonly skiffProject: pulumi.Output<string>;
  declare readonly metadata: pulumi.Output<pulumi.Unwrap<DomainMappingMetadata> | undefined>;
  declare readonly spec: pulumi.Output<pulumi.Unwrap<DomainMappingSpec>>;
  declare readonly statuses: pulumi.Output<DomainMappingStatus[]>;

  constructor(name: string, args: DomainMappingArgs, opts?: pulumi.CustomResourceOptions) {
    const props = gcpResourceProps({ ...args, name: args.name ?? name }, ["statuses"]);
    super(gcpDomainMappingProvider, name, props, opts, "skiff/cloudrun", "DomainMapping");
    warnFieldsWithoutLocalEffect("cloudrun.DomainMapping", name, args, domainMappingRules, this);
  }
}
