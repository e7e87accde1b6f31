import test from "ava";
import { cloudRunJobPathOf } from "../../provider/knative/job-from-cloud-run";
import { planReplace } from "../../provider/knative/service-from-knative";
import { SkiffError } from "../../provider/model/errors";
import { parseSetTrafficBody, validateTraffic } from "../../provider/model/traffic";
import { parseServiceTemplate } from "../../provider/model/template";
import { describeField, useFieldNamer } from "../../provider/cli/output";

// An error about a file's field names the field as the file has it: a sidecar's at its own index
// among the containers, the ingress container's at its (the one with ports, wherever it is listed).

/** A Service whose sidecar is listed first and whose ingress container second. */
const twoContainers = (side: Record<string, unknown>, app: Record<string, unknown> = {}) => ({
  apiVersion: "serving.knative.dev/v1",
  kind: "Service",
  metadata: { name: "pair" },
  spec: {
    template: {
      spec: {
        containers: [
          { name: "side", image: "side:1", ...side },
          { name: "app", image: "app:1", ports: [{ containerPort: 8080 }], ...app },
        ],
      },
    },
  },
});

function violationsOf(doc: unknown): string[] {
  const plan = planReplace(doc, "default");
  try {
    parseServiceTemplate(plan.spec.template);
  } catch (error) {
    if (!(error instanceof SkiffError)) throw error;
    return error.violations.map((v) => plan.pathOf(v.field));
  }
  throw new Error("the template was accepted");
}

test("a sidecar's bad field is named at its container's index, the ingress container's at its own", (t) => {
  t.deepEqual(violationsOf(twoContainers({ env: [{ name: "PORT", value: "1" }] })), ["spec.template.spec.containers[0].env"]);
  t.deepEqual(violationsOf(twoContainers({ resources: { limits: { cpu: "lots" } } })), [
    "spec.template.spec.containers[0].resources.limits.cpu",
  ]);
  t.deepEqual(violationsOf(twoContainers({}, { resources: { limits: { memory: "1" } } })), [
    "spec.template.spec.containers[1].resources.limits.memory",
  ]);
});

test("services replace and jobs replace print a sidecar's field as the file names it, with the engine's name after it", (t) => {
  const plan = planReplace(twoContainers({}), "default");
  useFieldNamer(plan.pathOf);
  t.is(describeField("template.sidecars[0].env.PORT"), "spec.template.spec.containers[0].env (template.sidecars[0].env.PORT)");
  t.is(describeField("template.port"), "spec.template.spec.containers[1].ports[0].containerPort (template.port)");
  useFieldNamer(cloudRunJobPathOf);
  t.is(
    describeField("template.sidecars[0].resources.cpu"),
    "spec.template.spec.template.spec.containers[1].resources.limits.cpu (template.sidecars[0].resources.cpu)",
  );
});

test("a cloud-only template annotation is ignored with a note, but a value Cloud Run refuses is refused, naming it", (t) => {
  const withAnnotations = (annotations: Record<string, unknown>) => {
    const doc = twoContainers({});
    (doc.spec.template as Record<string, unknown>).metadata = { annotations };
    return doc;
  };
  const plan = planReplace(
    // gcloud run deploy itself sends startup-cpu-boost: "True".
    withAnnotations({
      "run.googleapis.com/cpu-throttling": "false",
      "run.googleapis.com/startup-cpu-boost": "True",
      "run.googleapis.com/execution-environment": "gen2",
    }),
    "default",
  );
  t.deepEqual(plan.ignored, [
    "spec.template.metadata.annotations.run.googleapis.com/cpu-throttling",
    "spec.template.metadata.annotations.run.googleapis.com/startup-cpu-boost",
    "spec.template.metadata.annotations.run.googleapis.com/execution-environment",
  ]);
  const refused = t.throws(() => planReplace(withAnnotations({ "run.googleapis.com/cpu-throttling": "maybe" }), "default"), {
    instanceOf: SkiffError,
  });
  t.deepEqual(refused?.violations, [
    { field: "spec.template.metadata.annotations.run.googleapis.com/cpu-throttling", reason: 'must be true or false, got "maybe"' },
  ]);
  t.throws(() => planReplace(withAnnotations({ "run.googleapis.com/execution-environment": "gen3" }), "default"), {
    message: /gen1 or gen2/,
  });
});

test("spec.traffic latestRevision: false pins the entry, so one without a revisionName is refused, not read as LATEST", (t) => {
  const doc = (traffic: unknown[]) => ({ ...twoContainers({}), spec: { ...twoContainers({}).spec, traffic } });
  t.deepEqual(planReplace(doc([{ latestRevision: false, revisionName: "pair-v1", percent: 100 }]), "default").spec.traffic, [
    { type: "REVISION", revision: "pair-v1", percent: 100 },
  ]);
  const plan = planReplace(doc([{ latestRevision: false, percent: 100 }]), "default");
  const error = t.throws(() => validateTraffic(parseSetTrafficBody({ traffic: plan.spec.traffic }), []), { instanceOf: SkiffError });
  t.deepEqual(
    error?.violations.map((v) => `${plan.pathOf(v.field)}: ${v.reason}`),
    ["spec.traffic[0].revisionName: is required when type is REVISION"],
  );
});
