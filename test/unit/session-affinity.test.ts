import test from "ava";
import { templateFromFlags } from "../../provider/cli/deploy";
import { serviceSpecFromV2 } from "../../provider/cloudrun-v2/service-from-v2";
import { templateToV2 } from "../../provider/cloudrun-v2/service-to-v2";
import { templateToKnative } from "../../provider/knative/objects";
import { planReplace } from "../../provider/knative/service-from-knative";
import { templateFingerprint } from "../../provider/model/revision";
import type { Service } from "../../provider/model/service";
import { parseServiceTemplate } from "../../provider/model/template";
import { RoutingTable, type ServiceRoutes } from "../../provider/router/routing-table";
import { affinityCookie, affinityOf, withAffinityCookie } from "../../provider/router/session-affinity";
import { Throttler } from "../../provider/scaling/throttler";
import { gcpServiceTemplate } from "../../sdk/gcp/render";
import { translateService } from "../../sdk/gcp/service-spec";
import { FakeClock } from "../helpers/fake-clock";

// Session affinity: the model field each surface sets, the cookie, and the routing rules (the
// cookie's instance first while it has a slot; ahead of the split while its revision has a share).

const cookieLine = (revision: string, instance: string) => affinityCookie(revision, instance).split(";")[0];

test("the cookie names the revision and the instance, and is read back from any Cookie line among other cookies", (t) => {
  const set = affinityCookie("web-00002-abc", "inst-7");
  t.regex(set, /^GAESA=[A-Za-z0-9_-]+; Max-Age=2592000; Path=\/; HttpOnly$/);
  const sent = cookieLine("web-00002-abc", "inst-7");
  t.deepEqual(affinityOf(["Cookie", `theme=dark; ${sent}; lang=en`]), { revision: "web-00002-abc", instanceId: "inst-7" });
  // HTTP/2 clients may send one cookie per line.
  t.deepEqual(affinityOf(["cookie", "theme=dark", "cookie", sent]), { revision: "web-00002-abc", instanceId: "inst-7" });
  t.is(affinityOf(["cookie", "GAESAX=1; NOTGAESA=2"]), undefined, "only a cookie named exactly GAESA");
  t.is(affinityOf(["cookie", "GAESA=!!!"]), undefined, "a value that does not read as revision/instance is no affinity");
  t.is(affinityOf(["x-cookie", sent]), undefined);
  t.is(affinityOf([]), undefined);
});

test("a response that sets the affinity cookie is one client's: its Cache-Control becomes private, its own cookies stay", (t) => {
  t.deepEqual(withAffinityCookie(["Cache-Control", "public, max-age=60", "Set-Cookie", "a=1", "X", "y"], "GAESA=t"), [
    "Set-Cookie",
    "a=1",
    "X",
    "y",
    "set-cookie",
    "GAESA=t",
    "cache-control",
    "private",
  ]);
});

function table(routes: Partial<ServiceRoutes> & { split: string[] }) {
  const rt = new RoutingTable();
  let next = 0;
  rt.setService("p", "web", {
    pick: () => routes.split[next++ % routes.split.length],
    tags: routes.tags ?? new Map(),
    timeoutMs: () => 1000,
    access: { public: true, internalOnly: false } as ServiceRoutes["access"],
    affinity: routes.affinity,
    inSplit: (r) => routes.split.includes(r),
  });
  const route = (cookie?: string, tag?: string) => {
    const result = rt.route(
      { kind: "service", project: "p", service: "web", tag } as never,
      "web.localhost",
      cookie ? ["cookie", cookie] : [],
    );
    if (!result.ok) throw new Error(result.message);
    return result;
  };
  return { route };
}

test("routing: a cookie for a revision with affinity and a share of the split wins over the pick; otherwise the pick (or the tag) decides", (t) => {
  const { route } = table({ split: ["web-1", "web-2"], affinity: new Set(["web-1", "web-2"]), tags: new Map([["canary", "web-2"]]) });
  const toOne = cookieLine("web-1", "i1");
  t.like(route(toOne), { revision: "web-1", stickyInstance: "i1", affinity: true });
  t.like(route(toOne), { revision: "web-1", stickyInstance: "i1" }, "every time, whatever the split's turn");
  t.like(route(), { stickyInstance: undefined, affinity: true });
  t.like(route(cookieLine("web-9", "i9")), { stickyInstance: undefined }, "a revision with no share keeps no client");
  t.like(route(toOne, "canary"), { revision: "web-2", stickyInstance: undefined }, "a tag URL serves its own revision");
  t.like(route(cookieLine("web-2", "i2"), "canary"), { revision: "web-2", stickyInstance: "i2" });
});

test("routing: a revision without affinity ignores the cookie and sets none", (t) => {
  const { route } = table({ split: ["web-1"], affinity: new Set() });
  t.like(route(cookieLine("web-1", "i1")), { revision: "web-1", stickyInstance: undefined, affinity: false });
  const partly = table({ split: ["web-1", "web-2"], affinity: new Set(["web-2"]) });
  t.like(partly.route(cookieLine("web-1", "i1")), { stickyInstance: undefined }, "only revisions with affinity keep clients");
});

test("the throttler leases the named instance while it has a free slot and nobody waits; else nothing (the caller routes as usual)", (t) => {
  const throttler = new Throttler({
    revision: "web-1",
    concurrency: 1,
    clock: new FakeClock(0),
    queueTimeoutMs: () => 1000,
    atMaxScale: () => false,
    onDemand: () => {},
  });
  throttler.addInstance({ instanceId: "a", host: "127.0.0.1", port: 1 });
  throttler.addInstance({ instanceId: "b", host: "127.0.0.1", port: 2 });
  const onB = throttler.tryAcquireOn("b");
  t.is(onB?.endpoint.instanceId, "b", "b, though a is as idle and earlier");
  t.is(throttler.tryAcquireOn("b"), undefined, "b is full (concurrency 1)");
  t.is(throttler.tryAcquireOn("gone"), undefined);
  t.is(throttler.tryAcquire()?.endpoint.instanceId, "a");
  void throttler.acquire().catch(() => {}); // a waiter: freed slots are its
  onB!.release();
  t.is(throttler.tryAcquireOn("b"), undefined, "the freed slot went to the waiter");
  throttler.suspend("a");
  t.is(throttler.tryAcquireOn("a"), undefined, "a suspended instance takes nothing");
  throttler.close("test over");
});

test("sessionAffinity is part of the template (false is leaving it out); --session-affinity sets it, --no-session-affinity clears it", (t) => {
  const plain = parseServiceTemplate({ image: "img" });
  const on = parseServiceTemplate({ image: "img", sessionAffinity: true });
  t.is(on.sessionAffinity, true);
  t.not(templateFingerprint(on), templateFingerprint(plain));
  t.is(templateFingerprint(parseServiceTemplate({ image: "img", sessionAffinity: false })), templateFingerprint(plain));
  t.throws(() => parseServiceTemplate({ image: "img", sessionAffinity: "yes" }), {
    message: /template\.sessionAffinity: must be true or false/,
  });
  const image = [{ argv: ["--image", "img"] }];
  t.is(templateFromFlags(undefined, { traffic: true, sessionAffinity: true }, image).sessionAffinity, true);
  const existing = { template: on } as Service;
  t.is(templateFromFlags(existing, { traffic: true }).sessionAffinity, true);
  t.false("sessionAffinity" in templateFromFlags(existing, { traffic: true, sessionAffinity: false }));
});

test("Knative's run.googleapis.com/sessionAffinity annotation, the v2 API's template.sessionAffinity and pulumi-gcp's map to it, both ways", (t) => {
  const on = parseServiceTemplate({ image: "img", sessionAffinity: true });
  const exported = templateToKnative(on) as { metadata: { annotations: Record<string, string> } };
  t.is(exported.metadata.annotations["run.googleapis.com/sessionAffinity"], "true");
  t.false(
    "run.googleapis.com/sessionAffinity" in
      (templateToKnative(parseServiceTemplate({ image: "img" })) as typeof exported).metadata.annotations,
  );
  const yaml = (value: string) => ({
    apiVersion: "serving.knative.dev/v1",
    kind: "Service",
    metadata: { name: "web" },
    spec: {
      template: { metadata: { annotations: { "run.googleapis.com/sessionAffinity": value } }, spec: { containers: [{ image: "img" }] } },
    },
  });
  const replaced = planReplace(yaml("true"), "default");
  t.is(replaced.spec.template.sessionAffinity, true);
  t.false(
    replaced.ignored.some((p) => p.includes("sessionAffinity")),
    "no longer named as ignored",
  );
  t.false("sessionAffinity" in planReplace(yaml("false"), "default").spec.template);
  t.throws(() => planReplace(yaml("sometimes"), "default"), { message: /sessionAffinity: must be true or false/ });

  t.is(templateToV2(on).sessionAffinity, true);
  const fromV2 = serviceSpecFromV2(
    { template: { sessionAffinity: true, containers: [{ image: "img" }] } },
    { name: "web", root: "service" },
  );
  t.is(fromV2.spec.template.sessionAffinity, true);

  const gcp = translateService({ name: "web", skiffProject: "dev", template: { sessionAffinity: true, containers: [{ image: "img:1" }] } });
  t.deepEqual(gcp.failures, []);
  t.like(gcp.spec.template, { sessionAffinity: true });
  t.is(gcpServiceTemplate(on, { sessionAffinity: true, containers: [{ image: "img" }] }).sessionAffinity, true);
  t.is(
    gcpServiceTemplate(plain(), { sessionAffinity: false, containers: [{ image: "img" }] }).sessionAffinity,
    false,
    "false stays as written",
  );
});

const plain = () => parseServiceTemplate({ image: "img" });
