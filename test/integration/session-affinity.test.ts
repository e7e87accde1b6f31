import test from "ava";
import { deploy, describeService, hostOf, transcript } from "../helpers/cli";
import { startEngine, type TestEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { eventually, httpRequest, type HttpAnswer } from "../helpers/http";

// Session affinity (`--session-affinity`), as Cloud Run keeps it: the first answer sets a GAESA
// cookie naming the instance; a client that sends it back reaches that instance while it has a
// free slot, ahead of the least-loaded choice and of the traffic split; a full instance breaks it
// (the answer then names the new one). The engine's request log says which instance answered.

let engine: TestEngine;
let image: string;

test.before(async () => {
  image = await fixtureImage();
  engine = await startEngine();
});

test.after.always(async () => {
  await engine?.dispose();
});

/** The GAESA cookie of an answer, as a client sends it back ("GAESA=..."), or undefined. */
function affinityCookieOf(answer: HttpAnswer): string | undefined {
  const line = (answer.headers["set-cookie"] ?? []).find((c) => c.startsWith("GAESA="));
  return line?.split(";")[0];
}

/** Which instance answered each request whose URL has `?id=<id>`, from the service's request log. */
async function instancesById(service: string, ids: string[]): Promise<Map<string, string>> {
  return eventually(`request log entries for ${ids.length} requests`, async () => {
    const args = ["logs", "read", service, "--requests-only", "--format", "json", "--limit", "1000"];
    const read = await engine.skiff(args);
    if (read.code !== 0) throw new Error(transcript(args, read));
    const byId = new Map<string, string>();
    for (const e of JSON.parse(read.stdout) as { httpRequest?: { requestUrl: string }; labels: Record<string, string> }[]) {
      const id = e.httpRequest ? new URL(e.httpRequest.requestUrl).searchParams.get("id") : null;
      if (id !== null) byId.set(id, e.labels.instanceId);
    }
    return ids.every((id) => byId.has(id)) ? byId : undefined;
  });
}

async function readyInstances(service: string, n: number): Promise<void> {
  await eventually(`${n} ready instances of ${service}`, async () => {
    const s = await describeService(engine, service);
    return (s.scaling[0]?.readyInstances ?? 0) >= n ? true : undefined;
  });
}

test.serial(
  "a client that sends its cookie back stays on its instance (not the least loaded one); without affinity no cookie is set",
  async (t) => {
    const service = "sticky";
    await deploy(engine, service, ["--image", image, "--session-affinity", "--min-instances", "2", "--concurrency", "4"]);
    t.true((await describeService(engine, service)).template.sessionAffinity);
    await readyInstances(service, 2);
    const host = hostOf(engine, service);
    // Client A holds the first instance busy, so client B's first request goes to the other one.
    const busy = httpRequest(engine.ingressPort, host, "/sleep?ms=1500&id=a0");
    await new Promise((r) => setTimeout(r, 300));
    const first = await httpRequest(engine.ingressPort, host, "/?id=b0");
    const cookie = affinityCookieOf(first);
    t.truthy(cookie, `the first answer sets the affinity cookie: ${JSON.stringify(first.headers["set-cookie"])}`);
    t.regex(
      first.headers["set-cookie"]!.find((c) => c.startsWith("GAESA="))!,
      /; Max-Age=2592000; Path=\/; HttpOnly$/,
    );
    t.is(first.headers["cache-control"], "private", "an answer that sets a cookie is kept by no shared cache");
    await busy;
    // Both instances are idle now: without the cookie these would go to the earliest instance.
    const ids = ["b1", "b2", "b3", "b4", "b5"];
    for (const id of ids) {
      const answer = await httpRequest(engine.ingressPort, host, `/?id=${id}`, { headers: { cookie: `theme=dark; ${cookie}` } });
      t.is(answer.status, 200);
      t.is(affinityCookieOf(answer), undefined, "a request that reached its instance gets no new cookie");
    }
    const noCookie = await httpRequest(engine.ingressPort, host, "/?id=c0");
    const seen = await instancesById(service, ["a0", "b0", ...ids, "c0"]);
    t.not(seen.get("b0"), seen.get("a0"), "B's first request went to the idle instance");
    for (const id of ids) t.is(seen.get(id), seen.get("b0"), `request ${id} went to B's instance`);
    t.is(seen.get("c0"), seen.get("a0"), "a client without the cookie gets the least-loaded (earliest) instance");
    t.truthy(affinityCookieOf(noCookie), "and its own cookie");

    await deploy(engine, service, ["--no-session-affinity"]);
    const off = await httpRequest(engine.ingressPort, host, "/");
    t.is(off.status, 200);
    t.is(affinityCookieOf(off), undefined, "a revision without affinity sets no cookie");
  },
);

test.serial("a full instance breaks affinity: the request goes to another, whose cookie comes back", async (t) => {
  const service = "full";
  await deploy(engine, service, ["--image", image, "--session-affinity", "--min-instances", "2", "--concurrency", "1"]);
  await readyInstances(service, 2);
  const host = hostOf(engine, service);
  const first = await httpRequest(engine.ingressPort, host, "/?id=f0");
  const cookie = affinityCookieOf(first)!;
  t.truthy(cookie);
  // Its instance is busy with another request that carries the same cookie (concurrency 1).
  const busy = httpRequest(engine.ingressPort, host, "/sleep?ms=1500&id=f1", { headers: { cookie } });
  await new Promise((r) => setTimeout(r, 300));
  const moved = await httpRequest(engine.ingressPort, host, "/?id=f2", { headers: { cookie } });
  t.is(moved.status, 200);
  const next = affinityCookieOf(moved);
  t.truthy(next, "the answer names the instance it went to");
  t.not(next, cookie);
  await busy;
  const seen = await instancesById(service, ["f0", "f1", "f2"]);
  t.is(seen.get("f1"), seen.get("f0"));
  t.not(seen.get("f2"), seen.get("f0"));
});

test.serial(
  "affinity outranks the split: a client stays on its revision under 50/50, and is moved once its revision has no share",
  async (t) => {
    const service = "split";
    await deploy(engine, service, ["--image", image, "--session-affinity", "--revision-suffix", "one"]);
    await deploy(engine, service, ["--set-env-vars", "V=2", "--revision-suffix", "two", "--no-traffic"]);
    const split = await engine.skiff(["services", "update-traffic", service, "--to-revisions", "split-one=50,split-two=50"]);
    t.is(split.code, 0, transcript(["services", "update-traffic"], split));
    const host = hostOf(engine, service);
    const revisionOf = (a: HttpAnswer) => a.body.trim().replace("K_REVISION=", "");
    const withoutCookie = new Set<string>();
    for (let i = 0; i < 4; i++) withoutCookie.add(revisionOf(await httpRequest(engine.ingressPort, host, "/")));
    t.deepEqual([...withoutCookie].sort(), ["split-one", "split-two"], "without a cookie the split alternates");
    const first = await httpRequest(engine.ingressPort, host, "/");
    const cookie = affinityCookieOf(first)!;
    const mine = revisionOf(first);
    for (let i = 0; i < 10; i++) {
      t.is(revisionOf(await httpRequest(engine.ingressPort, host, "/", { headers: { cookie } })), mine, `request ${i} stays on ${mine}`);
    }
    const other = mine === "split-one" ? "split-two" : "split-one";
    await engine.skiff(["services", "update-traffic", service, "--to-revisions", `${other}=100`]);
    const moved = await httpRequest(engine.ingressPort, host, "/", { headers: { cookie } });
    t.is(revisionOf(moved), other, "a revision with no share of the traffic keeps no client");
    t.truthy(affinityCookieOf(moved), "and the answer names the new instance");
  },
);
