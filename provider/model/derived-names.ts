import { sha256Hex } from "../base/sha256";

/**
 * Every name the engine derives from the names users give, built and parsed in one place: map keys,
 * revision and instance names, container names, hosts and URLs. Project, service and tag names are
 * DNS labels without `---` (see names.ts), which is what makes each of these parse back unambiguously.
 */

// ---- keys ----

/** The key of an object named `name` in `project` (a service, a revision, a job), for maps and locks. */
export function scopedKey(project: string, name: string): string {
  return `${project}/${name}`;
}

export function parseScopedKey(key: string): { project: string; name: string } {
  const slash = key.indexOf("/");
  return { project: key.slice(0, slash), name: key.slice(slash + 1) };
}

// ---- revisions, instances, containers ----

const LOWER = "abcdefghijklmnopqrstuvwxyz";

/** node:crypto is loaded when a name is drawn, not with this module: most CLI calls draw none (SPEC §8). */
const randomInt = (n: number): number => process.getBuiltinModule("node:crypto").randomInt(n);

export function randomLetters(count: number, random: (n: number) => number = randomInt): string {
  let out = "";
  for (let i = 0; i < count; i++) out += LOWER[random(LOWER.length)];
  return out;
}

/** `<service>-<00001>-<abc>`, as Cloud Run names revisions. */
export function revisionName(service: string, generation: number, suffix = randomLetters(3)): string {
  return `${service}-${String(generation).padStart(5, "0")}-${suffix}`;
}

export function instanceId(): string {
  return process.getBuiltinModule("node:crypto").randomBytes(4).toString("hex");
}

export function containerName(project: string, revision: string, instance: string): string {
  return `skiff-${project}-${revision}-${instance}`;
}

/**
 * The Docker name of one container of an instance of several: the instance's own name is kept by
 * the ingress container, so it reads as before; each sidecar's adds its container name.
 */
export function memberContainerName(instanceContainer: string, member: string, ingress: boolean): string {
  return ingress ? instanceContainer : `${instanceContainer}-${member}`;
}

/** The Docker volume an instance's containers share for one of its in-memory volumes. */
export function sharedVolumeName(instanceContainer: string, volume: string): string {
  return `${instanceContainer}-${volume}`;
}

/** `<job>-<abcde>`, as Cloud Run names executions. */
export function executionName(job: string, suffix = randomLetters(5)): string {
  return `${job}-${suffix}`;
}

export function taskContainerName(project: string, execution: string, index: number, attempt: number): string {
  return `skiff-${project}-${execution}-task${index}-attempt${attempt}`;
}

/** Where a job's task output is kept, beside the services' logs (a service and a job may share a name). */
export function jobLogName(job: string): string {
  return `jobs/${job}`;
}

// ---- identities ----

/** A project's number, as Google shows one beside its id: 12 digits, the same for the same name. */
export function projectNumber(project: string): string {
  // base/sha256, not node:crypto: `services describe` prints the default account, and loading node:crypto is ~4 ms of a CLI call.
  const digits = BigInt(`0x${sha256Hex(project).slice(0, 15)}`) % 900_000_000_000n;
  return String(100_000_000_000n + digits);
}

/** Who a service or job runs as when it names no one: Cloud Run's default, the project's compute account. */
export function defaultServiceAccount(project: string): string {
  return `${projectNumber(project)}-compute@developer.gserviceaccount.com`;
}

// ---- hosts and URLs ----

const LOCALHOST = ".localhost";
/** Separates a tag from its service in a host: `canary---hello.localhost`. */
const TAG_SEPARATOR = "---";

/** `hello.localhost` in project default, `hello.staging.localhost` elsewhere. */
export function serviceHost(project: string, service: string): string {
  return project === "default" ? `${service}${LOCALHOST}` : `${service}.${project}${LOCALHOST}`;
}

/** `canary---hello.localhost`: Cloud Run's tag URL shape. */
export function tagHost(project: string, service: string, tag: string): string {
  return `${tag}${TAG_SEPARATOR}${serviceHost(project, service)}`;
}

export function serviceUrl(project: string, service: string, ingressPort: number): string {
  return `http://${serviceHost(project, service)}:${ingressPort}`;
}

export function tagUrl(project: string, service: string, tag: string, ingressPort: number): string {
  return `http://${tagHost(project, service, tag)}:${ingressPort}`;
}

export function domainUrl(domain: string, ingressPort: number): string {
  return `http://${domain}:${ingressPort}`;
}

/** What a request's Host names: a service (maybe through a tag) or a domain to look up in the mappings. */
export type HostTarget = { kind: "service"; project: string; service: string; tag?: string } | { kind: "domain"; domain: string };

/** The inverse of serviceHost and tagHost; any other host is a domain to look up. */
export function parseHost(hostHeader: string | undefined): HostTarget | undefined {
  if (!hostHeader) return undefined;
  const host = stripPort(hostHeader.trim().toLowerCase()).replace(/\.$/, "");
  if (!host) return undefined;
  if (!host.endsWith(LOCALHOST)) return { kind: "domain", domain: host };
  const labels = host.slice(0, -LOCALHOST.length).split(".");
  if (labels.length < 1 || labels.length > 2 || labels.some((l) => !l)) return { kind: "domain", domain: host };
  const [first, project = "default"] = labels;
  const separator = first.indexOf(TAG_SEPARATOR);
  if (separator < 0) return { kind: "service", project, service: first };
  return { kind: "service", project, service: first.slice(separator + TAG_SEPARATOR.length), tag: first.slice(0, separator) };
}

export function stripPort(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return colon >= 0 ? host.slice(0, colon) : host;
}

// ---- images built from source ----

/** Images built from a directory: `skiff.local/<project>/<name>:<content hash>`, so unchanged sources name the same image. */
export function sourceImageTag(project: string, name: string, contentHash: string): string {
  return `skiff.local/${project}/${name}:${contentHash}`;
}

/** A task's name in Cloud Run's APIs (v2 and v1): `<execution>-task<index>`. */
export function taskName(execution: string, index: number): string {
  return `${execution}-task${index}`;
}
