import test from "ava";
import { emptyService, type CurrentState } from "../../sdk/review/current-state";
import { code, trafficTable } from "../../sdk/review/markdown";
import { kindOfType, resourceChanges, withSecretsMarked, type PreviewJson, type PreviewStep } from "../../sdk/review/preview-json";
import { buildReport } from "../../sdk/review/report";
import { compareTemplates } from "../../sdk/review/service-changes";
import { UNKNOWN } from "../../sdk/preview-values/unknowns";

// The pieces of the report's logic on small hand-made previews: reading Pulumi's steps, secrets in
// either form, which new revision an unknown traffic entry names, and Markdown that survives any name.

const T = "pulumi-nodejs:dynamic/skiff";
const urn = (type: string, name: string) => `urn:pulumi:dev::prog::${T}:${type}::${name}`;
const template = (env: Record<string, string>) => ({
  image: "img:1",
  env,
  port: 8080,
  maxInstanceRequestConcurrency: 80,
  scaling: { minInstanceCount: 0, maxInstanceCount: 100 },
  timeout: 300,
  resources: { cpu: "1", memory: "512Mi" },
  startupProbe: { initialDelaySeconds: 0, timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1 },
});

function state(routed: { revision: string; percent: number; tag?: string }[], revisions: string[]): CurrentState {
  const s = {
    ...emptyService("dev", "web"),
    exists: true,
    routed,
    traffic: routed.map((r) => ({ type: "REVISION" as const, ...r })),
    latestCreatedRevision: "web-00001-aaa",
    latestReadyRevision: "web-00001-aaa",
    template: template({}),
  };
  s.revisions = Object.fromEntries(revisions.map((name) => [name, { name, template: template({ COLOR: name }), imageDigest: "sha256:1" }]));
  return { source: "engine", services: { "dev/web": s }, domainMappings: {}, images: {} };
}

const revisionStep = (op: string, name: string, color: string, id?: string): PreviewStep => ({
  op,
  urn: urn("Revision", name),
  ...(id
    ? {
        oldState: {
          id,
          type: `${T}:Revision`,
          inputs: { service: "web", project: "dev", template: template({ COLOR: "old" }) },
          outputs: {},
        },
      }
    : {}),
  newState: {
    type: `${T}:Revision`,
    inputs: { service: "web", project: "dev", template: template({ COLOR: color }), name: "new revision of web" },
  },
});

test("type tokens name skiff's kinds, pulumi-gcp's shapes included; anything else is not skiff's", (t) => {
  t.is(kindOfType(`${T}:Service`), "Service");
  t.is(kindOfType(`${T}/cloudrunv2:ServiceIamMember`), "cloudrunv2:ServiceIamMember");
  t.is(kindOfType(`${T}/cloudrun:DomainMapping`), "cloudrun:DomainMapping");
  t.is(kindOfType("pulumi-nodejs:dynamic:Resource"), undefined);
  t.is(kindOfType(`${T}:Unheard`), undefined);
});

test("a replace Pulumi prints as create-replacement, replace and delete-replaced is one change", (t) => {
  const old = { id: "web-00002-bbb", type: `${T}:Revision`, inputs: { service: "web", project: "dev" }, outputs: {} };
  const fresh = { type: `${T}:Revision`, inputs: { service: "web", project: "dev" } };
  const steps: PreviewStep[] = [
    { op: "create-replacement", urn: urn("Revision", "c"), oldState: old, newState: fresh },
    { op: "replace", urn: urn("Revision", "c"), oldState: old, newState: fresh },
    { op: "delete-replaced", urn: urn("Revision", "c"), oldState: old },
  ];
  const changes = resourceChanges({ steps });
  t.deepEqual(
    changes.map((c) => [c.op, c.id, c.name]),
    [["replace", "web-00002-bbb", "c"]],
  );
});

test("secrets in either form, [secret] or the envelope a state export holds, are one marker; the provider's source is dropped", (t) => {
  const envelope = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" };
  t.deepEqual(withSecretsMarked({ env: { A: envelope, B: "[secret]", C: "plain" }, __provider: "exports.handler = ..." }), {
    env: { A: "[secret]", B: "[secret]", C: "plain" },
  });
});

test("templates that differ only in secret values are 'maybe'; a visible difference is 'changed'", (t) => {
  const secrets = new Set(["TOKEN"]);
  t.is(compareTemplates(template({ TOKEN: "plain-from-engine" }), template({ TOKEN: "[secret]" }), secrets), "maybe");
  t.is(compareTemplates(template({ TOKEN: "x", A: "1" }), template({ TOKEN: "[secret]", A: "2" }), secrets), "changed");
  t.is(compareTemplates(template({ A: "1" }), template({ A: "1" }), new Set()), "same");
  t.is(compareTemplates(template({ A: "1" }), template({ A: UNKNOWN }), new Set()), "maybe");
});

test("an unknown entry that named a replaced revision names its replacement; a second new revision is found by elimination", (t) => {
  const preview: PreviewJson = {
    steps: [
      revisionStep("replace", "blue", "blue2", "web-00002-bbb"),
      revisionStep("create", "green", "green"),
      {
        op: "update",
        urn: urn("TrafficTarget", "web"),
        oldState: {
          id: "web",
          type: `${T}:TrafficTarget`,
          inputs: {
            service: "web",
            project: "dev",
            traffic: [
              { type: "REVISION", revision: "web-00001-aaa", percent: 80 },
              { type: "REVISION", revision: "web-00002-bbb", percent: 20, tag: "blue" },
            ],
          },
          outputs: {},
        },
        newState: {
          type: `${T}:TrafficTarget`,
          inputs: {
            service: "web",
            project: "dev",
            traffic: [
              { type: "REVISION", revision: "new revision of web", percent: 70, tag: "green" },
              { type: "REVISION", revision: "new revision of web", percent: 30, tag: "blue" },
            ],
          },
          propertyDependencies: { traffic: [urn("Revision", "blue"), urn("Revision", "green")] },
        },
      },
    ],
  };
  const r = buildReport(
    preview,
    state(
      [
        { revision: "web-00001-aaa", percent: 80 },
        { revision: "web-00002-bbb", percent: 20, tag: "blue" },
      ],
      ["web-00001-aaa", "web-00002-bbb"],
    ),
  );
  const web = r.services[0];
  t.deepEqual(
    web.traffic.map((x) => `${x.revision} ${x.before} → ${x.after} [${x.tagsAfter}]`),
    [
      "web-00001-aaa 80 → 0 []",
      "web-00002-bbb 20 → 0 []",
      "new revision (Revision green) 0 → 70 [green]",
      "new revision (Revision blue) 0 → 30 [blue]",
    ],
  );
  t.deepEqual(r.unknowns, []);
});

test("two new revisions and no way to tell which an entry names: the report says so instead of guessing", (t) => {
  const preview: PreviewJson = {
    steps: [
      revisionStep("create", "a", "a"),
      revisionStep("create", "b", "b"),
      {
        op: "create",
        urn: urn("TrafficTarget", "web"),
        newState: {
          type: `${T}:TrafficTarget`,
          inputs: {
            service: "web",
            project: "dev",
            traffic: [
              { type: "REVISION", revision: UNKNOWN, percent: 50 },
              { type: "REVISION", revision: UNKNOWN, percent: 50 },
            ],
          },
        },
      },
    ],
  };
  const r = buildReport(preview, state([{ revision: "web-00001-aaa", percent: 100 }], ["web-00001-aaa"]));
  t.deepEqual(r.unknowns, [
    "web: traffic entry 1 (50 %) names a revision not known at preview: one of Revision a, Revision b",
    "web: traffic entry 2 (50 %) names a revision not known at preview: one of Revision a, Revision b",
  ]);
  t.deepEqual(
    r.services[0].traffic.map((x) => `${x.revision} ${x.before} → ${x.after}`),
    ["web-00001-aaa 100 → 0", "new revision (Revision a) 0 → 0", "new revision (Revision b) 0 → 0"],
  );
});

test("Markdown: names with backticks or pipes cannot break the table or the code spans", (t) => {
  t.is(code("plain"), "`plain`");
  t.is(code("a`b"), "`` a`b ``");
  const [, , row] = trafficTable([
    { revision: "x|y", name: "x|y", new: false, tagsBefore: [], tagsAfter: [], before: 10, after: null, deleted: false },
  ]);
  t.is(row, "| `x\\|y` |  | 10 % | ? % |");
});
