import test from "ava";
import { gcpServiceAtPreview, knownAtPreview, revisionAtPreview, serviceAtPreview } from "../../sdk/check/known-at-preview";
import { checkRevisionInputs } from "../../sdk/check/revision";
import { checkTrafficTargetInputs } from "../../sdk/check/traffic-target";
import { gcpServiceDiffTable } from "../../sdk/diff/cloudrunv2-service";
import { diffRevision, revisionDiffTable } from "../../sdk/diff/revision";
import { serviceDiffTable } from "../../sdk/diff/service";
import { isPlaceholder, newRevisionPlaceholder, serviceOfPlaceholder } from "../../sdk/preview-values/placeholders";
import { UNKNOWN } from "../../sdk/preview-values/unknowns";

// Outputs `check` writes beside the inputs because they can be known before `pulumi up`: a
// Service's URL while it keeps its name, a Revision's name, readiness and digest. They never make a
// diff, and a placeholder name is as unknown as Pulumi's marker to whatever validates it.

const template = { image: "img:1", env: { COLOR: "blue" } };

test("a service's url is its project, name and the running engine's ingress port, from its create on", (t) => {
  const olds = { name: "api", project: "dev", url: "http://api.dev.localhost:7000" };
  t.deepEqual(serviceAtPreview(olds, { name: "api", project: "dev" }, { ingressPort: 8080 }), { url: "http://api.dev.localhost:8080" });
  t.deepEqual(
    serviceAtPreview({}, { name: "api", project: "default" }, { ingressPort: 9000 }),
    { url: "http://api.localhost:9000" },
    "a create",
  );
  t.deepEqual(
    serviceAtPreview(olds, { name: "api2", project: "dev" }, { ingressPort: 8080 }),
    { url: "http://api2.dev.localhost:8080" },
    "a rename: the new URL",
  );
  t.deepEqual(serviceAtPreview(olds, { name: UNKNOWN, project: "dev" }, { ingressPort: 8080 }), {});
});

test("with no engine running, a service keeps the URL its state has, and a new one gets the port the engine would start on", (t) => {
  const olds = { name: "api", project: "dev", url: "http://api.dev.localhost:7000" };
  t.deepEqual(serviceAtPreview(olds, { name: "api", project: "dev" }, { startPort: 8080 }), { url: "http://api.dev.localhost:7000" });
  t.deepEqual(serviceAtPreview(olds, { name: "api2", project: "dev" }, { startPort: 8080 }), { url: "http://api2.dev.localhost:8080" });
  t.deepEqual(serviceAtPreview({}, { name: "api", project: "dev" }, {}), {}, "no engine and none to start: not known");
});

test("a cloudrunv2 service's uri and urls follow the same rule with skiff's project", (t) => {
  const olds = { name: "web", skiffProject: "dev", project: "gcp-project", uri: "http://web.dev.localhost:7000" };
  t.deepEqual(gcpServiceAtPreview(olds, { ...olds }, { ingressPort: 8080 }), {
    uri: "http://web.dev.localhost:8080",
    urls: ["http://web.dev.localhost:8080"],
  });
  t.deepEqual(gcpServiceAtPreview(olds, { ...olds }, { startPort: 8080 }), {
    uri: "http://web.dev.localhost:7000",
    urls: ["http://web.dev.localhost:7000"],
  });
});

test("a revision named by its program is known by name; otherwise it is 'new revision of <service>'", (t) => {
  t.deepEqual(revisionAtPreview({ service: "web", revisionSuffix: "blue" }, { imageId: "sha256:abc" }), {
    name: "web-blue",
    ready: true,
    imageDigest: "sha256:abc",
  });
  t.deepEqual(revisionAtPreview({ service: "web" }, {}), { name: "new revision of web", ready: true });
  t.deepEqual(revisionAtPreview({ service: UNKNOWN }, {}), { name: UNKNOWN, ready: true });
  t.deepEqual(revisionAtPreview({ service: "web", revisionSuffix: UNKNOWN }, {}), { name: UNKNOWN, ready: true });
});

test("placeholders read back as the service they name, and no revision name is one", (t) => {
  t.true(isPlaceholder(newRevisionPlaceholder("web")));
  t.is(serviceOfPlaceholder("new revision of web"), "web");
  t.false(isPlaceholder("web-00002-abc"));
  t.is(serviceOfPlaceholder("web-00002-abc"), undefined);
});

test("no value known at preview is in a diff table, so none of them is ever a change", (t) => {
  const tables: [string, Record<string, unknown>][] = [
    ["Service", serviceDiffTable],
    ["cloudrunv2.Service", gcpServiceDiffTable],
    ["Revision", revisionDiffTable],
  ];
  for (const [kind, table] of tables) {
    const keys = knownAtPreview[kind as keyof typeof knownAtPreview];
    t.deepEqual(
      keys.filter((key) => key in table),
      [],
      kind,
    );
  }
  const olds = { service: "web", project: "dev", template, name: "web-00002-abc", imageDigest: "sha256:old", ready: false };
  const news = { service: "web", project: "dev", template, name: "new revision of web", imageDigest: "sha256:new", ready: true };
  t.deepEqual(diffRevision(olds, news), {
    changes: false,
    replaces: [],
    stables: ["service", "project", "template", "revisionSuffix"],
    deleteBeforeReplace: false,
  });
});

test("revisionSuffix: validated as part of the revision's name, and a replace", (t) => {
  const ok = checkRevisionInputs({ service: "web", project: "dev", template, revisionSuffix: "blue" });
  t.deepEqual(ok.failures, []);
  t.is(ok.inputs.revisionSuffix, "blue");
  const bad = checkRevisionInputs({ service: "web", project: "dev", template, revisionSuffix: "Blue_1" });
  t.deepEqual(
    bad.failures.map((f) => f.property),
    ["revisionSuffix"],
  );
  t.regex(bad.failures[0].reason, /^"web-Blue_1" must be a DNS label/);
  const olds = {
    service: "web",
    project: "dev",
    template: checkRevisionInputs({ service: "web", project: "dev", template }).inputs.template,
    revisionSuffix: "blue",
  };
  t.deepEqual(diffRevision(olds, { ...olds, revisionSuffix: "green" }).replaces, ["revisionSuffix"]);
});

test("a new template under the same revisionSuffix fails at preview: the replacement could never be made", (t) => {
  const first = checkRevisionInputs({ service: "web", project: "dev", template, revisionSuffix: "blue" }).inputs;
  const changed = { image: "img:1", env: { COLOR: "green" } };
  const same = checkRevisionInputs({ service: "web", project: "dev", template: changed, revisionSuffix: "blue" }, { ...first });
  t.deepEqual(
    same.failures.map((f) => `${f.property}: ${f.reason}`),
    [
      'revisionSuffix: revision "web-blue" exists with another template, and revisions never change: a new template needs a new revisionSuffix',
    ],
  );
  t.deepEqual(
    checkRevisionInputs({ service: "web", project: "dev", template: changed, revisionSuffix: "green" }, { ...first }).failures,
    [],
  );
  t.deepEqual(
    checkRevisionInputs({ service: "web", project: "dev", template: { image: UNKNOWN }, revisionSuffix: "blue" }, { ...first }).failures,
    [],
    "an unknown template may be the same",
  );
  t.deepEqual(checkRevisionInputs({ service: "web", project: "dev", template, revisionSuffix: "blue" }, { ...first }).failures, []);
});

test("a traffic list naming two revisions not made yet passes check, and keeps their placeholders", (t) => {
  const { inputs, failures } = checkTrafficTargetInputs({
    service: "web",
    project: "dev",
    traffic: [
      { revision: "new revision of web", percent: 50 },
      { revision: "new revision of web", percent: 50, tag: "b" },
    ],
  });
  t.deepEqual(failures, []);
  t.deepEqual(
    inputs.traffic.map((e) => e.revision),
    ["new revision of web", "new revision of web"],
  );
});
