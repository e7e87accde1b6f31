import test from "ava";
import { UNKNOWN } from "../../sdk/preview-values/unknowns";
import { diffGcpDomainMapping, gcpDomainMappingDiffTable } from "../../sdk/diff/cloudrun-domain-mapping";
import { diffGcpJob } from "../../sdk/diff/cloudrunv2-job";
import { diffGcpService, gcpServiceDiffTable } from "../../sdk/diff/cloudrunv2-service";

// The diff tables: a changed image is an in-place update of the template (a new revision), a new
// name replaces, fields without local meaning update harmlessly, and unchanged inputs are no change
// whatever the outputs beside them.

const inputs = (image = "img:1", extra: Record<string, unknown> = {}) => ({
  name: "hello",
  skiffProject: "dev",
  project: "dev",
  location: "us-central1",
  template: { containers: [{ image, envs: [{ name: "A", value: "1" }] }], timeout: "300s" },
  traffics: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }],
  ...extra,
});
const outputsOf = (i: Record<string, unknown>) => ({
  ...i,
  uri: "http://hello.dev.localhost:8080",
  generation: "3",
  trafficStatuses: [],
  __provider: "text",
});

test("unchanged inputs are no change, whatever the outputs and the provider text beside them", (t) => {
  t.deepEqual(diffGcpService(outputsOf(inputs()), inputs()), {
    changes: false,
    replaces: [],
    stables: ["name", "skiffProject"],
    deleteBeforeReplace: false,
  });
});

test("a changed image is an in-place update of the template", (t) => {
  const d = diffGcpService(outputsOf(inputs()), inputs("img:2"));
  t.true(d.changes);
  t.deepEqual(d.replaces, []);
});

test("a new name or skiff project replaces the service", (t) => {
  t.deepEqual(diffGcpService(outputsOf(inputs()), inputs("img:1", { name: "other" })).replaces, ["name"]);
  t.deepEqual(diffGcpService(outputsOf(inputs()), inputs("img:1", { skiffProject: "prod" })).replaces, ["skiffProject"]);
});

test("traffics, labels, ingress, scaling and fields without local meaning update in place", (t) => {
  for (const extra of [
    { traffics: [] },
    { labels: { a: "b" } },
    { ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY" },
    { scaling: { minInstanceCount: 1 } },
    { location: "europe-west1" },
    { project: "another-gcp-project" },
    { deletionProtection: false },
  ]) {
    const d = diffGcpService(outputsOf(inputs()), inputs("img:1", extra));
    t.true(d.changes, JSON.stringify(extra));
    t.deepEqual(d.replaces, [], JSON.stringify(extra));
  }
});

test("an input unknown at preview counts as a change", (t) => {
  t.true(diffGcpService(outputsOf(inputs()), inputs(UNKNOWN)).changes);
});

test("every top-level pulumi-gcp Service argument is in the table", (t) => {
  const gcpArguments = [
    "annotations",
    "binaryAuthorization",
    "buildConfig",
    "client",
    "clientVersion",
    "customAudiences",
    "defaultUriDisabled",
    "deletionPolicy",
    "deletionProtection",
    "description",
    "iapEnabled",
    "ingress",
    "invokerIamDisabled",
    "labels",
    "launchStage",
    "location",
    "multiRegionSettings",
    "name",
    "project",
    "scaling",
    "tags",
    "template",
    "traffics",
  ];
  t.deepEqual(
    gcpArguments.filter((key) => gcpServiceDiffTable[key] === undefined),
    [],
  );
});

test("a job's new runExecutionToken is an update (it runs an execution); a new name replaces it", (t) => {
  const job = {
    name: "migrate",
    skiffProject: "dev",
    location: "l",
    runExecutionToken: "v1",
    template: { template: { containers: [{ image: "a" }] } },
  };
  t.deepEqual(diffGcpJob({ ...job, executionCount: 1 }, job).changes, false);
  const d = diffGcpJob(job, { ...job, runExecutionToken: "v2" });
  t.true(d.changes);
  t.deepEqual(d.replaces, []);
  t.deepEqual(diffGcpJob(job, { ...job, name: "other" }).replaces, ["name"]);
});

test("a mapping's new service replaces it, the old one deleted first; metadata updates in place", (t) => {
  const m = { name: "a.example.test", skiffProject: "dev", location: "l", metadata: { namespace: "p" }, spec: { routeName: "hello" } };
  t.false(diffGcpDomainMapping({ ...m, statuses: [] }, m).changes);
  t.deepEqual(diffGcpDomainMapping(m, { ...m, spec: { routeName: "other" } }), {
    changes: true,
    replaces: ["spec"],
    stables: ["name", "skiffProject"],
    deleteBeforeReplace: true,
  });
  t.deepEqual(diffGcpDomainMapping(m, { ...m, spec: { routeName: "hello", certificateMode: "NONE" } }).replaces, []);
  t.deepEqual(diffGcpDomainMapping(m, { ...m, metadata: { namespace: "q" } }).replaces, []);
  const newDomain = diffGcpDomainMapping(m, { ...m, name: "b.example.test" });
  t.deepEqual([newDomain.replaces, newDomain.deleteBeforeReplace], [["name"], false]);
  t.is(gcpDomainMappingDiffTable.name, "replace");
});
