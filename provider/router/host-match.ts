/** What a request's Host names: a service (maybe through a tag) or a domain to look up in the mappings. */
export type HostTarget =
  | { kind: "service"; project: string; service: string; tag?: string }
  | { kind: "domain"; domain: string };

const SUFFIX = ".localhost";

export function matchHost(hostHeader: string | undefined): HostTarget | undefined {
  if (!hostHeader) return undefined;
  const host = stripPort(hostHeader.trim().toLowerCase()).replace(/\.$/, "");
  if (!host) return undefined;
  if (!host.endsWith(SUFFIX)) return { kind: "domain", domain: host };
  const labels = host.slice(0, -SUFFIX.length).split(".");
  if (labels.length < 1 || labels.length > 2 || labels.some((l) => !l)) return { kind: "domain", domain: host };
  const [first, project = "default"] = labels;
  const separator = first.indexOf("---");
  if (separator < 0) return { kind: "service", project, service: first };
  return { kind: "service", project, service: first.slice(separator + 3), tag: first.slice(0, separator) };
}

export function stripPort(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return colon >= 0 ? host.slice(0, colon) : host;
}
