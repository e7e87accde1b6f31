import * as pulumi from "@pulumi/pulumi";
import { SkiffResource } from "./resource";
import { nameProps } from "../check/kept-name";
import { resolveProject } from "./project";

export interface SecretArgs {
  /** Default: the resource's own name, with no suffix. Letters, digits, - and _. */
  name?: pulumi.Input<string>;
  /** Default: stack config `skiff:project`, else the stack name. */
  project?: pulumi.Input<string>;
  labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface SecretVersionArgs {
  /** The secret's name (or its id, `projects/P/secrets/NAME`). */
  secret: pulumi.Input<string>;
  /** The version's value. Kept a Pulumi secret whatever is passed: it is encrypted in the state. */
  secretData: pulumi.Input<string>;
  /** Default true; a disabled version cannot be read (a `latest` that names it fails). */
  enabled?: pulumi.Input<boolean>;
  /** Default: stack config `skiff:project`, else the stack name. */
  project?: pulumi.Input<string>;
}

/** See service.ts: the serialized provider loads its implementation by package name. */
/** @internal exported for the serialization test */
export const secretProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/secret").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/secret").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/secret").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/secret").provider.create(inputs);
  },
  async update(id, olds, news) {
    return require("skiff-run/sdk/providers/secret").provider.update(id, olds, news);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/secret").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/secret").provider.delete(id, props);
  },
};

/** @internal exported for the serialization test */
export const secretVersionProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/secret-version").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/secret-version").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/secret-version").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/secret-version").provider.create(inputs);
  },
  async update(id, olds, news) {
    return require("skiff-run/sdk/providers/secret-version").provider.update(id, olds, news);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/secret-version").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/secret-version").provider.delete(id, props);
  },
};

/**
 * A secret in the engine's Secret Manager. Services and jobs read it by name: `template.secretEnv`
 * (`{ DB_PASSWORD: { secret: "db-pass", version: "latest" } }`) or a secret volume. Deleting it
 * deletes its versions.
 */
export class Secret extends SkiffResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  declare readonly labels: pulumi.Output<Record<string, string>>;
  declare readonly createTime: pulumi.Output<string>;

  constructor(name: string, args: SecretArgs = {}, opts?: pulumi.CustomResourceOptions) {
    const props = { ...nameProps(args.name, name), project: resolveProject(args.project), labels: args.labels, createTime: undefined };
    super(secretProvider, name, props, opts, "skiff", "Secret");
  }
}

/**
 * One version of a secret: a new value is a new version (the resource is replaced, the old
 * version destroyed after the new one exists), so `latest` moves to it and mounted files that
 * follow `latest` show it within seconds, without a new revision.
 */
export class SecretVersion extends SkiffResource {
  declare readonly secret: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  declare readonly secretData: pulumi.Output<string>;
  declare readonly enabled: pulumi.Output<boolean>;
  /** Its number: 1, 2, ... */
  declare readonly version: pulumi.Output<number>;
  declare readonly state: pulumi.Output<string>;
  declare readonly createTime: pulumi.Output<string>;

  constructor(name: string, args: SecretVersionArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      secret: args.secret,
      project: resolveProject(args.project),
      secretData: pulumi.secret(args.secretData),
      enabled: args.enabled,
      version: undefined,
      state: undefined,
      createTime: undefined,
    };
    const secretOutputs = [...(opts?.additionalSecretOutputs ?? []), "secretData"];
    super(secretVersionProvider, name, props, { ...opts, additionalSecretOutputs: secretOutputs }, "skiff", "SecretVersion");
  }
}
