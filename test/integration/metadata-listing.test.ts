import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { containerOf, copyInto, nodeIn, npmPackages } from "../helpers/in-container";

// The metadata server's directories from inside a container, as Compute Engine's answer them:
// raw HTTP (listings, the 301 to the trailing slash, ?recursive=true as JSON or alt=text, alt=json)
// and Google's gcp-metadata asking for a directory recursively.

const ACCOUNT = "lister@team.iam.gserviceaccount.com";
let engine: TestEngine;
let container: string;

test.before(async () => {
  const clients = npmPackages(["gcp-metadata@8.1.4"]);
  const [image, started] = await Promise.all([fixtureImage(), startEngine()]);
  engine = started;
  const api = await engine.api();
  await api.putService("team", "lister", { template: { image, scaling: { minInstanceCount: 1 }, serviceAccount: ACCOUNT } });
  container = await containerOf(engine, { "skiff.service": "lister" });
  await copyInto(container, await clients, "/node_modules");
});

test.after.always(async () => {
  await engine?.dispose();
});

async function inContainer<T>(script: string): Promise<T> {
  const result = await nodeIn(
    container,
    `(async () => { ${script} })().then((out) => console.log(JSON.stringify(out)), (e) => console.log(JSON.stringify({ error: String(e.stack ?? e) })));`,
  );
  return JSON.parse(result.stdout) as T;
}

test("raw HTTP: listings end directories in '/', a directory without it is 301 to it, recursive answers JSON or alt=text lines", async (t) => {
  const out = await inContainer<Record<string, { status: number; location?: string | null; body: string }>>(`
    const base = "http://" + process.env.GCE_METADATA_HOST + "/computeMetadata/v1/";
    const get = async (path) => {
      const r = await fetch(base + path, { headers: { "Metadata-Flavor": "Google" }, redirect: "manual" });
      return { status: r.status, location: r.headers.get("location"), body: await r.text() };
    };
    return { root: await get(""), instance: await get("instance/"), noSlash: await get("instance"),
      recursive: await get("instance/service-accounts/default/?recursive=true"),
      text: await get("project/?recursive=true&alt=text"), json: await get("project/project-id?alt=json") };`);
  t.deepEqual(out.root, { status: 200, location: null, body: "instance/\nproject/\n" });
  t.is(out.instance.body, "id\nregion\nservice-accounts/\nzone\n");
  t.like(out.noSlash, { status: 301, location: "/computeMetadata/v1/instance/" });
  t.deepEqual(JSON.parse(out.recursive.body), {
    aliases: ["default"],
    email: ACCOUNT,
    scopes: ["https://www.googleapis.com/auth/cloud-platform"],
  });
  t.regex(out.text.body, /^numeric-project-id \d{12}\nproject-id team\n$/);
  t.is(out.json.body, '"team"');
});

test("gcp-metadata: instance({ property: 'service-accounts/', params: { recursive: true } }) and project('') read the tree", async (t) => {
  const out = await inContainer<Record<string, any>>(`
    const gcpMetadata = require("/node_modules/gcp-metadata");
    return { accounts: await gcpMetadata.instance({ property: "service-accounts/", params: { recursive: true } }),
      project: await gcpMetadata.project({ property: "", params: { recursive: true } }) };`);
  t.deepEqual(Object.keys(out.accounts ?? {}).sort(), ["default", ACCOUNT], JSON.stringify(out));
  t.is(out.accounts?.default?.email, ACCOUNT);
  t.is(out.project?.projectId, "team");
  t.regex(String(out.project?.numericProjectId), /^\d{12}$/);
});
