import * as pulumi from "@pulumi/pulumi";

/**
 * The project a resource lives in: its own `project` argument, else the stack config
 * `skiff:project`, else the stack's name, so two stacks of one program run side by side. It is
 * resolved here, in the program, and kept as an input: the state says which project to delete from.
 */
export function resolveProject(project: pulumi.Input<string> | undefined): pulumi.Input<string> {
  return project ?? new pulumi.Config("skiff").get("project") ?? pulumi.getStack();
}
