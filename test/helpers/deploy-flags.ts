import { Command } from "commander";
import { recordContainerGroups, withContainerFlags, type ContainerGroup } from "../../provider/cli/container-flags";
import { templateFromFlags } from "../../provider/cli/deploy";
import { withMountFlags } from "../../provider/cli/mount-flags";
import type { Service } from "../../provider/model/service";
import { parseServiceTemplate, type ServiceTemplateInput } from "../../provider/model/template";

/** deploy's container and mount flags as commander parses them: the options and the `--container` groups. */
export function parsedDeployFlags(argv: string[]): { flags: never; groups: ContainerGroup[] } {
  const command = withContainerFlags(withMountFlags(new Command())).exitOverride();
  const recorded = recordContainerGroups(command);
  command.parse(argv, { from: "user" });
  return { flags: command.opts() as never, groups: recorded.groups() };
}

/** What `skiff deploy web <argv>` makes of the service's template (existing undefined: a new service). */
export function deployedTemplate(argv: string[], existing?: ServiceTemplateInput): ServiceTemplateInput {
  const { flags, groups } = parsedDeployFlags(argv);
  const service = existing ? ({ name: "web", template: parseServiceTemplate(existing) } as Service) : undefined;
  return templateFromFlags(service, flags, groups);
}

/** The message `fn` throws, or "(no error)". */
export function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return "(no error)";
}
