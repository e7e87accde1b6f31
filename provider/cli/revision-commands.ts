import { Command } from "commander";
import { commonOptions, connect, withAsyncAccepted, withCommon } from "./common";
import { confirmOrAbort } from "./confirm";
import { nameArg } from "./flags";
import { render, withCommandDefaults } from "./formats";
import { revisionToKnative } from "../knative/objects";
import { printTable } from "./output";
import { REVISION_COLUMNS, revisionRows } from "./revision-table";
import { listed, printedUris, URI_HELP, withListFlags } from "./list-flags";
import { REVISIONS_LIST_FORMAT, withGcloudAttributes } from "./gcloud-attributes";

export function revisionCommands(): Command {
  const revisions = new Command("revisions").description("list, describe and delete revisions");

  withListFlags(withCommon(revisions.command("list")))
    .option("--service <service>", "only this service's revisions", nameArg("service", "--service"))
    .description("list revisions, newest first")
    .option("--uri", URI_HELP)
    .action(async (options) => {
      const { project } = commonOptions(options);
      const format = withCommandDefaults(commonOptions(options).format, REVISIONS_LIST_FORMAT);
      // gcloud's --service is a label selector (serving.knative.dev/service=S, surface/run/revisions/
      // list.py): a service with no revisions, or none at all, lists nothing and is no error.
      const client = await connect();
      const all = await client.listRevisions(project);
      const { items: list, objects } = listed(
        options.service === undefined ? all : all.filter((r) => r.service === options.service),
        (r) => withGcloudAttributes(revisionToKnative(r)),
        options,
      );
      if (printedUris(objects, options, client.apiPort)) return;
      render(format, objects, () => printTable([REVISION_COLUMNS, ...revisionRows(list)]));
    });

  withCommon(revisions.command("describe"))
    .argument("<revision>", "revision name", nameArg("revision"))
    .action(async (name: string, options) => {
      const { project, format } = commonOptions(options);
      const r = await (await connect()).getRevision(project, name);
      render(format, withGcloudAttributes(revisionToKnative(r)), () => {
        process.stdout.write(
          [
            `Revision ${r.name} of service ${r.service}`,
            `  Status:  ${r.status}`,
            `  Image:   ${r.image} (${r.imageDigest})`,
            `  Origin:  ${r.origin}`,
            ...(r.urls.length ? [`  URLs:    ${r.urls.join(" ")}`] : []),
            ...(r.error ? [`  Error:   ${r.error}`] : []),
            ...(r.instanceError ? [`  Last instance failure: ${r.instanceError}`] : []),
            ...(r.scaling
              ? [
                  `  Instances: ${r.scaling.readyInstances} ready, ${r.scaling.startingInstances} starting, ${r.scaling.inFlight} in flight, ${r.scaling.queued} queued; desired ${r.scaling.desired}${r.scaling.reason ? ` (${r.scaling.reason})` : ""}`,
                ]
              : []),
            "",
          ].join("\n"),
        );
      });
    });

  withAsyncAccepted(withCommon(revisions.command("delete")))
    .argument("<revision>", "revision name", nameArg("revision"))
    .option("-q, --quiet", "do not ask to confirm")
    .action(async (name: string, options) => {
      const { project } = commonOptions(options);
      await confirmOrAbort(`Revision [${name}] in project [${project}]`, options.quiet);
      await (await connect()).deleteRevision(project, name);
      process.stdout.write(`deleted revision ${name}\n`);
    });
  return revisions;
}
