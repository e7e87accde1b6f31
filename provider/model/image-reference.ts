/**
 * Docker image references, checked before they reach the engine: a reference ends up in Docker API
 * paths (`/images/<ref>/json`), so anything outside Docker's own grammar is refused up front.
 *
 * The grammar is Docker's (distribution/reference):
 *
 *   reference      := name [ ":" tag ] [ "@" digest ]
 *   name           := [ domain "/" ] path-component [ "/" path-component ]*
 *   domain         := host [ ":" port ]          host: DNS-ish name, localhost, or [IPv6]
 *   path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag            := [\w][\w.-]{0,127}
 *   digest         := algorithm ":" hex
 *
 * plus a bare image id `sha256:<64 hex>`, which the engine pins revisions to.
 */

const ALPHANUMERIC = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|[-]+)";
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const DOMAIN_NAME_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_NAME = `${DOMAIN_NAME_COMPONENT}(?:\\.${DOMAIN_NAME_COMPONENT})*`;
const IPV6_ADDRESS = "\\[(?:[a-fA-F0-9:]+)\\]";
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const NAME = `(?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME}`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

/** Groups: 1 name, 2 tag, 3 digest. */
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const PATH_COMPONENT_ONLY = new RegExp(`^${PATH_COMPONENT}$`);
const DOMAIN_ONLY = new RegExp(`^${DOMAIN_AND_PORT}$`);
const TAG_ONLY = new RegExp(`^${TAG}$`);
const IMAGE_ID = /^sha256:[a-f0-9]{64}$/;
const BARE_HEX_ID = /^[a-f0-9]{64}$/;

const MAX_NAME_LENGTH = 255;
const MAX_TAG_LENGTH = 128;
/** Hex length per digest algorithm Docker can verify; digests are lowercase hex. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
/** The longest string that can be valid: name, ":" tag, "@sha512:" digest. Longer input is refused unscanned. */
const MAX_REFERENCE_LENGTH = MAX_NAME_LENGTH + 1 + MAX_TAG_LENGTH + "@sha512:".length + DIGEST_HEX_LENGTH.sha512;

const EXPECTED = 'must be a container image reference such as "nginx", "nginx:1.27" or "registry.example.com:5000/team/app@sha256:…"';
/** How much of a refused reference is echoed back: enough to recognise it, never a flood. */
const ECHO_LENGTH = 80;

/** undefined when `ref` is a Docker image reference (or a `sha256:` image id); otherwise why not, for the user. */
export function imageReferenceProblem(ref: unknown): string | undefined {
  if (typeof ref !== "string") return `${EXPECTED}; got ${ref === null ? "null" : typeof ref} instead of a string`;
  const flaw = referenceFlaw(ref);
  return flaw === undefined ? undefined : `${EXPECTED}; ${echo(ref)} is not one: ${flaw}`;
}

function referenceFlaw(ref: string): string | undefined {
  if (IMAGE_ID.test(ref)) return undefined;
  const surface = surfaceFlaw(ref);
  if (surface) return surface;
  if (BARE_HEX_ID.test(ref)) return 'write an image id with its algorithm, as "sha256:<64 hex digits>"';
  const match = REFERENCE.exec(ref);
  if (!match) return grammarFlaw(ref);
  const [, name, , digest] = match;
  if (name.length > MAX_NAME_LENGTH) return `the name is ${name.length} characters long; at most ${MAX_NAME_LENGTH} are allowed`;
  return digest === undefined ? undefined : digestFlaw(digest);
}

/** Problems visible without parsing; checked first so hostile input never reaches the grammar. */
function surfaceFlaw(ref: string): string | undefined {
  if (ref === "") return "it is empty";
  if (/\s/.test(ref)) return "it contains whitespace";
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
  if (/[\x00-\x1f\x7f]/.test(ref)) return "it contains control characters";
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(ref)) return 'it is a URL; leave out the scheme, e.g. "registry.example.com/team/app"';
  const stray = /[^A-Za-z0-9._\-/:@[\]]/.exec(ref);
  if (stray) return `it contains ${echo(stray[0])}; references use only letters, digits and . _ - / : @`;
  if (ref.length > MAX_REFERENCE_LENGTH) {
    return `it is ${ref.length} characters long; a name is at most ${MAX_NAME_LENGTH} characters and a tag at most ${MAX_TAG_LENGTH}`;
  }
  return undefined;
}

/** Explains why a string made of allowed characters still does not parse; the first problem found wins. */
function grammarFlaw(ref: string): string {
  const parts = splitReference(ref);
  if (parts.domain === undefined && ref.startsWith("[")) return 'a registry address in [brackets] is followed by "/" and a repository path';
  if (/[A-Z]/.test(parts.path)) return "repository names are lowercase";
  const pathFlaw = pathComponentsFlaw(parts.path, parts.domain !== undefined);
  if (pathFlaw) return pathFlaw;
  if (parts.domain !== undefined && !DOMAIN_ONLY.test(parts.domain)) {
    return `the registry ${echo(parts.domain)} is not a host name or [IPv6 address] with an optional numeric port`;
  }
  if (parts.tag !== undefined) {
    if (parts.tag === "") return 'the tag after ":" is empty';
    if (parts.tag.includes(":")) return 'a tag follows a single ":"';
    if (parts.tag.length > MAX_TAG_LENGTH) return `the tag is ${parts.tag.length} characters long; at most ${MAX_TAG_LENGTH} are allowed`;
    if (!TAG_ONLY.test(parts.tag)) {
      return "a tag starts with a letter, digit or _ and continues with letters, digits, _ . or -";
    }
  }
  if (parts.digest !== undefined) return digestFlaw(parts.digest) ?? 'a digest follows "@" as <algorithm>:<hex>';
  return "it does not follow the form [registry[:port]/]path[:tag][@digest]";
}

function pathComponentsFlaw(path: string, afterDomain: boolean): string | undefined {
  if (path === "") return afterDomain ? "the repository path after the registry is empty" : "the repository name is empty";
  const components = path.split("/");
  if (components[0] === "" && !afterDomain) return 'it starts with "/"';
  if (components[components.length - 1] === "") return 'it ends with "/"';
  for (const component of components) {
    if (component === "") return 'it has an empty path component ("//")';
    if (component === "." || component === "..") return '"." and ".." are not path components';
    if (!PATH_COMPONENT_ONLY.test(component)) {
      return `the path component ${echo(component)} must be lowercase letters and digits joined by ".", "_", "__" or dashes`;
    }
  }
  return undefined;
}

function digestFlaw(digest: string): string | undefined {
  if (digest.includes("@")) return 'it has more than one "@"';
  const colon = digest.indexOf(":");
  if (colon < 0) return 'a digest follows "@" as <algorithm>:<hex>, e.g. "@sha256:<64 hex digits>"';
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) return `the digest algorithm ${echo(algorithm)} is not one Docker verifies (sha256, sha384, sha512)`;
  if (hex.length !== length || !/^[a-f0-9]*$/.test(hex)) return `a ${algorithm} digest is ${length} lowercase hex digits`;
  return undefined;
}

interface ReferenceParts {
  domain?: string;
  path: string;
  tag?: string;
  digest?: string;
}

/**
 * Splits like Docker does when naming the parts of a reference: the digest after the first "@", the tag
 * after the first ":" of the last path component, and a first component that looks like a host (has "."
 * or ":", is localhost, or has uppercase letters, which paths never do) is the registry.
 */
function splitReference(ref: string): ReferenceParts {
  const at = ref.indexOf("@");
  const beforeDigest = at < 0 ? ref : ref.slice(0, at);
  const digest = at < 0 ? undefined : ref.slice(at + 1);
  const lastSlash = beforeDigest.lastIndexOf("/");
  const colon = beforeDigest.indexOf(":", lastSlash + 1);
  const name = colon < 0 ? beforeDigest : beforeDigest.slice(0, colon);
  const tag = colon < 0 ? undefined : beforeDigest.slice(colon + 1);
  const firstSlash = name.indexOf("/");
  if (firstSlash > 0) {
    const first = name.slice(0, firstSlash);
    if (/[.:[]/.test(first) || first === "localhost" || first !== first.toLowerCase()) {
      return { domain: first, path: name.slice(firstSlash + 1), tag, digest };
    }
  }
  return { path: name, tag, digest };
}

/** Quotes user input for a message: short, ASCII only, control characters escaped, so it cannot forge output. */
function echo(text: string): string {
  const quoted = JSON.stringify(text.slice(0, ECHO_LENGTH));
  const ascii = quoted.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return text.length > ECHO_LENGTH ? `${ascii}…` : ascii;
}
