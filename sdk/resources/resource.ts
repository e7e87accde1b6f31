import * as pulumi from "@pulumi/pulumi";

/**
 * What every skiff resource does in the program, beside being a Pulumi dynamic resource: name the
 * resource options a dynamic provider cannot honour, so they are not silently ignored.
 */
export abstract class SkiffResource extends pulumi.dynamic.Resource {
  constructor(
    provider: pulumi.dynamic.ResourceProvider,
    name: string,
    props: pulumi.Inputs,
    opts: pulumi.CustomResourceOptions | undefined,
    module: string,
    type: string,
  ) {
    super(provider, name, props, opts, module, type);
    warnIgnoredOptions(opts, this);
  }
}

/**
 * `replaceOnChanges` matches the changed properties a provider's diff names; a dynamic provider's
 * diff (Pulumi's Node.js host) can name none, so Pulumi never replaces for it. Said once per resource.
 */
export function ignoredOptionsWarning(opts: pulumi.CustomResourceOptions | undefined): string | undefined {
  const paths = opts?.replaceOnChanges ?? [];
  if (paths.length === 0) return undefined;
  return (
    `replaceOnChanges (${paths.join(", ")}) has no effect on skiff's resources: Pulumi's dynamic providers report no changed ` +
    "properties for it to match, so a change updates in place. To replace the resource, run `pulumi up --replace <urn>` " +
    "(with the `deleteBeforeReplace: true` option for one that keeps its name, such as a service)"
  );
}

function warnIgnoredOptions(opts: pulumi.CustomResourceOptions | undefined, resource: pulumi.Resource): void {
  const warning = ignoredOptionsWarning(opts);
  // A warning is the engine's to show; its delivery is not awaited, as Pulumi's own calls of it are not.
  if (warning !== undefined) void pulumi.log.warn(warning, resource);
}
