import { readFileSync } from "node:fs";
import * as path from "node:path";
import test from "ava";
import { stateFromPreview, type CurrentState } from "../../sdk/review/current-state";
import { renderMarkdown } from "../../sdk/review/markdown";
import { resourceChanges, type PreviewJson } from "../../sdk/review/preview-json";
import { buildReport, type ReviewReport } from "../../sdk/review/report";

// The report's logic on previews recorded from the examples under the real CLI, each with what the
// engine ran at that moment (test/fixtures/review/record.js): who gets what traffic before and
// after, what each new revision changes, the risks, the jobs, and that no secret is ever printed.

interface Fixture {
  preview: PreviewJson;
  state: CurrentState;
}

function fixture(name: string): Fixture {
  const file = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "review", `${name}.json`);
  return JSON.parse(readFileSync(file, "utf8")) as Fixture;
}

function report(name: string): ReviewReport {
  const { preview, state } = fixture(name);
  return buildReport(preview, state);
}

const service = (r: ReviewReport, name: string) => {
  const s = r.services.find((x) => x.name === name);
  if (!s) throw new Error(`no service ${name} in the report: ${r.services.map((x) => x.name).join(", ")}`);
  return s;
};
const rows = (r: ReviewReport, name: string) =>
  service(r, name).traffic.map(
    (t) =>
      `${t.revision}${t.new ? " (new)" : ""}${t.deleted ? " (deleted)" : ""} [${t.tagsBefore}→${t.tagsAfter}] ${t.before} → ${t.after}`,
  );
const rules = (r: ReviewReport) => r.risks.map((x) => x.rule);

test("hello-canary's second phase: the stable revision goes 100 → 90 %, the new canary 0 → 10 % with its tag", (t) => {
  const r = report("hello-canary-phase2-10");
  t.deepEqual(
    r.services.map((s) => s.name),
    ["hello"],
  );
  t.deepEqual(rows(r, "hello"), ["hello-00001-sux [→] 100 → 90", "new revision (Revision hello-canary) (new) [→canary] 0 → 10"]);
  t.is(service(r, "hello").trafficSource, "TrafficTarget hello");
  t.deepEqual(r.risks, []);
});

test("the canary's changes against the revision it takes traffic from: exactly GREETING, and the secret API_KEY masked", (t) => {
  const r = report("hello-canary-phase2-10");
  const [canary] = service(r, "hello").revisions;
  t.is(canary.against, "hello-00001-sux");
  t.is(canary.madeBy, "Revision hello-canary");
  t.deepEqual(canary.changes, [
    { field: "env GREETING", before: '"Hello from the stable revision"', after: '"Hello from the canary"' },
    { field: "env API_KEY", before: "[secret]", after: "[secret]", note: "a secret: the preview does not show whether it changes" },
  ]);
});

test("no secret value reaches the report, though the engine's copy of the template holds it in plain text", (t) => {
  const { preview, state } = fixture("hello-canary-phase2-10");
  t.true(JSON.stringify(state).includes("s3cr3t-api-key"), "the recorded engine state holds the plain value");
  const r = buildReport(preview, state);
  t.false(JSON.stringify(r).includes("s3cr3t-api-key"));
  t.false(renderMarkdown(r).includes("s3cr3t-api-key"));
});

test("100 % at once to the never-served canary is a risk; a 5 % canary is not", (t) => {
  const atOnce = report("hello-canary-phase2-100");
  t.deepEqual(rows(atOnce, "hello"), ["hello-00001-sux [→] 100 → 0", "new revision (Revision hello-canary) (new) [→canary] 0 → 100"]);
  t.deepEqual(atOnce.risks, [
    {
      service: "hello",
      rule: "sudden-shift",
      text: "new revision (Revision hello-canary) goes from 0 % to 100 % of hello's traffic at once",
      reason:
        "it has never served: a problem in it reaches more than 50 % of users before anyone sees it; a canary (a few percent, with a tag) would show it first",
    },
  ]);
  const canary = report("hello-canary-phase2-5");
  t.deepEqual(rows(canary, "hello"), ["hello-00001-sux [→] 100 → 95", "new revision (Revision hello-canary) (new) [→canary] 0 → 5"]);
  t.deepEqual(rules(canary), []);
});

test("a new image for api alone: the report is about api only, its new revision taking 100 %", (t) => {
  const r = report("staging-api-image");
  t.deepEqual(
    r.services.map((s) => s.name),
    ["api"],
  );
  t.deepEqual(rows(r, "api"), ["api-00001-asg [→] 100 → 0", "new revision (Service api) (new) [→] 0 → 100"]);
  t.deepEqual(service(r, "api").revisions[0].changes, [
    { field: "image", before: '"skiff-test/fixture:06138328e9f2"', after: '"skiff-test/fixture:rev-exp-alt"' },
  ]);
  t.deepEqual(rules(r), ["sudden-shift"]);
  t.false(renderMarkdown(r).includes("web"));
});

test("migrate-then-shift's next release: the migration executes before web's traffic moves, and up waits for it", (t) => {
  const r = report("migrate-then-shift-v2");
  t.deepEqual(
    r.jobs.map(({ job, why, waits, waitedForBy }) => ({ job, why, waits, waitedForBy })),
    [
      {
        job: "migrate",
        why: "its template changes",
        waits: true,
        waitedForBy: [{ resource: "TrafficTarget web", what: "web's traffic moves" }],
      },
    ],
  );
  t.deepEqual(r.jobs[0].changes, [{ field: "env SCHEMA_VERSION", before: '"v1"', after: '"v2"' }]);
  t.deepEqual(service(r, "web").notes, [
    "TrafficTarget web waits for job migrate: web's traffic changes only after that execution succeeded",
  ]);
  t.deepEqual(rows(r, "web"), ["web-00002-evv (deleted) [→] 100 → 0", "new revision (Revision web-next) (new) [→] 0 → 100"]);
  t.true(
    renderMarkdown(r).includes(
      "- `migrate` executes before web's traffic moves (TrafficTarget `web` waits for it): its template changes; `pulumi up` waits for it and stops if it fails.",
    ),
  );
});

test("a replaced candidate: its entry and tag move to the replacement; the old one is deleted once its traffic moved", (t) => {
  const r = report("candidate-color");
  t.deepEqual(rows(r, "web"), [
    "web-00001-mlx [→] 80 → 80",
    "web-00002-bar (deleted) [canary→] 20 → 0",
    "new revision (Revision web-candidate) (new) [→canary] 0 → 20",
  ]);
  const [candidate] = service(r, "web").revisions;
  t.is(candidate.against, "web-00002-bar");
  t.deepEqual(candidate.changes, [{ field: "env COLOR", before: '"blue"', after: '"purple"' }], "the same image: no digest line");
  t.deepEqual(rules(r), ["serving-revision-deleted"]);
});

test("every risk rule, with its reason: lowered limits, a removed tag, a serving revision deleted, a service going private", (t) => {
  const r = report("assorted-risks");
  t.deepEqual(rules(r), [
    "sudden-shift",
    "tag-removed",
    "serving-revision-deleted",
    "concurrency-lowered",
    "memory-lowered",
    "max-instances-lowered",
    "becomes-private",
  ]);
  t.deepEqual(service(r, "shop").access, { before: "public", after: "private" });
  t.deepEqual(r.domainMappings, [{ domain: "shop.example.test", before: "shop", after: "other" }]);
  t.deepEqual(r.deleted, [{ resource: "Revision shop-beta", id: "shop-00002-nfz" }]);
  t.deepEqual(rows(r, "shop"), [
    "shop-00001-sip [→] 90 → 0",
    "shop-00002-nfz (deleted) [beta→] 10 → 0",
    "new revision (Service shop) (new) [→] 0 → 100",
  ]);
  const memory = r.risks.find((x) => x.rule === "memory-lowered");
  t.is(memory?.text, 'new revision (Service shop) lowers its memory from "512Mi" to "256Mi"');
});

test("a cloudrunv2 service: its named revision, its traffics, and the job its update waits for", (t) => {
  const r = report("cloudrunv2-canary");
  t.deepEqual(rows(r, "hello"), ["hello-v1 [→] 100 → 90", "hello-v2 (new) [→canary] 0 → 10"]);
  t.deepEqual(
    service(r, "hello").revisions.map((x) => [x.name, x.against, x.changes]),
    [["hello-v2", "hello-v1", [{ field: "env GREETING", before: '"Hello from release v1"', after: '"Hello from release v2"' }]]],
  );
  t.deepEqual(
    r.jobs.map((j) => [j.job, j.why, j.waitedForBy.map((w) => w.what)]),
    [["migrate", 'its execution token changes ("v1" → "v2")', ["service hello changes"]]],
  );
});

test("with no engine to read, before comes from the Pulumi state, and what is not there is a question mark", (t) => {
  const { preview } = fixture("migrate-then-shift-v2");
  const fromState = buildReport(preview, stateFromPreview(resourceChanges(preview), "no engine runs in /tmp/x"));
  t.deepEqual(fromState.before, { source: "state", reason: "no engine runs in /tmp/x" });
  t.deepEqual(rows(fromState, "web"), ["web-00002-evv (deleted) [→] 100 → 0", "new revision (Revision web-next) (new) [→] 0 → 100"]);

  const canary = fixture("hello-canary-phase2-10").preview;
  const unknown = buildReport(canary, stateFromPreview(resourceChanges(canary), "no engine runs in /tmp/x"));
  t.deepEqual(rows(unknown, "hello"), ["hello-00001-sux [→] null → 90", "new revision (Revision hello-canary) (new) [→canary] 0 → 10"]);
  t.true(
    unknown.unknowns.some((u) => u.startsWith("hello: what it serves now is not in the preview")),
    unknown.unknowns.join("\n"),
  );
  t.true(renderMarkdown(unknown).includes("| `hello-00001-sux` |  | ? % | 90 % |"));
});

test("a service's own settings (ingress, default URL, service scaling) are listed apart, each with its risk", (t) => {
  // The recorded cloudrunv2 update, its Service given new service-level settings (they make no revision).
  const { preview, state } = fixture("cloudrunv2-canary");
  const step = (preview.steps ?? []).find((s) => s.urn.endsWith("cloudrunv2:Service::hello"))!;
  const inputs = (step.newState as { inputs: Record<string, unknown> }).inputs;
  Object.assign(inputs, {
    ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY",
    defaultUriDisabled: true,
    scaling: { scalingMode: "MANUAL", manualInstanceCount: 2 },
  });
  const r = buildReport(preview, state);
  t.deepEqual(service(r, "hello").settings, [
    { field: "ingress", before: "all", after: "internal" },
    { field: "default URL", before: "enabled", after: "disabled" },
    { field: "service scaling", before: "automatic", after: "manual, 2 instances" },
  ]);
  t.deepEqual(
    r.risks.map((x) => [x.rule, x.text]),
    [
      ["ingress-narrowed", "hello's ingress goes from all to internal"],
      ["default-url-disabled", "hello's default URL is disabled"],
      ["service-instances-capped", "hello's scaling goes from automatic to manual, 2 instances"],
    ],
  );
  const markdown = renderMarkdown(r);
  t.true(
    markdown.includes("Service settings (at once, for every revision; no new revision):\n- `ingress`: `all` → `internal`\n"),
    markdown,
  );

  // What runs now wins over the resource's old inputs: an engine already at 2 manual instances shows no scaling change.
  const engineNow = structuredClone(state);
  engineNow.services["crp/hello"].serviceScaling = { scalingMode: "MANUAL", manualInstanceCount: 2 };
  t.deepEqual(
    service(buildReport(preview, engineNow), "hello").settings.map((c) => c.field),
    ["ingress", "default URL"],
  );
  // The recorded update itself changes none of them.
  t.deepEqual(service(report("cloudrunv2-canary"), "hello").settings, []);
});

test("a lower service maximum is a risk, a higher one is not", (t) => {
  const withScaling = (before: Record<string, unknown>, after: Record<string, unknown>) => {
    const { preview, state } = fixture("cloudrunv2-canary");
    const step = (preview.steps ?? []).find((s) => s.urn.endsWith("cloudrunv2:Service::hello"))!;
    (step.newState as { inputs: Record<string, unknown> }).inputs.scaling = after;
    state.services["crp/hello"].serviceScaling = before;
    return buildReport(preview, state);
  };
  const lowered = withScaling({ scalingMode: "AUTOMATIC", maxInstanceCount: 10 }, { maxInstanceCount: 4 });
  t.deepEqual(service(lowered, "hello").settings, [{ field: "service scaling", before: "automatic, max 10", after: "automatic, max 4" }]);
  t.deepEqual(rules(lowered), ["service-instances-capped"]);
  const raised = withScaling({ scalingMode: "AUTOMATIC", maxInstanceCount: 4 }, { maxInstanceCount: 10, minInstanceCount: 1 });
  t.deepEqual(service(raised, "hello").settings, [
    { field: "service scaling", before: "automatic, max 4", after: "automatic, min 1, max 10" },
  ]);
  t.deepEqual(rules(raised), []);
});
