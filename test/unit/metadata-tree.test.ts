import test from "ava";
import { lookupMetadata, ON_REQUEST, type MetadataDirectory } from "../../provider/platform/metadata-tree";

// Compute Engine's metadata server, as "View and query VM metadata" describes it: a directory ends
// in "/" and lists its entries, the path without "/" is redirected to it, ?recursive=true answers
// the tree as JSON (camelCase keys) or, with alt=text, "path value" lines; alt=json/alt=text pick
// a value's format.

const account: MetadataDirectory = {
  aliases: ["default"],
  email: "web@p.iam.gserviceaccount.com",
  identity: ON_REQUEST,
  scopes: ["https://www.googleapis.com/auth/cloud-platform"],
  token: ON_REQUEST,
};
const TREE: MetadataDirectory = {
  project: { "project-id": "dev", "numeric-project-id": 123456789012 },
  instance: {
    id: "abc",
    region: "projects/123456789012/regions/europe-west1",
    zone: "projects/123456789012/zones/europe-west1-1",
    "service-accounts": { default: account, "web@p.iam.gserviceaccount.com": account },
  },
};
const BASE = "/computeMetadata/v1/";
const get = (path: string, query = "") => lookupMetadata(TREE, path, new URLSearchParams(query), BASE);

test("directories list their entries, a directory's with its trailing slash; a value is itself", (t) => {
  t.deepEqual(get(""), { kind: "text", body: "instance/\nproject/\n" });
  t.deepEqual(get("instance/"), { kind: "text", body: "id\nregion\nservice-accounts/\nzone\n" });
  t.deepEqual(get("instance/service-accounts/"), { kind: "text", body: "default/\nweb@p.iam.gserviceaccount.com/\n" });
  t.deepEqual(get("instance/service-accounts/default/"), { kind: "text", body: "aliases\nemail\nidentity\nscopes\ntoken\n" });
  t.deepEqual(get("project/project-id"), { kind: "text", body: "dev" });
  t.deepEqual(get("project/numeric-project-id"), { kind: "text", body: "123456789012" });
  t.deepEqual(get("instance/service-accounts/default/aliases"), { kind: "text", body: "default\n" });
  t.deepEqual(get("instance/service-accounts/default/token"), { kind: "on-request", name: "token" });
});

test("a directory without its trailing slash redirects to it, query kept; unknown paths and a value with a slash are 404", (t) => {
  t.deepEqual(get("instance"), { kind: "redirect", location: "/computeMetadata/v1/instance/" });
  t.deepEqual(get("instance/service-accounts/default", "recursive=true"), {
    kind: "redirect",
    location: "/computeMetadata/v1/instance/service-accounts/default/?recursive=true",
  });
  t.deepEqual(get("instance/disks/"), { kind: "not-found" });
  t.deepEqual(get("project/project-id/"), { kind: "not-found" });
  t.deepEqual(get("instance/service-accounts/other@p.iam.gserviceaccount.com/email"), { kind: "not-found" });
});

test("?recursive=true: the tree as JSON with camelCase keys and numbers, tokens left out; with alt=text, 'path value' lines", (t) => {
  const project = get("project/", "recursive=true");
  t.deepEqual(project.kind === "json" ? JSON.parse(project.body) : project, { numericProjectId: 123456789012, projectId: "dev" });
  const root = get("", "recursive=true");
  const all = root.kind === "json" ? (JSON.parse(root.body) as Record<string, any>) : {};
  t.deepEqual(all.instance.serviceAccounts["web@p.iam.gserviceaccount.com"], {
    aliases: ["default"],
    email: "web@p.iam.gserviceaccount.com",
    scopes: ["https://www.googleapis.com/auth/cloud-platform"],
  });
  t.deepEqual(Object.keys(all.instance.serviceAccounts), ["default", "web@p.iam.gserviceaccount.com"], "an email key is not camelCased");
  t.deepEqual(get("instance/service-accounts/default/", "recursive=true&alt=text"), {
    kind: "text",
    body: "aliases default\nemail web@p.iam.gserviceaccount.com\nscopes https://www.googleapis.com/auth/cloud-platform\n",
  });
  t.deepEqual(get("project/", "recursive=true&alt=text"), { kind: "text", body: "numeric-project-id 123456789012\nproject-id dev\n" });
});

test("alt=json answers a value as JSON and a listing as a JSON list; alt=text a list one item a line", (t) => {
  t.deepEqual(get("project/project-id", "alt=json"), { kind: "json", body: '"dev"' });
  t.deepEqual(get("project/numeric-project-id", "alt=json"), { kind: "json", body: "123456789012" });
  t.deepEqual(get("instance/service-accounts/default/scopes", "alt=json"), {
    kind: "json",
    body: '["https://www.googleapis.com/auth/cloud-platform"]',
  });
  t.deepEqual(get("project/", "alt=json"), { kind: "json", body: '["numeric-project-id","project-id"]' });
  t.deepEqual(get("instance/service-accounts/default/scopes", "alt=text"), {
    kind: "text",
    body: "https://www.googleapis.com/auth/cloud-platform\n",
  });
});
