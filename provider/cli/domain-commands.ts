import { Command } from "commander";
import {
  commonOptions,
  connect,
  DOMAIN_MAPPING_CLOUD_ONLY_FLAGS,
  noteIgnoredFlags,
  withAsyncAccepted,
  withCloudOnlyFlags,
  withCommon,
} from "./common";
import { confirmOrAbort } from "./confirm";
import { nameArg } from "./flags";
import { render, withCommandDefaults } from "./formats";
import { domainMappingToKnative } from "../knative/objects";
import { printTable } from "./output";
import { listed, printedUris, URI_HELP, withListFlags } from "./list-flags";
import { DOMAIN_MAPPINGS_LIST_FORMAT, withGcloudAttributes } from "./gcloud-attributes";

export function domainMappingCommands(): Command {
  const mappings = new Command("domain-mappings").description("route a domain name to a service");

  withCloudOnlyFlags(withCommon(mappings.command("create")), DOMAIN_MAPPING_CLOUD_ONLY_FLAGS)
    .option("--force-override", "map the domain even if another project maps it (that mapping is removed)")
    .requiredOption("--service <service>", "the service to route to", nameArg("service", "--service"))
    .requiredOption("--domain <domain>", "the domain, e.g. api.example.test", nameArg("domain", "--domain"))
    .action(async (options) => {
      const { project, format } = commonOptions(options);
      noteIgnoredFlags(options);
      const m = await (await connect()).createDomainMapping(project, options.domain, options.service, options.forceOverride === true);
      render(format, domainMappingToKnative(m), () => process.stdout.write(`mapped ${m.domain} to service ${m.service}: ${m.url}\n`));
    });

  withListFlags(withCommon(mappings.command("list")))
    .option("--uri", URI_HELP)
    .action(async (options) => {
      const { project } = commonOptions(options);
      const format = withCommandDefaults(commonOptions(options).format, DOMAIN_MAPPINGS_LIST_FORMAT);
      const client = await connect();
      const { items: list, objects } = listed(
        await client.listDomainMappings(project),
        (m) => withGcloudAttributes(domainMappingToKnative(m)),
        options,
      );
      if (printedUris(objects, options, client.apiPort)) return;
      render(format, objects, () => printTable([["DOMAIN", "SERVICE", "URL"], ...list.map((m) => [m.domain, m.service, m.url])]));
    });

  // gcloud prints a domain mapping as YAML unless told otherwise (surface/run/domain_mappings/describe.py).
  withCommon(mappings.command("describe"), "yaml")
    .requiredOption("--domain <domain>", "the domain", nameArg("domain", "--domain"))
    .action(async (options) => {
      const { project, format } = commonOptions(options);
      const m = await (await connect()).getDomainMapping(project, options.domain);
      render(format, withGcloudAttributes(domainMappingToKnative(m)), () =>
        process.stdout.write(`${m.domain} → service ${m.service} (${m.status}) ${m.url}\n`),
      );
    });

  withAsyncAccepted(withCommon(mappings.command("delete")))
    .requiredOption("--domain <domain>", "the domain", nameArg("domain", "--domain"))
    .option("-q, --quiet", "do not ask to confirm")
    .action(async (options) => {
      const { project } = commonOptions(options);
      await confirmOrAbort(`Domain mapping [${options.domain}] in project [${project}]`, options.quiet);
      await (await connect()).deleteDomainMapping(project, options.domain);
      process.stdout.write(`deleted domain mapping ${options.domain}\n`);
    });
  return mappings;
}
