import { Command } from "commander";
import { EngineError, type EngineClient } from "../client/api-client";
import type { Revision } from "../model/revision";
import type { Ingress, Service } from "../model/service";
import type { ServiceTemplateInput } from "../model/template";
import { commonOptions, connect, DEPLOY_CLOUD_ONLY_FLAGS, noteIgnoredFlags, withCloudOnlyFlags, withCommon } from "./common";
import { applyLabelFlags, checkLabelFlags, withLabelFlags, type EnvFlags, type LabelFlags } from "./env-flags";
import { intOrDefaultFlag, nameArg, parseTimeout } from "./flags";
import {
  applyContainerGroups,
  givenFlagsByContainer,
  GROUPED_MOUNT_FLAGS,
  recordContainerGroups,
  withContainerFlags,
  type ContainerGroup,
} from "./container-flags";
import { applyMountFlags, withMountFlags, type MountFlags } from "./mount-flags";
import { ingressFlag, invokersAfterDeploy, serviceAccountFlag } from "./access-flags";
import { customAudiencesAfterDeploy, withAudienceFlags, type AudienceFlags } from "./audience-flags";
import { render } from "./formats";
import { serviceToKnative } from "../knative/objects";
import { cloudSqlFlagGiven } from "./cloudsql-flags";
import { UsageError, useGivenFlags, useSidecarNames } from "./output";
import { Progress } from "./progress";
import { imageFromSource, withSourceFlags, type SourceFlags } from "./source-flags";
import { serviceScalingAfterDeploy, withServiceScalingFlags } from "./service-scaling-flags";
import type { ServiceScalingFlags } from "../model/service-scaling";

interface DeployFlags extends EnvFlags, LabelFlags, MountFlags, SourceFlags, AudienceFlags, ServiceScalingFlags {
  /** A number, or "default" (gcloud's special value): back to the platform's default. */
  concurrency?: number | "default";
  minInstances?: number | "default";
  maxInstances?: number | "default";
  timeout?: string;
  traffic: boolean;
  tag?: string;
  removeContainers?: string[];
  revisionSuffix?: string;
  serviceAccount?: string;
  ingress?: Ingress;
  /** true (--use-http2), false (--no-use-http2) or undefined: neither given. */
  useHttp2?: boolean;
  /** true (--session-affinity), false (--no-session-affinity) or undefined: neither given. */
  sessionAffinity?: boolean;
  /** true, false (--no-allow-unauthenticated) or undefined: neither given. */
  allowUnauthenticated?: boolean;
  /** false with --no-invoker-iam-check (anyone may call it), true with --invoker-iam-check, else undefined. */
  invokerIamCheck?: boolean;
  /** The service's description (gcloud's --description): kept when not given, "" clears it. */
  description?: string;
  /** false with --no-default-url (its own URLs off), true with --default-url, else undefined: kept. */
  defaultUrl?: boolean;
  async?: boolean;
  quiet?: boolean;
}

export function deployCommand(): Command {
  const command = withSourceFlags(withServiceFlags(new Command("deploy")));
  const recorded = recordContainerGroups(command);
  return withTemplateLevelFlags(command)
    .description("create a service, or a new revision of it when its template changes (gcloud run deploy's flags)")
    .argument("<service>", "service name", nameArg("service"))
    .action((service: string, flags: DeployFlags & Record<string, unknown>) => deployService(service, flags, recorded.groups(), "deploy"));
}

/**
 * `skiff services update S`: gcloud run services update. The flags of deploy but --source, for a
 * service that exists (a missing one is an error, never created): flags not given keep its values,
 * and a new revision comes when its template changes.
 */
export function serviceUpdateCommand(): Command {
  const command = withServiceFlags(new Command("update"));
  const recorded = recordContainerGroups(command);
  return withTemplateLevelFlags(command)
    .description("change a service's settings or containers; a new revision when its template changes (gcloud run services update)")
    .argument("<service>", "service name", nameArg("service"))
    .action((service: string, flags: DeployFlags & Record<string, unknown>) => deployService(service, flags, recorded.groups(), "update"));
}

/** The container and mount flags, and those gcloud accepts that mean nothing here. */
function withServiceFlags(command: Command): Command {
  return withContainerFlags(withMountFlags(withCloudOnlyFlags(withCommon(command), DEPLOY_CLOUD_ONLY_FLAGS)));
}

/** The service's and its template's own flags (not a container's). */
function withTemplateLevelFlags(command: Command): Command {
  return withServiceScalingFlags(withAudienceFlags(withLabelFlags(command, "service")))
    .option("--concurrency <n>", 'max concurrent requests per instance (1..1000; "default": 80)', intOrDefaultFlag("--concurrency"))
    .option("--min-instances <n>", 'instances kept running even when idle ("default": 0)', intOrDefaultFlag("--min-instances"))
    .option("--max-instances <n>", 'instances at most ("default": 100)', intOrDefaultFlag("--max-instances"))
    .option("--timeout <duration>", "request timeout: seconds or a duration such as 5m or 1m30s; max 3600 s")
    .option("--revision-suffix <suffix>", "name the new revision <service>-<suffix>")
    .option("--no-traffic", "keep traffic where it is; the new revision gets none")
    .option("--tag <tag>", "tag the new revision: reachable at http://<tag>---<service>.localhost", nameArg("tag", "--tag"))
    .option(
      "--service-account <email>",
      "who the instances run as (their metadata server's tokens are its); a change makes a new revision",
      serviceAccountFlag(),
    )
    .option(
      "--ingress <ingress>",
      "who may reach the service: all, internal (only the engine's containers) or internal-and-cloud-load-balancing (the same here)",
      ingressFlag,
    )
    .option("--use-http2", "HTTP/2 end to end: the router speaks h2c to the instances (gRPC); a change makes a new revision")
    .option("--no-use-http2", "HTTP/1.1 to the instances (the default)")
    .option(
      "--session-affinity",
      "a client's requests go to the instance that answered its first one, while it has room (a cookie); a change makes a new revision",
    )
    .option("--no-session-affinity", "requests go to any instance (the default)")
    .option("--allow-unauthenticated", "make the service public: add allUsers to its invokers")
    .option("--no-allow-unauthenticated", "make the service private: remove allUsers from its invokers (callers need an identity token)")
    .option("--invoker-iam-check", "callers are checked against the invokers (the default; the invokers are left as they are)")
    .option(
      "--no-invoker-iam-check",
      "anyone may call the service without a token (here: allUsers added to its invokers, as the Admin API does)",
    )
    .option("--description <text>", 'the service\'s human-readable description (at most 512 characters; "" clears it); no new revision')
    .option("--default-url", "serve the service at its own URLs, http://<service>.localhost and its tag URLs (the default)")
    .option("--no-default-url", "turn the service's own URLs off (unknown host, 404): only its domain mappings reach it; no new revision")
    .option("--async", "return once the revision is created, without waiting for it to start")
    .option("-q, --quiet", "no prompts");
}

/**
 * Whether the deploy makes the service public (true), private (false) or leaves its invokers (undefined).
 * `--no-invoker-iam-check` is Cloud Run's switch for "no IAM check at all": locally a service with
 * allUsers among its invokers, as the Admin API's invokerIamDisabled is. `--invoker-iam-check`
 * turns the check back on, which leaves the invokers to the IAM commands, as in Cloud Run.
 */
function publicAccessAsked(flags: DeployFlags): boolean | undefined {
  if (flags.invokerIamCheck !== false) return flags.allowUnauthenticated;
  if (flags.allowUnauthenticated === false)
    throw new UsageError("--no-invoker-iam-check: cannot be combined with --no-allow-unauthenticated (the first lets anyone call)");
  return true;
}

/** deploy, or services update (the service must exist): reads the service, applies the flags, writes it back and waits for the new revision. */
async function deployService(
  service: string,
  flags: DeployFlags & Record<string, unknown>,
  groups: ContainerGroup[],
  mode: "deploy" | "update",
): Promise<void> {
  const { project, format } = commonOptions(flags);
  noteIgnoredFlags(flags);
  // The env flags are checked per container (container-flags.ts); here the labels.
  checkLabelFlags(flags);
  const client = await connect();
  const progress = new Progress(format.kind !== "table");
  await imageFromSource(client, project, service, "service", flags, progress, groups);
  progress.step("Creating revision");
  const answer = await readModifyWrite(async () => {
    const existing = await client.getService(project, service).catch((error) => {
      if (error instanceof EngineError && error.status === 404) return undefined;
      throw error;
    });
    if (!existing && mode === "update")
      throw new UsageError(`service "${service}" not found in project "${project}": create it with skiff deploy`);
    const template = templateFromFlags(existing, flags, groups);
    useSidecarNames(template.sidecars?.map((c) => c.name) ?? []);
    useGivenFlags(givenFlagsByContainer(groups, template.containerName, flags.addVolume ? undefined : cloudSqlFlagGiven(flags)));
    const labels = applyLabelFlags(existing?.labels ?? {}, flags);
    // The invokers go in the same change as the template, so a service made private is never
    // briefly public (and the reverse): they are computed from the service this attempt read.
    const invokers = invokersAfterDeploy(existing?.invokers, publicAccessAsked(flags));
    const customAudiences = customAudiencesAfterDeploy(existing?.customAudiences, flags);
    const serviceScaling = serviceScalingAfterDeploy(existing?.serviceScaling, flags);
    return client.putService(
      project,
      service,
      {
        template,
        labels,
        ingress: flags.ingress ?? existing?.ingress,
        invokers,
        customAudiences,
        description: flags.description,
        defaultUriDisabled: flags.defaultUrl === undefined ? undefined : !flags.defaultUrl,
        serviceScaling,
      },
      {
        noTraffic: !flags.traffic,
        tag: flags.tag,
        expectedGeneration: existing?.generation ?? 0,
        revisionSuffix: flags.revisionSuffix,
        async: true,
      },
    );
  }, `service ${service}`);
  let revision = answer.revision;
  if (!revision || flags.async) {
    progress.done(
      revision
        ? `Revision ${revision.name} is being deployed; follow it with: skiff revisions describe ${revision.name}`
        : "No change to the template.",
    );
    if (format.kind !== "table") render(format, serviceToKnative(answer.service, revision), () => undefined);
    else if (!revision) process.stdout.write(summary(answer.service, undefined));
    return;
  }
  progress.step(`Starting instance of ${revision.name}`);
  revision = await waitUntilStarted(client, project, revision, progress);
  if (revision.status === "FAILED") {
    progress.fail();
    const current = await client.getService(project, service);
    if (format.kind !== "table") render(format, serviceToKnative(current, revision), () => undefined);
    process.stderr.write(`skiff: error: ${revision.error}\n`);
    process.stderr.write(`service ${service} keeps serving ${current.latestReadyRevision ?? "nothing (no revision is ready)"}\n`);
    process.exitCode = 1;
    return;
  }
  progress.step("Routing traffic");
  const current = await client.getService(project, service);
  progress.done("Done.");
  render(format, serviceToKnative(current, revision), () => process.stdout.write(summary(current, revision.name)));
}

/** Polls the revision until it is READY or FAILED (each call waits up to 5 minutes on the engine's side). */
async function waitUntilStarted(client: EngineClient, project: string, revision: Revision, progress: Progress): Promise<Revision> {
  let current = revision;
  try {
    while (current.status === "PENDING") current = await client.getRevision(project, current.name, 300);
  } catch (error) {
    if (!(error instanceof EngineError && error.status === 404)) throw error;
    progress.fail();
    const reason = `"${revision.name}" not found in project "${project}": it was deleted while it was starting`;
    throw new EngineError(404, "NOT_FOUND", `revision ${reason}`, [{ field: "revision", reason }]);
  }
  return current;
}

/**
 * gcloud's rule: flags that are not given keep the service's current values. The container flags
 * come in groups (container-flags.ts): those before any `--container` are the ingress container's.
 */
export function templateFromFlags(
  existing: Service | undefined,
  flags: DeployFlags,
  groups: readonly ContainerGroup[] = [{ argv: [] }],
): ServiceTemplateInput {
  let t: ServiceTemplateInput = existing ? structuredClone(existing.template) : { image: "" };
  // "default" leaves the field out, so the template's schema gives it its default.
  if (flags.concurrency === "default") delete t.maxInstanceRequestConcurrency;
  else if (flags.concurrency !== undefined) t.maxInstanceRequestConcurrency = flags.concurrency;
  if (flags.minInstances !== undefined || flags.maxInstances !== undefined) {
    t.scaling = { ...t.scaling };
    if (flags.minInstances === "default") delete t.scaling.minInstanceCount;
    else if (flags.minInstances !== undefined) t.scaling.minInstanceCount = flags.minInstances;
    if (flags.maxInstances === "default") delete t.scaling.maxInstanceCount;
    else if (flags.maxInstances !== undefined) t.scaling.maxInstanceCount = flags.maxInstances;
  }
  if (flags.timeout !== undefined) t.timeout = parseTimeout(flags.timeout);
  if (flags.serviceAccount !== undefined) t.serviceAccount = flags.serviceAccount;
  // HTTP/2 is the ingress container's (its port's name), so the template's: not in a container group.
  if (flags.useHttp2 === true) t.http2 = true;
  else if (flags.useHttp2 === false) delete t.http2;
  if (flags.sessionAffinity === true) t.sessionAffinity = true;
  else if (flags.sessionAffinity === false) delete t.sessionAffinity;
  // Volumes are the template's; each container's secrets and mounts come with its group.
  const serviceLevel: MountFlags = { ...flags };
  for (const key of GROUPED_MOUNT_FLAGS) delete serviceLevel[key];
  // Cloud Run's console names a service's first container <service>-1: so does a sidecar added beside an unnamed one.
  t = applyContainerGroups(applyMountFlags(t, serviceLevel), groups, flags.removeContainers, !existing, existing && `${existing.name}-1`);
  if (!t.image) throw new UsageError("--image: is required to create a service (or --source DIR to build one)");
  return t;
}

function summary(service: Service, newRevision: string | undefined): string {
  const lines: string[] = [];
  if (newRevision) {
    const share = service.trafficStatuses.filter((s) => s.revision === newRevision).reduce((sum, s) => sum + s.percent, 0);
    lines.push(`Revision ${newRevision} is ready and serves ${share}% of traffic.`);
  } else {
    lines.push(`No change to the template: ${service.latestCreatedRevision} stays.`);
  }
  for (const s of service.trafficStatuses.filter((s) => s.url)) lines.push(`Tag URL: ${s.url} (${s.revision})`);
  lines.push(`Service URL: ${service.url || "none (--no-default-url: only its domain mappings reach it)"}`);
  return lines.join("\n") + "\n";
}

/**
 * A deploy reads the service, changes what the flags say and writes it back naming the generation
 * it read. If someone else changed the service in between, the engine refuses (409); the deploy
 * reads again and retries once, then reports the conflict rather than undo the other change.
 */
async function readModifyWrite<T>(attempt: () => Promise<T>, what: string): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const stale = error instanceof EngineError && error.status === 409 && error.violations.some((v) => v.field === "expectedGeneration");
      if (!stale) throw error;
      if (tries >= 2) throw new UsageError(`${what} was changed by someone else while this deploy ran; retry`);
    }
  }
}
