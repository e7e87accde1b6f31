import test from "ava";
import { diffDomainMapping, domainMappingDiffTable } from "../../sdk/diff/domain-mapping";
import { diffRevision } from "../../sdk/diff/revision";
import { diffService, serviceDiffTable } from "../../sdk/diff/service";
import { diffTrafficTarget } from "../../sdk/diff/traffic-target";
import { UNKNOWN } from "../../sdk/preview-values/unknowns";

// The diff table of each resource: what a `pulumi preview` shows for each changed input.

const template = {
  image: "skiff-test/fixture:a",
  env: {},
  port: 8080,
  maxInstanceRequestConcurrency: 80,
  scaling: { minInstanceCount: 0, maxInstanceCount: 100 },
  timeout: 300,
  resources: { cpu: "1", memory: "512Mi" },
  startupProbe: { initialDelaySeconds: 0, timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1 },
};
const service = { name: "hello", project: "dev", template, labels: {}, ingress: "all" };
/** What the state holds: the inputs plus the outputs and the serialized provider. */
const serviceState = {
  ...service,
  url: "http://hello.dev.localhost:8080",
  latestCreatedRevision: "hello-00001-abc",
  trafficStatuses: [],
  __provider: "exports.handler = ...",
};

test("a service whose inputs did not change has no changes, whatever its outputs and provider text", (t) => {
  t.deepEqual(diffService(serviceState, { ...service, __provider: "something newer" }), {
    changes: false,
    replaces: [],
    stables: ["name", "project"],
    deleteBeforeReplace: false,
  });
});

test("key order inside the template does not count as a change", (t) => {
  const reordered = { ...service, template: Object.fromEntries(Object.entries(template).reverse()) };
  t.false(diffService(serviceState, reordered).changes);
});

test("a service's maxInstanceCount change is an in-place update", (t) => {
  const news = { ...service, template: { ...template, scaling: { minInstanceCount: 0, maxInstanceCount: 5 } } };
  const d = diffService(serviceState, news);
  t.true(d.changes);
  t.deepEqual(d.replaces, []);
});

test("a service's image, labels or ingress change is an in-place update", (t) => {
  for (const news of [
    { ...service, template: { ...template, image: "skiff-test/fixture:b" } },
    { ...service, labels: { team: "a" } },
    { ...service, ingress: "internal" },
  ]) {
    const d = diffService(serviceState, news);
    t.true(d.changes);
    t.deepEqual(d.replaces, []);
  }
});

test("a service's invokers change, set or unset, is an in-place update; a new service account is a template change", (t) => {
  for (const news of [
    { ...service, invokers: ["allUsers"] },
    { ...service, template: { ...template, serviceAccount: "web@my-project.iam.gserviceaccount.com" } },
  ]) {
    const d = diffService(serviceState, news);
    t.true(d.changes);
    t.deepEqual(d.replaces, []);
  }
  t.false(diffService({ ...serviceState, invokers: ["allUsers"] }, { ...service, invokers: ["allUsers"] }).changes);
  t.true(diffService({ ...serviceState, invokers: ["allUsers"] }, service).changes, "no longer managed by the Service");
});

test("a service's name or project change replaces it, created before the old one is deleted", (t) => {
  t.deepEqual(diffService(serviceState, { ...service, name: "hello2" }).replaces, ["name"]);
  const d = diffService(serviceState, { ...service, project: "prod" });
  t.deepEqual(d.replaces, ["project"]);
  t.false(d.deleteBeforeReplace);
  t.deepEqual(d.stables, ["name"]);
});

test("an input unknown at preview counts as a change", (t) => {
  t.deepEqual(diffService(serviceState, { ...service, template: { ...template, image: UNKNOWN } }).replaces, []);
  t.true(diffService(serviceState, { ...service, template: { ...template, image: UNKNOWN } }).changes);
});

test("every service input is in the table, and only inputs are", (t) => {
  t.deepEqual(Object.keys(serviceDiffTable).sort(), [
    "customAudiences",
    "defaultUriDisabled",
    "description",
    "ingress",
    "invokers",
    "labels",
    "name",
    "project",
    "scaling",
    "template",
  ]);
});

const revision = { service: "hello", project: "dev", template };
const revisionState = { ...revision, name: "hello-00002-xyz", imageDigest: "sha256:1", ready: true };

test("a revision with unchanged inputs has no changes", (t) => {
  t.false(diffRevision(revisionState, revision).changes);
});

test("any change to a revision replaces it, creating the new one first", (t) => {
  const d = diffRevision(revisionState, { ...revision, template: { ...template, image: "skiff-test/fixture:b" } });
  t.deepEqual(d, { changes: true, replaces: ["template"], stables: ["service", "project", "revisionSuffix"], deleteBeforeReplace: false });
  t.deepEqual(diffRevision(revisionState, { ...revision, service: "other" }).replaces, ["service"]);
  t.deepEqual(diffRevision(revisionState, { ...revision, project: "prod" }).replaces, ["project"]);
  t.deepEqual(diffRevision(revisionState, { ...revision, template: { ...template, timeout: 60 } }).replaces, ["template"]);
});

const traffic = {
  service: "hello",
  project: "dev",
  traffic: [
    { type: "REVISION", revision: "hello-00001-abc", percent: 90 },
    { type: "REVISION", revision: "hello-00002-xyz", percent: 10, tag: "canary" },
  ],
};
const trafficState = { ...traffic, statuses: [{ type: "REVISION", revision: "hello-00001-abc", percent: 90 }] };

test("a traffic target with the same list has no changes", (t) => {
  t.false(diffTrafficTarget(trafficState, traffic).changes);
});

test("a new split is an in-place update of the traffic target", (t) => {
  const news = { ...traffic, traffic: [{ type: "LATEST", percent: 100 }] };
  t.deepEqual(diffTrafficTarget(trafficState, news), {
    changes: true,
    replaces: [],
    stables: ["service", "project"],
    deleteBeforeReplace: false,
  });
});

test("a traffic target moved to another service or project is replaced", (t) => {
  t.deepEqual(diffTrafficTarget(trafficState, { ...traffic, service: "other" }).replaces, ["service"]);
  t.deepEqual(diffTrafficTarget(trafficState, { ...traffic, project: "prod" }).replaces, ["project"]);
});

const mapping = { domain: "api.example.test", service: "hello", project: "dev" };
const mappingState = { ...mapping, url: "http://api.example.test:8080", status: "READY" };

test("a domain mapping with unchanged inputs has no changes", (t) => {
  t.false(diffDomainMapping(mappingState, mapping).changes);
  t.deepEqual(Object.keys(domainMappingDiffTable).sort(), ["domain", "project", "service"]);
});

test("a domain mapping moved to another service is replaced, the old mapping deleted first", (t) => {
  // The engine maps a domain to one service at a time, so the new mapping can only follow the old one.
  t.deepEqual(diffDomainMapping(mappingState, { ...mapping, service: "other" }), {
    changes: true,
    replaces: ["service"],
    stables: ["domain", "project"],
    deleteBeforeReplace: true,
  });
  t.true(diffDomainMapping(mappingState, { ...mapping, project: "prod" }).deleteBeforeReplace);
});

test("a domain mapping for a new domain is replaced with the new one created first", (t) => {
  const d = diffDomainMapping(mappingState, { ...mapping, domain: "www.example.test" });
  t.deepEqual(d.replaces, ["domain"]);
  t.false(d.deleteBeforeReplace);
});

test("a skiff.Service's description, default URL switch and service scaling update in place", (t) => {
  for (const field of ["description", "defaultUriDisabled", "scaling"]) t.is(serviceDiffTable[field], "update", field);
  const olds = { name: "web", project: "dev", template, labels: {}, ingress: "all" };
  const decision = diffService(olds, { ...olds, scaling: { scalingMode: "MANUAL", manualInstanceCount: 2 } });
  t.true(decision.changes);
  t.deepEqual(decision.replaces, []);
});
