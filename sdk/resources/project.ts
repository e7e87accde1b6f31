import * as pulumi from "@pulumi/pulumi";

/**
 * The project a resource lives in: its own `project` argument, else the stack config
 * `skiff:project`, else the stack's name, so two stacks of one program run side by side. It is
 * resolved here, in the program, and kept as an input: the state says which project to delete from.
 */
export function resolveProject(project: pulumi.Input<string> | undefined): pulumi.Input<string> {
  return project ?? new pulumi.Config("skiff").get("project") ?? pulumi.getStack();
}

/**
 * The props of a pulumi-gcp-shaped resource (cloudrunv2, cloudrun, secretmanager): the arguments as
 * given, pulumi-gcp's `project` defaulting to skiff's project, skiff's project beside it as
 * `skiffProject`, and each output the engine fills in (a prop's key makes it an output).
 */
export function gcpResourceProps<Args extends { project?: pulumi.Input<string | undefined> }>(
  args: Args,
  outputs: readonly string[],
): Args & { project: pulumi.Input<string | undefined>; skiffProject: pulumi.Input<string> } {
  const skiffProject = resolveProject(undefined);
  return { ...args, project: args.project ?? skiffProject, skiffProject, ...Object.fromEntries(outputs.map((key) => [key, undefined])) };
}
