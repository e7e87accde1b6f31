import * as pulumi from "@pulumi/pulumi";
import { SkiffResource } from "../resources/resource";
import { secretRules, secretVersionRules } from "../gcp/field-rules";
import { warnFieldsWithoutLocalEffect } from "../gcp/program";
import { gcpResourceProps, resolveProject } from "../resources/project";
import type { List, Opt, StringMap } from "../cloudrunv2/types";

/** pulumi-gcp's `gcp.secretmanager.SecretArgs` (9.37.0), field for field. */
export interface SecretArgs {
  annotations?: StringMap;
  deletionProtection?: Opt<boolean>;
  expireTime?: Opt<string>;
  labels?: StringMap;
  /** The GCP project: no local effect. skiff's project is stack config `skiff:project`, else the stack name. */
  project?: Opt<string>;
  /** Where Google keeps the copies: no local effect. */
  replication: pulumi.Input<{
    auto?: Opt<{ customerManagedEncryption?: Opt<{ kmsKeyName: pulumi.Input<string> }> }>;
    userManaged?: Opt<{
      replicas: pulumi.Input<
        pulumi.Input<{ location: pulumi.Input<string>; customerManagedEncryption?: Opt<{ kmsKeyName: pulumi.Input<string> }> }>[]
      >;
    }>;
  }>;
  rotation?: Opt<{ nextRotationTime?: Opt<string>; rotationPeriod?: Opt<string> }>;
  /** The secret's name: letters, digits, - and _. */
  secretId: pulumi.Input<string>;
  tags?: StringMap;
  topics?: List<{ name: pulumi.Input<string> }>;
  ttl?: Opt<string>;
  versionAliases?: StringMap;
  versionDestroyTtl?: Opt<string>;
}

/** pulumi-gcp's `gcp.secretmanager.SecretVersionArgs`, field for field. */
export interface SecretVersionArgs {
  /** DELETE (default: the version is destroyed with the resource), DISABLE or ABANDON. */
  deletionPolicy?: Opt<string>;
  enabled?: Opt<boolean>;
  /** `secretData` is base64 of the value (binary values). */
  isSecretDataBase64?: Opt<boolean>;
  /** The secret's id (`projects/P/secrets/NAME`) or name. */
  secret: pulumi.Input<string>;
  /** The value; kept a Pulumi secret whatever is passed. */
  secretData?: Opt<string>;
  secretDataWo?: Opt<string>;
  secretDataWoVersion?: Opt<number>;
}

/** See sdk/resources/service.ts: the serialized provider loads its implementation by package name. */
/** @internal exported for the serialization test */
export const gcpSecretProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/secretmanager-secret").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/secretmanager-secret").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/secretmanager-secret").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/secretmanager-secret").provider.create(inputs);
  },
  async update(id, olds, news) {
    return require("skiff-run/sdk/providers/secretmanager-secret").provider.update(id, olds, news);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/secretmanager-secret").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/secretmanager-secret").provider.delete(id, props);
  },
};

/** @internal exported for the serialization test */
export const gcpSecretVersionProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/secretmanager-secret-version").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/secretmanager-secret-version").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/secretmanager-secret-version").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/secretmanager-secret-version").provider.create(inputs);
  },
  async update(id, olds, news) {
    return require("skiff-run/sdk/providers/secretmanager-secret-version").provider.update(id, olds, news);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/secretmanager-secret-version").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/secretmanager-secret-version").provider.delete(id, props);
  },
};

/**
 * pulumi-gcp's `gcp.secretmanager.Secret`, kept in skiff's own Secret Manager: `id` and `name` are
 * `projects/<project>/secrets/<secretId>`, which a cloudrunv2 env's `secretKeyRef.secret` or a
 * SecretVersion's `secret` may name as well as `secretId`.
 */
export class Secret extends SkiffResource {
  declare readonly secretId: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  declare readonly skiffProject: pulumi.Output<string>;
  declare readonly labels: pulumi.Output<Record<string, string> | undefined>;
  declare readonly effectiveLabels: pulumi.Output<Record<string, string>>;
  declare readonly createTime: pulumi.Output<string>;

  constructor(name: string, args: SecretArgs, opts?: pulumi.CustomResourceOptions) {
    const props = gcpResourceProps(args, ["name", "effectiveLabels", "createTime"]);
    super(gcpSecretProvider, name, props, opts, "skiff/secretmanager", "Secret");
    warnFieldsWithoutLocalEffect("secretmanager.Secret", name, args, secretRules, this);
  }
}

/**
 * pulumi-gcp's `gcp.secretmanager.SecretVersion`: one version of a secret; a new value replaces
 * it (a new version, which `latest` then names). `version` is its number as a string.
 */
export class SecretVersion extends SkiffResource {
  declare readonly secret: pulumi.Output<string>;
  declare readonly secretData: pulumi.Output<string | undefined>;
  declare readonly enabled: pulumi.Output<boolean | undefined>;
  declare readonly name: pulumi.Output<string>;
  declare readonly version: pulumi.Output<string>;
  declare readonly createTime: pulumi.Output<string>;
  declare readonly destroyTime: pulumi.Output<string>;

  constructor(name: string, args: SecretVersionArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      ...args,
      secretData: args.secretData === undefined ? undefined : pulumi.secret(args.secretData),
      skiffProject: resolveProject(undefined),
      name: undefined,
      version: undefined,
      createTime: undefined,
      destroyTime: undefined,
    };
    const secretOutputs = [...(opts?.additionalSecretOutputs ?? []), "secretData"];
    super(
      gcpSecretVersionProvider,
      name,
      props,
      { ...opts, additionalSecretOutputs: secretOutputs },
      "skiff/secretmanager",
      "SecretVersion",
    );
    warnFieldsWithoutLocalEffect("secretmanager.SecretVersion", name, args, secretVersionRules, this);
  }
}
