/**
 * The metadata server's paths as a tree, and how Compute Engine's metadata server answers a path
 * of it ("View and query VM metadata"): a directory's path ends in `/` and answers its listing
 * (one name a line, a directory's with its `/`); the same path without the `/` is redirected to
 * it (301); `?recursive=true` answers the directory's whole tree as JSON (keys in camelCase,
 * numbers as numbers), or with `alt=text` one `path value` line per leaf; `alt=json` answers a
 * single value as JSON and `alt=text` as text. Pure: the server builds the tree per caller.
 */

/** A value computed on request (a token): listed in its directory, left out of recursive answers. */
export const ON_REQUEST = Symbol("on request");

export type MetadataNode = string | number | readonly string[] | typeof ON_REQUEST | MetadataDirectory;
export interface MetadataDirectory {
  readonly [name: string]: MetadataNode;
}

export type TreeAnswer =
  | { kind: "text"; body: string }
  | { kind: "json"; body: string }
  | { kind: "redirect"; location: string }
  | { kind: "on-request"; name: string }
  | { kind: "not-found" };

const isDirectory = (node: MetadataNode): node is MetadataDirectory => typeof node === "object" && node !== null && !Array.isArray(node);

/**
 * `path` below /computeMetadata/v1/ (`""` is the root, `instance/` a directory, `project/project-id`
 * a value); `base` is the URL path the tree is served at, for redirects.
 */
export function lookupMetadata(tree: MetadataDirectory, path: string, query: URLSearchParams, base: string): TreeAnswer {
  const asDirectory = path === "" || path.endsWith("/");
  const names = path.split("/").filter((name) => name !== "");
  let node: MetadataNode = tree;
  for (const name of names) {
    if (!isDirectory(node) || !Object.hasOwn(node, name)) return { kind: "not-found" };
    node = node[name];
  }
  const alt = query.get("alt");
  if (isDirectory(node)) {
    if (!asDirectory) {
      const search = query.toString();
      return { kind: "redirect", location: `${base}${path}/${search ? `?${search}` : ""}` };
    }
    if (query.get("recursive") === "true")
      return alt === "text"
        ? { kind: "text", body: textLines(node, "").join("") }
        : { kind: "json", body: JSON.stringify(recursiveJson(node)) };
    const listing = Object.keys(node)
      .sort()
      .map((name) => (isDirectory(node[name]) ? `${name}/` : name));
    return alt === "json" ? { kind: "json", body: JSON.stringify(listing) } : { kind: "text", body: listing.map((n) => `${n}\n`).join("") };
  }
  if (asDirectory) return { kind: "not-found" };
  if (node === ON_REQUEST) return { kind: "on-request", name: names[names.length - 1] };
  if (alt === "json") return { kind: "json", body: JSON.stringify(node) };
  return { kind: "text", body: Array.isArray(node) ? node.map((v) => `${v}\n`).join("") : String(node) };
}

/** Names in camelCase as Compute Engine's JSON has them (`numeric-project-id` → numericProjectId); an email stays as it is. */
function jsonKey(name: string): string {
  return /^[a-z][a-z0-9-]*$/.test(name) ? name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : name;
}

function recursiveJson(directory: MetadataDirectory): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(directory).sort()) {
    const node = directory[name];
    if (node === ON_REQUEST) continue;
    out[jsonKey(name)] = isDirectory(node) ? recursiveJson(node) : node;
  }
  return out;
}

function textLines(directory: MetadataDirectory, prefix: string): string[] {
  return Object.keys(directory)
    .sort()
    .flatMap((name) => {
      const node = directory[name];
      if (node === ON_REQUEST) return [];
      if (isDirectory(node)) return textLines(node, `${prefix}${name}/`);
      const values = Array.isArray(node) ? node : [node];
      return values.map((value) => `${prefix}${name} ${String(value)}\n`);
    });
}
