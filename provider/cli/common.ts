import { Command, Option } from "commander";
import { EngineClient } from "../client/api-client";
import { engineHome } from "../base/home";
import { projectNameSchema } from "../model/names";
import { FORMAT_HELP, parseFormat, type Format } from "./formats";
import { UsageError } from "./output";

export interface CommonOptions {
  project: string;
  format: Format;
}

/**
 * `--project` and `--format` on every command; the format is a table unless the command prints what
 * gcloud prints as YAML (IAM policies). Every command also takes gcloud's `--region` and
 * `--platform` (hidden from help, no local effect): scripts and pasted commands pass them to every
 * `gcloud run` command.
 */
export function withCommon(command: Command, defaultFormat: "table" | "yaml" = "table"): Command {
  command
    .option("--project <project>", "project (namespace) to work in", process.env.SKIFF_PROJECT ?? "default")
    .addOption(
      new Option("--format <format>", `output format: ${FORMAT_HELP}`)
        .argParser(parseFormat)
        .default({ kind: defaultFormat }, defaultFormat),
    );
  return addHidden(command, ["region", "platform"]);
}

/**
 * gcloud flags that mean something only on Google Cloud (where a service runs, its network, its
 * CPU allocation outside requests, startup boost, encryption), by option name
 * (commander's camelCase): each with its flags, a `--no-` one for those gcloud lets be turned off.
 */
const NO_LOCAL_EFFECT = {
  region: ["--region <region>"],
  platform: ["--platform <platform>"],
  executionEnvironment: ["--execution-environment <env>"],
  cpuBoost: ["--cpu-boost", "--no-cpu-boost"],
  cpuThrottling: ["--cpu-throttling", "--no-cpu-throttling"],
  vpcConnector: ["--vpc-connector <connector>"],
  clearVpcConnector: ["--clear-vpc-connector"],
  vpcEgress: ["--vpc-egress <egress>"],
  network: ["--network <network>"],
  subnet: ["--subnet <subnet>"],
  networkTags: ["--network-tags <tags>"],
  clearNetworkTags: ["--clear-network-tags"],
  clearNetwork: ["--clear-network"],
  binaryAuthorization: ["--binary-authorization <policy>"],
  clearBinaryAuthorization: ["--clear-binary-authorization"],
  breakglass: ["--breakglass <justification>"],
  key: ["--key <key>"],
  clearKey: ["--clear-key"],
  // A service's own settings that need Google's platform: GPUs, regions, the deploy-time health
  // check and base-image updates.
  gpu: ["--gpu <n>"],
  gpuType: ["--gpu-type <type>"],
  gpuZonalRedundancy: ["--gpu-zonal-redundancy", "--no-gpu-zonal-redundancy"],
  regions: ["--regions <regions>"],
  deployHealthCheck: ["--deploy-health-check", "--no-deploy-health-check"],
  automaticUpdates: ["--automatic-updates", "--no-automatic-updates"],
  baseImage: ["--base-image <image>"],
  // A domain mapping's: who provides its certificate.
  certificateMode: ["--certificate-mode <mode>"],
} as const;

type CloudOnlyFlag = Exclude<keyof typeof NO_LOCAL_EFFECT, "region" | "platform">;

/** The cloud-only flags of jobs create|update|deploy: a task's network and encryption. */
export const JOB_CLOUD_ONLY_FLAGS: CloudOnlyFlag[] = [
  "vpcConnector",
  "clearVpcConnector",
  "vpcEgress",
  "network",
  "subnet",
  "networkTags",
  "clearNetworkTags",
  "clearNetwork",
  "binaryAuthorization",
  "clearBinaryAuthorization",
  "breakglass",
  "key",
  "clearKey",
];

/** Those of deploy and services update: a job's, an instance's CPU allocation, startup boost and execution environment, and the service's own above. */
export const DEPLOY_CLOUD_ONLY_FLAGS: CloudOnlyFlag[] = [
  "executionEnvironment",
  "cpuBoost",
  "cpuThrottling",
  "gpu",
  "gpuType",
  "gpuZonalRedundancy",
  "regions",
  "deployHealthCheck",
  "automaticUpdates",
  "baseImage",
  ...JOB_CLOUD_ONLY_FLAGS,
];
/** Those of domain-mappings create: no domain is verified or served with a certificate here. */
export const DOMAIN_MAPPING_CLOUD_ONLY_FLAGS: CloudOnlyFlag[] = ["certificateMode"];

/**
 * gcloud's `--async` on a command that changes something and here returns once it is made (deletes
 * drain in the background already): accepted, hidden from help, so a pasted command works.
 */
export function withAsyncAccepted(command: Command): Command {
  return command.addOption(
    new Option("--async", "accepted for gcloud compatibility: this command returns once the change is made").hideHelp(),
  );
}

/** Accepts those of gcloud's cloud-only flags a command takes, hidden from help, so a pasted gcloud command works. */
export function withCloudOnlyFlags(command: Command, names: CloudOnlyFlag[]): Command {
  return addHidden(command, names);
}

function addHidden(command: Command, names: (keyof typeof NO_LOCAL_EFFECT)[]): Command {
  for (const name of names)
    for (const flags of NO_LOCAL_EFFECT[name])
      command.addOption(new Option(flags, "accepted for gcloud compatibility; no local effect").hideHelp());
  return command;
}

/** Names the cloud-only flags given (as given: `--no-cpu-throttling`), once, on stderr. */
export function noteIgnoredFlags(options: Record<string, unknown>): void {
  const note = ignoredFlagsNote(options);
  if (note) process.stderr.write(note);
}

/** The note for the cloud-only flags given, or undefined when none was. */
export function ignoredFlagsNote(options: Record<string, unknown>): string | undefined {
  const given = (Object.keys(NO_LOCAL_EFFECT) as (keyof typeof NO_LOCAL_EFFECT)[])
    .filter((name) => options[name] !== undefined)
    .map((name) => {
      const [on, off] = NO_LOCAL_EFFECT[name] as readonly string[];
      return (options[name] === false && off !== undefined ? off : on).split(" ")[0];
    });
  if (given.length === 0) return undefined;
  const one = given.length === 1;
  return `skiff: note: ${given.join(", ")} ${one ? "has" : "have"} no local effect and ${one ? "is" : "are"} ignored\n`;
}

export function commonOptions(options: Record<string, unknown>): CommonOptions {
  return { project: checkedProject(options), format: options.format as Format };
}

/** `--project`, checked: it becomes an API path segment. */
export function checkedProject(options: Record<string, unknown>): string {
  const project = String(options.project);
  const parsed = projectNameSchema.safeParse(project);
  if (!parsed.success) throw new UsageError(`--project: "${project}" ${parsed.error.issues[0]?.message}`);
  return project;
}

export function connect(): Promise<EngineClient> {
  return EngineClient.connect({ home: engineHome() });
}
