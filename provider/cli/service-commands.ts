import { Command } from "commander";
import type { Service } from "../model/service";
import type { Revision } from "../model/revision";
import { collect, mergeRepeated, parseAssignments, parseTagAssignments, parseTagList, nameArg } from "./flags";
import { type TrafficUpdate } from "../model/traffic-update";
import { commonOptions, connect, withAsyncAccepted, withCommon } from "./common";
import { confirmOrAbort } from "./confirm";
import { render, withCommandDefaults } from "./formats";
import { serviceToKnative } from "../knative/objects";
import { printTable, UsageError } from "./output";
import { proxyCommand } from "./proxy-command";
import { replaceCommand } from "./replace-command";
import { addIamPolicyCommands } from "./iam-commands";
import { authenticationText } from "./access-flags";
import { defaultServiceAccount } from "../model/derived-names";
import { describeMounts } from "./mount-flags";
import { describeSidecars, livenessText } from "./describe-containers";
import { serviceScalingText } from "./service-scaling-flags";
import { listed, printedUris, URI_HELP, withListFlags } from "./list-flags";
import { SERVICES_LIST_FORMAT, withGcloudAttributes } from "./gcloud-attributes";
import { trafficTargetPairs } from "./traffic-pairs";

export function serviceCommands(): Command {
  const services = new Command("services").description("list, describe, delete services, move their traffic and say who may call them");

  withListFlags(withCommon(services.command("list")))
    .description("list services")
    .option("--uri", URI_HELP)
    .action(async (options) => {
      const { project } = commonOptions(options);
      const format = withCommandDefaults(commonOptions(options).format, SERVICES_LIST_FORMAT);
      const client = await connect();
      const { items: list, objects } = listed(
        await client.listServices(project),
        (s) => withGcloudAttributes(serviceToKnative(s)),
        options,
      );
      if (printedUris(objects, options, client.apiPort)) return;
      render(format, objects, () =>
        printTable([
          ["SERVICE", "URL", "LATEST READY", "TRAFFIC"],
          ...list.map((s) => [s.name, s.url || "-", s.latestReadyRevision ?? "-", trafficSummary(s)]),
        ]),
      );
    });

  withCommon(services.command("describe"))
    .argument("<service>", "service name", nameArg("service"))
    .description("show a service, its template and its traffic")
    .action(async (name: string, options) => {
      const { project, format } = commonOptions(options);
      const client = await connect();
      const s = await client.getService(project, name);
      // Whether the newest revision is still starting or failed shows in the Ready condition.
      const latest =
        s.latestCreatedRevision && s.latestCreatedRevision !== s.latestReadyRevision
          ? await client.getRevision(project, s.latestCreatedRevision)
          : undefined;
      render(format, withGcloudAttributes(serviceToKnative(s, latest)), () => printService(s, latest));
    });

  withAsyncAccepted(withCommon(services.command("delete")))
    .argument("<service>", "service name", nameArg("service"))
    .description("delete a service with its revisions, containers and domain mappings")
    .option("-q, --quiet", "do not ask to confirm")
    .action(async (name: string, options) => {
      const { project } = commonOptions(options);
      await confirmOrAbort(`Service [${name}] in project [${project}]`, options.quiet);
      await (await connect()).deleteService(project, name);
      process.stdout.write(`deleted service ${name}\n`);
    });

  withAsyncAccepted(withCommon(services.command("update-traffic")))
    .argument("<service>", "service name", nameArg("service"))
    .description("move traffic between revisions and tags")
    .option("--to-latest", "send 100% to the latest ready revision")
    .option("--to-revisions <R=P,...>", "percent per revision (LATEST for the latest)", collect)
    .option("--to-tags <T=P,...>", "percent per tag", collect)
    .option("--set-tags <T=R,...>", "the service's tags become these (the others are removed)", collect)
    .option("--update-tags <T=R,...>", "put these tags on revisions (moving a tag that is elsewhere); the others stay", collect)
    .option("--remove-tags <T,...>", "remove tags", collect)
    .option("--clear-tags", "remove every tag")
    .action(async (name: string, options) => {
      const { project, format } = commonOptions(options);
      const update: TrafficUpdate = {};
      if (options.toLatest) update.toLatest = true;
      // Each of these may be repeated; the occurrences add up, as in gcloud.
      if (options.toRevisions) update.toRevisions = mergeRepeated(options.toRevisions, "--to-revisions", parseAssignments);
      if (options.toTags) update.toTags = mergeRepeated(options.toTags, "--to-tags", parseAssignments);
      // gcloud's groups: --clear-tags, or --set-tags, or --update-tags and/or --remove-tags.
      const given = TAG_FLAGS.filter(([key]) => options[key] !== undefined).map(([, flag]) => flag);
      const allowed = given.length <= 1 || (given.length === 2 && given.includes("--update-tags") && given.includes("--remove-tags"));
      if (!allowed)
        throw new UsageError(
          `${given[0]}: cannot be combined with ${given.slice(1).join(", ")}: give --clear-tags, or --set-tags (the tags become those), or --update-tags and/or --remove-tags`,
        );
      if (options.setTags) update.setTags = mergeRepeated(options.setTags, "--set-tags", parseTagAssignments);
      if (options.updateTags) update.setTags = mergeRepeated(options.updateTags, "--update-tags", parseTagAssignments);
      if (options.setTags || options.clearTags) update.clearTags = true;
      if (options.removeTags)
        update.removeTags = [...new Set((options.removeTags as string[]).flatMap((t) => parseTagList(t, "--remove-tags")))];
      const s = await (await connect()).updateTraffic(project, name, update);
      // gcloud returns the traffic, one pair per target, not the service: that is what --format prints.
      render(format, trafficTargetPairs(s), () => printTraffic(s));
    });

  services.addCommand(replaceCommand());
  services.addCommand(proxyCommand());
  addIamPolicyCommands(services, "service");
  return services;
}

/** update-traffic's tag flags, by option name, in gcloud's order. */
const TAG_FLAGS = [
  ["clearTags", "--clear-tags"],
  ["setTags", "--set-tags"],
  ["updateTags", "--update-tags"],
  ["removeTags", "--remove-tags"],
] as const;

function trafficSummary(s: Service): string {
  return (
    s.trafficStatuses
      .filter((t) => t.percent > 0)
      .map((t) => `${t.percent}% ${t.revision}`)
      .join(", ") || "-"
  );
}

function printTraffic(s: Service): void {
  printTable([
    ["TRAFFIC", "REVISION", "TAG", "URL"],
    ...s.trafficStatuses.map((t) => [`${t.percent}%${t.type === "LATEST" ? " (latest)" : ""}`, t.revision, t.tag ?? "", t.url ?? ""]),
  ]);
}

function optionalLine(label: string, text: string | undefined): string[] {
  return text === undefined ? [] : [label + text];
}

function printService(s: Service, latestCreated?: Revision): void {
  const t = s.template;
  // Why the newest revision failed, as gcloud shows the Ready condition's message: its lines under the label.
  const failure =
    latestCreated?.status === "FAILED" && latestCreated.error
      ? [`  Latest failed:     ${latestCreated.error.split("\n").join(`\n${" ".repeat(21)}`)}`]
      : [];
  process.stdout.write(
    [
      `Service ${s.name} in project ${s.project}`,
      `  URL:               ${s.url || "- (default URL disabled)"}`,
      `  Ingress:           ${s.ingress}`,
      `  Authentication:    ${authenticationText(s.invokers)}`,
      ...(s.customAudiences?.length ? [`  Custom audiences:  ${s.customAudiences.join(", ")}`] : []),
      ...(s.description ? [`  Description:       ${s.description}`] : []),
      `  Latest created:    ${s.latestCreatedRevision ?? "-"}`,
      `  Latest ready:      ${s.latestReadyRevision ?? "-"}`,
      ...failure,
      `  Image:             ${t.image}`,
      `  Port:              ${t.port}${t.http2 ? " (h2c: HTTP/2 end to end)" : ""}`,
      ...(t.sessionAffinity ? ["  Session affinity:  on"] : []),
      `  Concurrency:       ${t.maxInstanceRequestConcurrency}`,
      `  Instances:         ${t.scaling.minInstanceCount}..${t.scaling.maxInstanceCount}`,
      ...optionalLine("  Service scaling:   ", serviceScalingText(s.serviceScaling)),
      `  Timeout:           ${t.timeout}s`,
      `  Resources:         cpu ${t.resources.cpu}, memory ${t.resources.memory}`,
      `  Service account:   ${t.serviceAccount ?? `${defaultServiceAccount(s.project)} (default)`}`,
      `  Env:               ${
        Object.entries(t.env)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ") || "-"
      }`,
      ...(t.livenessProbe ? [`  Liveness probe:    ${livenessText(t.livenessProbe, t.port)}`] : []),
      ...describeMounts(t, 19),
      ...describeSidecars(t, 19, "ingress"),
      "",
    ].join("\n"),
  );
  printTraffic(s);
  if (s.scaling.length > 0) {
    process.stdout.write("\n");
    printTable([
      ["REVISION", "READY", "STARTING", "IN FLIGHT", "QUEUED", "DESIRED", "LAST DECISION"],
      ...s.scaling.map((r) => [
        r.revision,
        String(r.readyInstances),
        String(r.startingInstances),
        String(r.inFlight),
        String(r.queued),
        String(r.desired),
        r.reason ? `${r.reason} at ${r.decidedAt}` : "-",
      ]),
    ]);
  }
}
