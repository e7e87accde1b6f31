import { randomBytes, randomInt } from "node:crypto";

/** Every name the engine derives, in one place. */

const LOWER = "abcdefghijklmnopqrstuvwxyz";

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
  return randomBytes(4).toString("hex");
}

export function containerName(project: string, revision: string, instance: string): string {
  return `skiff-${project}-${revision}-${instance}`;
}

/** `hello.localhost` in project default, `hello.staging.localhost` elsewhere. */
export function serviceHost(project: string, service: string): string {
  return project === "default" ? `${service}.localhost` : `${service}.${project}.localhost`;
}

export function serviceUrl(project: string, service: string, ingressPort: number): string {
  return `http://${serviceHost(project, service)}:${ingressPort}`;
}

/** `http://canary---hello.localhost:8080`: Cloud Run's tag URL shape. */
export function tagUrl(project: string, service: string, tag: string, ingressPort: number): string {
  return `http://${tag}---${serviceHost(project, service)}:${ingressPort}`;
}

export function domainUrl(domain: string, ingressPort: number): string {
  return `http://${domain}:${ingressPort}`;
}
