import test from "ava";
import { deployCommand, serviceUpdateCommand } from "../../provider/cli/deploy";
import { ignoredFlagsNote } from "../../provider/cli/common";
import { serviceSpecFromV2 } from "../../provider/cloudrun-v2/service-from-v2";
import { serviceEtag, serviceToV2 } from "../../provider/cloudrun-v2/service-to-v2";
import { applyUpdateMask } from "../../provider/cloudrun-v2/update-mask";
import { decodeMessage } from "../../provider/cloudrun-v2/wire-codec";
import { resolveService } from "../../provider/controller/views";
import { serviceToKnative } from "../../provider/knative/objects";
import { planReplace } from "../../provider/knative/service-from-knative";
import { parseHost } from "../../provider/model/derived-names";
import { SkiffError, type FieldViolation } from "../../provider/model/errors";
import { parseServiceSpec } from "../../provider/model/service";
import { parseServiceTemplate } from "../../provider/model/template";
import { RoutingTable } from "../../provider/router/routing-table";
import type { ServiceRow } from "../../provider/state/store";
import { reportFields, serviceRules } from "../../sdk/gcp/field-rules";
import { translateService } from "../../sdk/gcp/service-spec";
import { serviceObject } from "../helpers/service-object";

// A service's default URL switch (Cloud Run's defaultUriDisabled, gcloud's --[no-]default-url, the
// annotation run.googleapis.com/default-url-disabled): off, its own host names answer as an
// unknown host does and only its domain mappings reach it.

const ACCESS = {
  internalOnly: false,
  public: true,
  anyAuthenticated: false,
  invokers: new Set<string>(),
  customAudiences: new Set<string>(),
};

test("routing: with its default URL off, the service's host and tag hosts answer as an unknown host does; its domain mapping still routes", (t) => {
  const table = new RoutingTable();
  const routes = { pick: () => "hello-00001-abc", tags: new Map([["old", "hello-00001-abc"]]), timeoutMs: () => 5000, access: ACCESS };
  table.setService("default", "hello", { ...routes, defaultUrlDisabled: true });
  table.setDomain("api.example.test", { project: "default", service: "hello" });
  const unknown = table.route(parseHost("nope.localhost"), "nope.localhost");
  const own = table.route(parseHost("hello.localhost"), "hello.localhost");
  t.like(own, { ok: false, status: 404 });
  if (!own.ok && !unknown.ok)
    t.is(own.message.replaceAll("hello", "nope"), unknown.message, "the same answer as a service that does not exist");
  t.like(table.route(parseHost("old---hello.localhost"), "old---hello.localhost"), { ok: false, status: 404 });
  t.like(table.route(parseHost("api.example.test"), "api.example.test"), { ok: true, service: "hello", revision: "hello-00001-abc" });
  table.setService("default", "hello", { ...routes, defaultUrlDisabled: false });
  t.like(table.route(parseHost("hello.localhost"), "hello.localhost"), { ok: true }, "on again: served");
});

test("the service view: no URL and no tag URLs while its default URL is off", (t) => {
  const spec = parseServiceSpec({ template: { image: "i" } });
  const row: ServiceRow = {
    ...{
      project: "default",
      name: "hello",
      template: spec.template,
      labels: {},
      ingress: "all",
      customAudiences: [],
      description: "",
      serviceScaling: { scalingMode: "AUTOMATIC" },
    },
    defaultUriDisabled: true,
    traffic: [{ type: "REVISION", revision: "hello-00001-abc", percent: 100, tag: "now" }],
    ...{ generation: 1, nextGeneration: 2, createTime: "t", updateTime: "t" },
  };
  t.is(resolveService(row, [], 8080).statuses[0]?.url, undefined);
  t.truthy(resolveService({ ...row, defaultUriDisabled: false }, [], 8080).statuses[0]?.url);
});

test("deploy and services update take --default-url and --no-default-url as settings, with no 'no local effect' note", (t) => {
  for (const make of [deployCommand, serviceUpdateCommand]) {
    const off = make();
    off.parseOptions(["--no-default-url"]);
    t.is(off.opts().defaultUrl, false);
    t.is(ignoredFlagsNote(off.opts()), undefined);
    const on = make();
    on.parseOptions(["--default-url"]);
    t.is(on.opts().defaultUrl, true);
    t.is(make().opts().defaultUrl, undefined, "neither given: kept");
  }
});

const SERVICE = serviceObject(parseServiceTemplate({ image: "img:1" }), {
  name: "hello",
  defaultUriDisabled: true,
  url: "",
  createTime: "2026-01-01T00:00:00.000Z",
  updateTime: "2026-01-02T00:00:00.000Z",
});

test("Knative: the annotation is exported (no status URL), read back as gcloud writes it ('True') or as the docs do ('true'); anything else is refused", (t) => {
  const k = serviceToKnative(SERVICE) as { metadata: { annotations: Record<string, string> }; status: Record<string, unknown> };
  t.is(k.metadata.annotations["run.googleapis.com/default-url-disabled"], "true");
  t.false("url" in k.status);
  t.true(planReplace(k, "default").spec.defaultUriDisabled);
  const withValue = (value: string) => ({
    ...k,
    metadata: { ...k.metadata, annotations: { "run.googleapis.com/default-url-disabled": value } },
  });
  t.true(planReplace(withValue("True"), "default").spec.defaultUriDisabled);
  t.false(planReplace(withValue("False"), "default").spec.defaultUriDisabled);
  t.false(planReplace({ ...k, metadata: { name: "hello" } }, "default").spec.defaultUriDisabled, "a replace without it: on");
  const error = t.throws(() => planReplace(withValue("yes"), "default"), { instanceOf: SkiffError });
  t.is(error?.violations[0]?.field, "metadata.annotations.run.googleapis.com/default-url-disabled");
});

function decoded(json: unknown): Record<string, unknown> {
  const violations: FieldViolation[] = [];
  const value = decodeMessage("Service", json, "service", violations);
  if (violations.length > 0) throw new Error(JSON.stringify(violations));
  return value;
}
const specOf = (json: unknown) => serviceSpecFromV2(decoded(json), { name: "hello", root: "service", currentInvokers: [] }).spec;

test("v2: Service.defaultUriDisabled in and out, with no uri or urls while it is on; an update mask naming only labels keeps it", (t) => {
  const template = { containers: [{ image: "img:1" }] };
  t.true(specOf({ template, defaultUriDisabled: true }).defaultUriDisabled);
  t.false(specOf({ template }).defaultUriDisabled);
  const wire = serviceToV2(SERVICE, { project: "default", location: "us-central1" }, { etag: serviceEtag(SERVICE) });
  t.true(wire.defaultUriDisabled);
  t.false("uri" in wire);
  t.false("urls" in wire);
  t.true(specOf(applyUpdateMask("Service", wire, { labels: { a: "b" } }, "labels")).defaultUriDisabled);
  t.false(specOf(applyUpdateMask("Service", wire, {}, "defaultUriDisabled")).defaultUriDisabled);
});

test("pulumi-gcp: defaultUriDisabled is honoured (no warning); not written, the URLs are on; not a boolean fails at its path", (t) => {
  const base = { name: "hello", skiffProject: "dev", template: { containers: [{ image: "img:1" }] } };
  t.true(translateService({ ...base, defaultUriDisabled: true }).spec.defaultUriDisabled);
  t.false(translateService(base).spec.defaultUriDisabled);
  t.deepEqual(reportFields({ ...base, defaultUriDisabled: true }, serviceRules, () => false).ignored, []);
  t.deepEqual(
    translateService({ ...base, defaultUriDisabled: "yes" }).failures.map((f) => f.property),
    ["defaultUriDisabled"],
  );
});
