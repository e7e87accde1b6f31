import { Command, CommanderError } from "commander";
import type { SidecarInput, ServiceTemplateInput } from "../model/template";
import { applyEnvFlags, envFlagsProblem, envVarsFlag, type EnvFlags } from "./env-flags";
import { collect, intFlag, listFlag, parseProbe } from "./flags";
import { UsageError } from "./output";
import { applySecretFlags, secretFlagsProblem, secretListFlag, type SecretFlags } from "./secret-flags";
import { applyVolumeFlags } from "./volume-flags";

/**
 * gcloud's `--container NAME` groups: the container flags after `--container NAME` (up to the next
 * one) apply to that container, those before the first to the ingress container, as without
 * groups. `skiff deploy S --container app --image A --port 8080 --container proxy --image B
 * --depends-on app`. The container with `--port` is the ingress container (for a new service
 * without one: the first named); the others are sidecars, made when first named. Each container has
 * its own env and secrets: a group's `--set-secrets ENV=s:1` is that container's variable, and its
 * `--set-secrets /path/file=s:1` a secret volume of the template mounted in that container.
 */

/** What one container's flags say. */
export interface ContainerFlags extends EnvFlags, SecretFlags {
  image?: string;
  port?: number;
  command?: string[];
  args?: string[];
  memory?: string;
  cpu?: string;
  startupProbe?: string;
  livenessProbe?: string;
  dependsOn?: string[];
  addVolumeMount?: string[];
  removeVolumeMount?: string[];
  clearVolumeMounts?: boolean;
}

/** The flags of one container, as commander names them (`option:<name>` events carry their raw values in order). */
const CONTAINER_OPTIONS: [flags: string, description: string, parse?: (value: string, previous: never) => unknown][] = [
  ["--image <image>", "container image (required for a new service, and for a new container)"],
  [
    "--port <n>",
    'port the container listens on (default 8080, also "default"); the container with a port is the ingress container',
    (value) => (value.trim() === "default" ? 8080 : intFlag("--port")(value)),
  ],
  ["--command <cmd,...>", "entrypoint, comma-separated", listFlag],
  ["--args <a,b,...>", "arguments, comma-separated", listFlag],
  ["--set-env-vars <K=V,...>", "environment variables; replaces the container's set", envVarsFlag("--set-env-vars")],
  ["--update-env-vars <K=V,...>", "environment variables to add or change", envVarsFlag("--update-env-vars")],
  ["--env <K=V,...>", "same as --update-env-vars; may be repeated", envVarsFlag("--env")],
  ["--remove-env-vars <K,...>", "environment variables to remove", listFlag],
  ["--clear-env-vars", "remove every environment variable"],
  ["--env-vars-file <file>", "a YAML file of KEY: VALUE; replaces the container's set"],
  ["--memory <quantity>", "memory limit, e.g. 512Mi or 1Gi"],
  ["--cpu <n>", "CPU limit, e.g. 1 or 500m"],
  [
    "--startup-probe <k=v,...>",
    "startup probe, e.g. periodSeconds=5,failureThreshold=1, or httpGet.path=/healthz,periodSeconds=1 (a sidecar's names tcpSocket.port or httpGet.port)",
  ],
  [
    "--liveness-probe <k=v,...>",
    'liveness probe, e.g. httpGet.path=/healthz,periodSeconds=5,failureThreshold=3 (HTTP only; a sidecar\'s names httpGet.port); "" removes it',
  ],
  ["--depends-on <container,...>", "containers that must pass their startup probes before this one starts", listFlag],
];
/** Container flags too, but a command has them from withMountFlags already (mount-flags.ts says what they do). */
const MOUNT_OPTIONS: typeof CONTAINER_OPTIONS = [
  ["--set-secrets <KEY=SECRET:VERSION,...>", "", secretListFlag("--set-secrets")],
  ["--update-secrets <KEY=SECRET:VERSION,...>", "", secretListFlag("--update-secrets")],
  ["--remove-secrets <KEY,...>", "", listFlag],
  ["--clear-secrets", ""],
  ["--add-volume-mount <volume=N,mount-path=P>", "mount a volume in the container; may be repeated", collect],
  ["--remove-volume-mount <PATH,...>", "mounts to remove, by path", listFlag],
  ["--clear-volume-mounts", "remove every mount"],
];
/** What MountFlags the container groups take over from the command's own: a container's secrets and mounts. */
export const GROUPED_MOUNT_FLAGS = [
  "setSecrets",
  "updateSecrets",
  "removeSecrets",
  "clearSecrets",
  "addVolumeMount",
  "removeVolumeMount",
  "clearVolumeMounts",
] as const;

/**
 * Adds the container flags (but the mount flags, which withMountFlags adds) and
 * `--container`/`--remove-containers` to a command; `omit` names flags the command does not have
 * (gcloud's jobs commands have no --liveness-probe: it is then an unknown option, as there).
 */
export function withContainerFlags(command: Command, omit: readonly string[] = []): Command {
  const options = CONTAINER_OPTIONS.filter(([flags]) => !omit.includes(flags.split(" ")[0]));
  return addOptions(command, options)
    .option("--container <name>", "the container flags after it (up to the next --container) apply to this container")
    .option("--remove-containers <name,...>", "sidecars to remove", listFlag);
}

function addOptions(command: Command, options: typeof CONTAINER_OPTIONS): Command {
  for (const [flags, description, parse] of options) {
    if (parse) command.option(flags, description, parse as (value: string, previous: unknown) => unknown);
    else command.option(flags, description);
  }
  return command;
}

/** One `--container` group: its raw arguments in order (the group before any --container has no name). */
export interface ContainerGroup {
  name?: string;
  argv: string[];
}

/**
 * Records, in order, which container each container flag was given for. Call before parsing;
 * `groups()` after. Commander keeps only the last value of each option; the groups keep all.
 */
export function recordContainerGroups(command: Command): { groups(): ContainerGroup[] } {
  const groups: ContainerGroup[] = [{ argv: [] }];
  recorded.set(command, groups);
  command.on("option:container", (name: string) => groups.push({ name, argv: [] }));
  for (const [flags] of [...CONTAINER_OPTIONS, ...MOUNT_OPTIONS]) {
    const long = flags.split(" ")[0];
    // The command parses each value as it comes: a bad one in a group names its container.
    const option = command.options.find((o) => o.long === long);
    const parse = option?.parseArg;
    if (option && parse) option.parseArg = (value, previous) => inGroup(groups.at(-1)!.name, () => parse(value, previous));
    command.on(`option:${long.slice(2)}`, (value?: string) => groups.at(-1)!.argv.push(...(value === undefined ? [long] : [long, value])));
  }
  return { groups: () => groups };
}

const recorded = new WeakMap<Command, ContainerGroup[]>();

/** The groups recorded for a command (recordContainerGroups), as an action reads them. */
export function containerGroupsOf(command: Command): ContainerGroup[] {
  return recorded.get(command) ?? [{ argv: [] }];
}

/** Parses one group's arguments with the same parsers; an error names the flag and the container. */
export function parseContainerGroup(group: ContainerGroup): ContainerFlags {
  const parser = addOptions(addOptions(new Command(), CONTAINER_OPTIONS), MOUNT_OPTIONS)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  try {
    parser.parse(group.argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) throw new UsageError(`--container ${group.name ?? ""}: ${error.message.replace(/^error: /, "")}`);
    throw error;
  }
  const flags = parser.opts<ContainerFlags>();
  const problem = envFlagsProblem(flags) ?? secretFlagsProblem(flags);
  if (problem) throw new UsageError(group.name ? `--container ${group.name}: ${problem}` : problem);
  return flags;
}

/** Applies one container's flags to the ingress container's fields of the template. */
function applyIngressFlags(t: ServiceTemplateInput, flags: ContainerFlags): ServiceTemplateInput {
  const out = { ...t };
  if (flags.image) out.image = flags.image;
  if (flags.port !== undefined) out.port = flags.port;
  applyCommon(out, flags);
  if (flags.dependsOn !== undefined) out.dependsOn = flags.dependsOn.length ? flags.dependsOn : undefined;
  if (flags.startupProbe !== undefined) out.startupProbe = parseProbe(flags.startupProbe);
  if (flags.livenessProbe !== undefined) out.livenessProbe = livenessOf(flags.livenessProbe);
  const mountedBySidecars = new Set((out.sidecars ?? []).flatMap((s) => (s.volumeMounts ?? []).map((m) => m.name)));
  return applySecretFlags(applyVolumeFlags(out, flags), flags, mountedBySidecars);
}

/** Applies one container's flags to a sidecar of the template (`out.volumes` change with its secret files). */
function applySidecarFlags(out: ServiceTemplateInput, sidecar: SidecarInput, flags: ContainerFlags): void {
  if (flags.image) sidecar.image = flags.image;
  applyCommon(sidecar, flags);
  if (flags.dependsOn !== undefined) sidecar.dependsOn = flags.dependsOn.length ? flags.dependsOn : undefined;
  if (flags.startupProbe !== undefined) sidecar.startupProbe = parseProbe(flags.startupProbe);
  if (flags.livenessProbe !== undefined) sidecar.livenessProbe = livenessOf(flags.livenessProbe);
  const mounted = applyVolumeFlags({ volumes: out.volumes, volumeMounts: sidecar.volumeMounts }, flags);
  const mountedElsewhere = new Set(
    [out, ...(out.sidecars ?? []).filter((s) => s !== sidecar)].flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)),
  );
  const own = applySecretFlags({ ...mounted, env: sidecar.env, secretEnv: sidecar.secretEnv }, flags, mountedElsewhere);
  setOrDelete(out, "volumes", own.volumes);
  setOrDelete(sidecar, "volumeMounts", own.volumeMounts);
  setOrDelete(sidecar, "secretEnv", own.secretEnv);
}

/** `--liveness-probe ""` removes the probe, as gcloud's does. */
function livenessOf(text: string): Record<string, unknown> | undefined {
  return text.trim() === "" ? undefined : parseProbe(text, "--liveness-probe");
}

function setOrDelete<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) delete target[key];
  else target[key] = value;
}

const nonEmpty = <T>(list: T[] | undefined): T[] | undefined => (list?.length ? list : undefined);

/** Runs `apply` for the group of container `name` (none: the flags before any group): its errors name the container. */
function inGroup<T>(name: string | undefined, apply: () => T): T {
  try {
    return apply();
  } catch (error) {
    if (name !== undefined && error instanceof UsageError && !error.message.startsWith("--container "))
      throw new UsageError(`--container ${name}: ${error.message}`);
    throw error;
  }
}

function applyCommon(c: ServiceTemplateInput | SidecarInput, flags: ContainerFlags): void {
  c.env = applyEnvFlags(c.env ?? {}, flags);
  if (flags.command !== undefined) c.command = flags.command;
  if (flags.args !== undefined) c.args = flags.args;
  if (flags.memory !== undefined || flags.cpu !== undefined) {
    c.resources = { ...c.resources };
    if (flags.memory !== undefined) c.resources.memory = flags.memory;
    if (flags.cpu !== undefined) c.resources.cpu = flags.cpu;
  }
}

/**
 * The template after every group: each names the ingress container or a sidecar (made when new,
 * with its --image); then --remove-containers. The ingress container's name comes from its group
 * (see unnamedIngressName for an existing service whose container has none).
 */
export function applyContainerGroups(
  t: ServiceTemplateInput,
  groups: readonly ContainerGroup[],
  removed: readonly string[] | undefined,
  isNew: boolean,
  /**
   * A service's: the name its unnamed container takes when a group without --port adds a sidecar
   * beside it (each container of an instance with sidecars is named). Without it (jobs), the first
   * group names a lone unnamed container.
   */
  unnamedIngressName?: string,
): ServiceTemplateInput {
  let out: ServiceTemplateInput = { ...t, sidecars: t.sidecars?.map((s) => ({ ...s })) };
  // --remove-volume and --clear-volumes (the template's) take the sidecars' mounts of those volumes too.
  const volumeNames = new Set((out.volumes ?? []).map((v) => v.name));
  for (const s of out.sidecars ?? []) setOrDelete(s, "volumeMounts", nonEmpty(s.volumeMounts?.filter((m) => volumeNames.has(m.name))));
  const named = groups.filter((g) => g.name !== undefined).map((g) => ({ name: g.name!, flags: parseContainerGroup(g) }));
  const ungrouped = parseContainerGroup(groups[0] ?? { argv: [] });
  out = applyIngressFlags(out, ungrouped);
  if (named.length > 0 && out.containerName === undefined) {
    // The ingress container gets its name from the group with a port, or (a new service) the first
    // group. An existing service's one container, unnamed, is not taken over by a group without a
    // port: that group adds a sidecar, as gcloud's `services update S --container collector --image C`
    // does on Cloud Run (where every container has a name), and the container is named for it.
    const withPort = named.find((g) => g.flags.port !== undefined);
    if (withPort || isNew) out.containerName = (withPort ?? named[0]).name;
    else if (unnamedIngressName !== undefined) out.containerName = unnamedIngressName;
    else if (!out.sidecars?.length) out.containerName = named[0].name;
  }
  for (const { name, flags } of named) {
    if (name === out.containerName) {
      out = inGroup(name, () => applyIngressFlags(out, flags));
      continue;
    }
    if (flags.port !== undefined)
      throw new UsageError(`--container ${name}: --port: only the ingress container (${out.containerName}) has a port; sidecars have none`);
    out.sidecars ??= [];
    const existing = out.sidecars.find((s) => s.name === name);
    if (!existing && !flags.image) throw new UsageError(`--container ${name}: --image: is required for a new container`);
    const sidecar = existing ?? { name, image: flags.image! };
    if (!existing) out.sidecars.push(sidecar);
    inGroup(name, () => applySidecarFlags(out, sidecar, flags));
  }
  for (const name of removed ?? []) {
    if (name === out.containerName) throw new UsageError(`--remove-containers: "${name}" is the ingress container; it cannot be removed`);
    if (!out.sidecars?.some((s) => s.name === name))
      throw new UsageError(`--remove-containers: "${name}" is not a container of this service`);
    const gone = out.sidecars.find((s) => s.name === name)!;
    out.sidecars = out.sidecars.filter((s) => s !== gone);
    // The secret volumes its --set-secrets made go with it, unless another container mounts them.
    const stillMounted = new Set([out, ...out.sidecars].flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
    const orphan = new Set((gone.volumeMounts ?? []).map((m) => m.name).filter((v) => !stillMounted.has(v)));
    setOrDelete(out, "volumes", nonEmpty(out.volumes?.filter((v) => !(v.secret && orphan.has(v.name)))));
    for (const s of out.sidecars) if (s.dependsOn) s.dependsOn = s.dependsOn.filter((d) => d !== name);
    if (out.dependsOn) out.dependsOn = out.dependsOn.filter((d) => d !== name);
  }
  if (out.sidecars?.length === 0) delete out.sidecars;
  if (out.sidecars === undefined) delete out.sidecars;
  if (out.dependsOn?.length === 0) delete out.dependsOn;
  checkPlainOrSecret(out);
  return out;
}

/**
 * A variable is plain or secret within a container, not both (the same name in two containers is
 * fine: each has its own env). Said here, naming the container, also when an env flag made it so.
 */
function checkPlainOrSecret(t: ServiceTemplateInput): void {
  for (const c of [{ ...t, name: t.containerName }, ...(t.sidecars ?? [])]) {
    const both = Object.keys(c.secretEnv ?? {}).find((name) => c.env !== undefined && name in c.env);
    if (both === undefined) continue;
    const where = c.name === undefined ? "" : `--container ${c.name}: `;
    throw new UsageError(
      `${where}${both} is a plain variable and a secret of this container: a variable is one or the other; remove one with --remove-env-vars ${both} or --remove-secrets ${both}`,
    );
  }
}

/** The flags that give a container's env, and its secrets, as a user may give either. */
const FLAGS_OF_FIELD: Record<string, readonly string[]> = {
  "template.env": ["--set-env-vars", "--update-env-vars", "--env", "--env-vars-file", "--remove-env-vars", "--clear-env-vars"],
  "template.secretEnv": ["--set-secrets", "--update-secrets", "--remove-secrets", "--clear-secrets"],
};

/**
 * Which of those flags each container's values came in (its first, where it has several), keyed by
 * container (undefined: the ingress or main one, named `ingressName` in its group if at all), for
 * errors to name the flag the user gave (output.ts useGivenFlags).
 */
export function givenFlagsByContainer(
  groups: readonly ContainerGroup[],
  ingressName: string | undefined,
  /** The template's own: its volumes came in a Cloud SQL flag rather than --add-volume. */
  volumesFlag?: string,
): Map<string | undefined, Record<string, string>> {
  const out = new Map<string | undefined, Record<string, string>>();
  if (volumesFlag !== undefined) out.set(undefined, { "template.volumes": volumesFlag });
  for (const group of groups) {
    const key = group.name === ingressName ? undefined : group.name;
    const given = out.get(key) ?? {};
    for (const token of group.argv)
      for (const [field, flags] of Object.entries(FLAGS_OF_FIELD)) if (flags.includes(token)) given[field] ??= token;
    out.set(key, given);
  }
  return out;
}
