import test from "ava";
import { customAudiencesAfterDeploy, customAudiencesChange } from "../../provider/cli/audience-flags";
import { applyCustomAudiencesChange, customAudiencesSchema, MAX_CUSTOM_AUDIENCES_JSON_LENGTH } from "../../provider/model/custom-audiences";
import { parseServiceSpec } from "../../provider/model/service";
import { SkiffError } from "../../provider/model/errors";
import { parseServiceTemplate } from "../../provider/model/template";
import { serviceToKnative } from "../../provider/knative/objects";
import { planReplace } from "../../provider/knative/service-from-knative";
import { serviceObject } from "../helpers/service-object";

const SERVICE = serviceObject(parseServiceTemplate({ image: "img" }));

test("the model: non-empty strings, each once, the JSON list at most 32,768 characters (Cloud Run's limit)", (t) => {
  t.deepEqual(customAudiencesSchema.parse(["a", "https://x.example.com", "a"]), ["a", "https://x.example.com"]);
  t.deepEqual(customAudiencesSchema.parse([]), []);
  const atLimit = ["x".repeat(MAX_CUSTOM_AUDIENCES_JSON_LENGTH - 4)];
  t.is(JSON.stringify(atLimit).length, MAX_CUSTOM_AUDIENCES_JSON_LENGTH);
  t.true(customAudiencesSchema.safeParse(atLimit).success);
  t.false(customAudiencesSchema.safeParse(["x".repeat(MAX_CUSTOM_AUDIENCES_JSON_LENGTH - 3)]).success);
  const error = t.throws(() => parseServiceSpec({ template: { image: "a:1" }, customAudiences: ["ok", ""] }), { instanceOf: SkiffError });
  t.deepEqual(error?.violations, [{ field: "customAudiences[1]", reason: "must not be empty" }]);
  const long = t.throws(() => parseServiceSpec({ template: { image: "a:1" }, customAudiences: ["x".repeat(40_000)] }), {
    instanceOf: SkiffError,
  });
  t.is(long?.violations[0]?.field, "customAudiences");
  t.regex(long?.violations[0]?.reason ?? "", /Cloud Run takes at most 32768/);
  t.is(parseServiceSpec({ template: { image: "a:1" } }).customAudiences, undefined, "left out: the service keeps its own");
});

test("set replaces, add appends (each once), remove takes out, clear empties", (t) => {
  t.deepEqual(applyCustomAudiencesChange(["a", "b"], { set: ["c", "c"] }), ["c"]);
  t.deepEqual(applyCustomAudiencesChange(["a", "b"], { add: ["b", "c"] }), ["a", "b", "c"]);
  t.deepEqual(applyCustomAudiencesChange(["a", "b"], { remove: ["a", "z"] }), ["b"]);
  t.deepEqual(applyCustomAudiencesChange(["a", "b"], { clear: true }), []);
});

test("gcloud's flags: none leaves the audiences to the engine; at most one; comma lists; a bad result names the flag", (t) => {
  t.is(customAudiencesChange({}), undefined);
  t.is(customAudiencesAfterDeploy(["a"], {}), undefined);
  t.deepEqual(customAudiencesChange({ setCustomAudiences: "a, b,," }), { set: ["a", "b"] });
  t.deepEqual(customAudiencesAfterDeploy(["a"], { addCustomAudiences: "b,a" }), ["a", "b"]);
  t.deepEqual(customAudiencesAfterDeploy(["a", "b"], { removeCustomAudiences: "a" }), ["b"]);
  t.deepEqual(customAudiencesAfterDeploy(["a", "b"], { clearCustomAudiences: true }), []);
  t.deepEqual(customAudiencesAfterDeploy(undefined, { setCustomAudiences: "a" }), ["a"], "a new service");
  t.throws(() => customAudiencesChange({ setCustomAudiences: "a", removeCustomAudiences: "b" }), {
    message: "--set-custom-audiences, --remove-custom-audiences: at most one of these can be specified",
  });
  t.throws(() => customAudiencesAfterDeploy([], { addCustomAudiences: "y".repeat(40_000) }), {
    message: /^--add-custom-audiences: the list of custom audiences is 40004 characters as a JSON list; Cloud Run takes at most 32768$/,
  });
});

const knative = (annotations: Record<string, string>) => ({
  apiVersion: "serving.knative.dev/v1",
  kind: "Service",
  metadata: { name: "web", annotations },
  spec: { template: { spec: { containers: [{ image: "img" }] } } },
});
const ANNOTATION = "run.googleapis.com/custom-audiences";

test("Knative YAML: the service annotation run.googleapis.com/custom-audiences holds a JSON list; export writes it, replace reads it back", (t) => {
  const plan = planReplace(knative({ [ANNOTATION]: '["https://api.example.com","myservice"]' }), "default");
  t.deepEqual(plan.spec.customAudiences, ["https://api.example.com", "myservice"]);
  t.deepEqual(plan.ignored, []);
  t.deepEqual(planReplace(knative({}), "default").spec.customAudiences, [], "a replace is the whole service: none in the file, none after");

  const service = { ...SERVICE, customAudiences: ["https://api.example.com"] };
  const exported = serviceToKnative(service);
  const annotationsOf = (o: object) => (o as { metadata: { annotations?: Record<string, string> } }).metadata.annotations ?? {};
  t.is(annotationsOf(exported)[ANNOTATION], '["https://api.example.com"]');
  t.deepEqual(planReplace(JSON.parse(JSON.stringify(exported)) as unknown, "default").spec.customAudiences, ["https://api.example.com"]);
  t.false(ANNOTATION in annotationsOf(serviceToKnative({ ...SERVICE, customAudiences: [] })), "none: no annotation, as gcloud's export");
});

test("Knative YAML: an annotation that is not a JSON list of non-empty strings is refused naming it", (t) => {
  for (const [value, reason] of [
    ["https://api.example.com", "must be a JSON list of strings"],
    ['{"a":1}', "must be a JSON list of strings"],
    ['["ok", ""]', "item 1 must not be empty"],
    ["[1]", "item 0 must be a string"],
  ]) {
    const error = t.throws(() => planReplace(knative({ [ANNOTATION]: value }), "default"), { instanceOf: SkiffError });
    t.is(error?.violations[0]?.field, `metadata.annotations.${ANNOTATION}`, value);
    t.true(error?.violations[0]?.reason.startsWith(reason), `${value}: ${error?.violations[0]?.reason}`);
  }
});
