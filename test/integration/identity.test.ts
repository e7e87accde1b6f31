import test from "ava";
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { containerOf, copyInto, nodeIn, npmPackages } from "../helpers/in-container";
import { httpRequest } from "../helpers/http";

// Identity for the engine's containers, with Google's own client libraries from the npm registry
// running inside them: the metadata server (gcp-metadata), identity tokens for private services
// (google-auth-library's getIdTokenClient, whose audience must be the service's URL alone), tokens
// that verify against the engine's JWKS with a standard JWT library (jose), ingress internal (its
// own project's containers only), and all of it kept across a kill -9 of the engine.

const PROJECT = "team";
const WEB_ACCOUNT = "web@team.iam.gserviceaccount.com";
let engine: TestEngine;
let image: string;
let apiUrl: string;
let web: string;

test.before(async () => {
  const clients = npmPackages(["gcp-metadata@8.1.4", "google-auth-library@10.9.1"]);
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  const api = await engine.api();
  // api is private (no invoker yet); web runs as its own account.
  await api.putService(PROJECT, "api", { template: { image, scaling: { minInstanceCount: 1 } }, invokers: [] });
  await api.putService(PROJECT, "web", { template: { image, scaling: { minInstanceCount: 1 }, serviceAccount: WEB_ACCOUNT } });
  apiUrl = (await api.getService(PROJECT, "api")).url;
  web = await containerOf(engine, { "skiff.service": "web" });
  await copyInto(web, await clients, "/node_modules");
});

test.after.always(async () => {
  await engine?.dispose();
});

/** Runs `script` in web's container with Google's libraries beside it; its stdout, parsed as JSON. */
async function inWeb<T>(script: string, args: string[] = []): Promise<T> {
  const result = await nodeIn(
    web,
    `(async () => { ${script} })().then((out) => console.log(JSON.stringify(out)), (e) => { console.log(JSON.stringify({ error: String(e.stack ?? e) })); })`,
    args,
  );
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`the script printed no JSON: ${result.stdout}${result.stderr}`);
  }
}

const CALL_WITH_ID_TOKEN = `
  const { GoogleAuth } = require("/node_modules/google-auth-library");
  const client = await new GoogleAuth().getIdTokenClient(process.argv[1]);
  const r = await client.request({ url: process.argv[1], validateStatus: () => true, responseType: "text" });
  return { status: r.status, body: String(r.data).trim() };`;

async function setInvokers(members: string[]): Promise<void> {
  const api = await engine.api();
  const { etag } = await api.getPolicy(PROJECT, "service", "api");
  await api.setPolicy(PROJECT, "service", "api", members.length ? [{ role: "roles/run.invoker", members }] : [], etag);
}

test.serial(
  "gcp-metadata inside a container finds the metadata server and reads the skiff project, its number and the container's account",
  async (t) => {
    const out = await inWeb<Record<string, unknown>>(`
    const gcpMetadata = require("/node_modules/gcp-metadata");
    return { available: await gcpMetadata.isAvailable(), project: await gcpMetadata.project("project-id"),
      number: await gcpMetadata.project("numeric-project-id"), email: await gcpMetadata.instance("service-accounts/default/email"),
      region: await gcpMetadata.instance("region") };`);
    t.like(out, { available: true, project: PROJECT, email: WEB_ACCOUNT });
    t.regex(String(out.number), /^\d{12}$/);
    t.regex(String(out.region), /^projects\/\d{12}\/regions\/[a-z0-9-]+$/);
  },
);

test.serial(
  "google-auth-library's ID-token client gets 200 from a private service when its account is an invoker, 403 when not; no token: 401",
  async (t) => {
    t.like(await inWeb(CALL_WITH_ID_TOKEN, [`${apiUrl}/`]), { status: 403 });
    await setInvokers([`serviceAccount:${WEB_ACCOUNT}`]);
    t.like(await inWeb(CALL_WITH_ID_TOKEN, [`${apiUrl}/`]), { status: 200 });
    t.like(await inWeb(`const r = await fetch(process.argv[1]); return { status: r.status };`, [`${apiUrl}/`]), { status: 401 });
    await setInvokers(["serviceAccount:someone-else@team.iam.gserviceaccount.com"]);
    t.like(await inWeb(CALL_WITH_ID_TOKEN, [`${apiUrl}/`]), { status: 403 });
    await setInvokers([`serviceAccount:${WEB_ACCOUNT}`]);
  },
);

test.serial(
  "google-auth-library's ID-token client made for the URL of one request (a path) gets 401, as on Cloud Run: the audience is the service's URL alone",
  async (t) => {
    const withPath = `
      const { GoogleAuth } = require("/node_modules/google-auth-library");
      const client = await new GoogleAuth().getIdTokenClient(process.argv[1] + "/v1/items");
      const r = await client.request({ url: process.argv[1] + "/", validateStatus: () => true, responseType: "text" });
      return { status: r.status, body: String(r.data).trim() };`;
    const refused = await inWeb<{ status: number; body: string }>(withPath, [apiUrl]);
    t.is(refused.status, 401, refused.body);
    t.regex(refused.body, /audience ".*\/v1\/items" is not this service's URL/);
    t.like(await inWeb(CALL_WITH_ID_TOKEN, [apiUrl]), { status: 200 }, "the service's URL alone, no trailing slash");
  },
);

test.serial(
  "the private service's app gets the caller's ID token with Cloud Run's SIGNATURE_REMOVED_BY_GOOGLE in place of its signature",
  async (t) => {
    const seen = await inWeb<{ status: number; body: string }>(
      `
    const { GoogleAuth } = require("/node_modules/google-auth-library");
    const client = await new GoogleAuth().getIdTokenClient(process.argv[1]);
    const r = await client.request({ url: process.argv[1] + "/headers", validateStatus: () => true, responseType: "text" });
    return { status: r.status, body: String(r.data) };`,
      [apiUrl],
    );
    t.is(seen.status, 200, seen.body);
    const authorization = (JSON.parse(seen.body) as Record<string, string>).authorization;
    t.regex(authorization, /^Bearer [\w-]+\.[\w-]+\.SIGNATURE_REMOVED_BY_GOOGLE$/);
    // The claims are there to read: who called, for which audience.
    const claims = JSON.parse(Buffer.from(authorization.split(".")[1], "base64url").toString()) as Record<string, string>;
    t.like(claims, { email: WEB_ACCOUNT, aud: apiUrl });
  },
);

test.serial(
  "the identity token verifies against the engine's JWKS with a standard JWT library (jose), for the audience asked",
  async (t) => {
    const { token } = await inWeb<{ token: string }>(
      `
    const r = await fetch("http://" + process.env.GCE_METADATA_HOST + "/computeMetadata/v1/instance/service-accounts/default/identity?audience=" + encodeURIComponent(process.argv[1]), { headers: { "Metadata-Flavor": "Google" } });
    return { token: await r.text() };`,
      [apiUrl],
    );
    const jwks = await fetch(`http://127.0.0.1:${engine.apiPort}/.well-known/jwks.json`).then((r) => r.json());
    const jose = await import("jose");
    const { payload } = await jose.jwtVerify(token, jose.createLocalJWKSet(jwks as never), {
      audience: apiUrl,
      issuer: "https://skiff.localhost",
    });
    t.is(payload.email, WEB_ACCOUNT);
    t.is(payload.sub, WEB_ACCOUNT);
  },
);

test.serial("the metadata server wants Metadata-Flavor: Google and refuses requests that carry X-Forwarded-For (403)", async (t) => {
  const statuses = await inWeb<number[]>(`
    const url = "http://" + process.env.GCE_METADATA_HOST + "/computeMetadata/v1/project/project-id";
    return [(await fetch(url)).status, (await fetch(url, { headers: { "Metadata-Flavor": "Google", "X-Forwarded-For": "10.0.0.1" } })).status, (await fetch(url, { headers: { "Metadata-Flavor": "Google" } })).status];`);
  t.deepEqual(statuses, [403, 403, 200]);
});

test.serial(
  "an internal service answers the engine's containers of its own project; it is 404 from the host and from another project's container",
  async (t) => {
    const api = await engine.api();
    await Promise.all([
      api.putService(PROJECT, "inside", { template: { image, scaling: { minInstanceCount: 1 } }, ingress: "internal" }),
      api.putService("elsewhere", "outsider", { template: { image, scaling: { minInstanceCount: 1 } } }),
    ]);
    const url = (await api.getService(PROJECT, "inside")).url;
    t.is((await httpRequest(engine.ingressPort, new URL(url).host, "/")).status, 404);
    t.like(await inWeb(`const r = await fetch(process.argv[1]); return { status: r.status };`, [`${url}/`]), { status: 200 });
    // Cloud Run's internal ingress is the service's own project's VPC: another project's workload is outside.
    const outsider = await containerOf(engine, { "skiff.service": "outsider" });
    const fetched = await nodeIn(outsider, `fetch(process.argv[1]).then(async (r) => console.log(r.status, (await r.text()).trim()))`, [
      `${url}/`,
    ]);
    t.regex(
      fetched.stdout,
      /^404 not found: this service takes requests only from the engine's containers of its own project/,
      fetched.stderr,
    );
  },
);

test.serial("the engine listens on nothing but loopback and its network's gateway", async (t) => {
  const gateway = (await (await engine.api()).engineInfo()).containers?.gateway;
  t.truthy(gateway);
  const addresses = listeningAddresses(engine.pid);
  t.true(addresses.length >= 4, addresses.join(", "));
  t.deepEqual(
    addresses.filter((a) => a !== "127.0.0.1" && a !== gateway),
    [],
    addresses.join(", "),
  );
});

test.serial("kill -9 of the engine keeps policies and service accounts, and a token minted before still works after", async (t) => {
  const before = await (await engine.api()).identityToken({ audience: apiUrl, serviceAccount: WEB_ACCOUNT });
  await engine.killDaemon();
  await engine.start(engine.samePortFlags());
  const api = await engine.api();
  t.deepEqual((await api.getService(PROJECT, "api")).invokers, [`serviceAccount:${WEB_ACCOUNT}`]);
  t.is((await api.getService(PROJECT, "web")).template.serviceAccount, WEB_ACCOUNT);
  const answer = await httpRequest(engine.ingressPort, new URL(apiUrl).host, "/", { headers: { authorization: `Bearer ${before.token}` } });
  t.is(answer.status, 200, answer.body);
  t.like(await inWeb(CALL_WITH_ID_TOKEN, [`${apiUrl}/`]), { status: 200 });
});

/** The local addresses of the process's listening TCP sockets and bound UDP sockets (IPv4 and IPv6), from /proc. */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  const addresses: string[] = [];
  for (const table of ["tcp", "tcp6", "udp", "udp6"]) {
    const lines = readFileSync(`/proc/${pid}/net/${table}`, "utf8").split("\n").slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || !inodes.has(fields[9])) continue;
      // TCP: listening sockets only (state 0A); UDP: every bound socket.
      if (table.startsWith("tcp") && fields[3] !== "0A") continue;
      addresses.push(decodeAddress(fields[1].split(":")[0]));
    }
  }
  return addresses;
}

/** /proc/net addresses are hex in host byte order: IPv4 as 8 digits, IPv6 as 32 (four little-endian words). */
function decodeAddress(hex: string): string {
  if (hex.length === 8) return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join(".");
  const words = Array.from({ length: 4 }, (_, w) =>
    hex
      .slice(w * 8, w * 8 + 8)
      .match(/../g)!
      .reverse()
      .join(""),
  );
  const mapped = /^0{20}ffff(.{8})$/i.exec(words.join(""));
  if (mapped)
    return mapped[1]
      .match(/../g)!
      .map((b) => parseInt(b, 16))
      .join(".");
  return words
    .join("")
    .replace(/(.{4})/g, "$1:")
    .slice(0, -1);
}
