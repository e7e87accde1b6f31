import { Command } from "commander";
import { EngineError } from "../client/api-client";
import type { Service } from "../model/service";
import type { ServiceTemplateInput } from "../model/template";
import { commonOptions, connect, withCommon } from "./common";
import { collect, intFlag, nameArg, parseEnv, parseProbe, parseTimeout, splitList } from "./flags";
import { printJson, UsageError } from "./output";

interface DeployFlags {
  image?: string;
  env?: string[];
  concurrency?: number;
  minInstances?: number;
  maxInstances?: number;
  timeout?: string;
  memory?: string;
  cpu?: string;
  port?: number;
  traffic: boolean;
  tag?: string;
  command?: string;
  args?: string;
  startupProbe?: string;
}

export function deployCommand(): Command {
  return withCommon(new Command("deploy"))
    .description("create a service, or a new revision of it when its template changes")
    .argument("<service>", "service name", nameArg("service"))
    .option("--image <image>", "container image (required for a new service)")
    .option("--env <KEY=VALUE>", "environment variable; repeat for more; replaces the service's set", collect)
    .option("--concurrency <n>", "max concurrent requests per instance (1..1000)", intFlag("--concurrency"))
    .option("--min-instances <n>", "minimum instances", intFlag("--min-instances"))
    .option("--max-instances <n>", "maximum instances", intFlag("--max-instances"))
    .option("--timeout <seconds>", "request timeout, seconds (or a duration such as 5m); max 3600")
    .option("--memory <quantity>", "memory limit, e.g. 512Mi or 1Gi")
    .option("--cpu <n>", "CPU limit, e.g. 1 or 500m")
    .option("--port <n>", "port the container listens on (default 8080)", intFlag("--port"))
    .option("--no-traffic", "keep traffic where it is; the new revision gets none")
    .option("--tag <tag>", "tag the new revision: reachable at http://<tag>---<service>.localhost")
    .option("--command <cmd>", "entrypoint, comma-separated")
    .option("--args <a,b,...>", "arguments, comma-separated")
    .option("--startup-probe <k=v,...>", "startup probe, e.g. periodSeconds=5,failureThreshold=1")
    .action(async (service: string, flags: DeployFlags & Record<string, unknown>) => {
      const { project, format } = commonOptions(flags);
      if (flags.tag !== undefined) nameArg("tag", "--tag")(flags.tag);
      const client = await connect();
      const answer = await readModifyWrite(async () => {
        const existing = await client.getService(project, service).catch((error) => {
          if (error instanceof EngineError && error.status === 404) return undefined;
          throw error;
        });
        if (!existing && !flags.image) throw new UsageError("--image: is required to create a service");
        const template = templateFromFlags(existing, flags);
        return client.putService(
          project,
          service,
          { template, labels: existing?.labels, ingress: existing?.ingress },
          { noTraffic: !flags.traffic, tag: flags.tag, expectedGeneration: existing?.generation ?? 0 },
        );
      }, `service ${service}`);
      if (format === "json") printJson(answer);
      const revision = answer.revision;
      if (revision?.status === "FAILED") {
        process.stderr.write(`skiff: error: ${revision.error}\n`);
        process.stderr.write(`service ${service} keeps serving ${answer.service.latestReadyRevision ?? "nothing (no revision is ready)"}\n`);
        process.exitCode = 1;
        return;
      }
      if (format === "json") return;
      process.stdout.write(summary(answer.service, revision?.name));
    });
}

/** gcloud's rule: flags that are not given keep the service's current values. */
export function templateFromFlags(existing: Service | undefined, flags: DeployFlags): ServiceTemplateInput {
  const t: ServiceTemplateInput = existing ? structuredClone(existing.template) : { image: flags.image! };
  if (flags.image) t.image = flags.image;
  if (flags.env) t.env = parseEnv(flags.env);
  if (flags.concurrency !== undefined) t.maxInstanceRequestConcurrency = flags.concurrency;
  if (flags.minInstances !== undefined || flags.maxInstances !== undefined) {
    t.scaling = { ...t.scaling };
    if (flags.minInstances !== undefined) t.scaling.minInstanceCount = flags.minInstances;
    if (flags.maxInstances !== undefined) t.scaling.maxInstanceCount = flags.maxInstances;
  }
  if (flags.timeout !== undefined) t.timeout = parseTimeout(flags.timeout);
  if (flags.memory !== undefined || flags.cpu !== undefined) {
    t.resources = { ...t.resources };
    if (flags.memory !== undefined) t.resources.memory = flags.memory;
    if (flags.cpu !== undefined) t.resources.cpu = flags.cpu;
  }
  if (flags.port !== undefined) t.port = flags.port;
  if (flags.command !== undefined) t.command = splitList(flags.command).filter(Boolean);
  if (flags.args !== undefined) t.args = splitList(flags.args).filter(Boolean);
  if (flags.startupProbe !== undefined) t.startupProbe = parseProbe(flags.startupProbe);
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
  lines.push(`Service URL: ${service.url}`);
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
