import test from "ava";
import { labelProblem, labelsSchema } from "../../provider/model/labels";
import { createSecretBodySchema } from "../../provider/model/secret";
import { serviceSpecSchema } from "../../provider/model/service";
import { translateService } from "../../sdk/gcp/service-spec";

// Google Cloud's label rule, which Cloud Run and Secret Manager apply: lowercase keys and values.

test("lowercase keys and values with digits, _ and - are labels; an empty value too; international lowercase letters too", (t) => {
  for (const [k, v] of [
    ["team", "payments"],
    ["env_2", "prod-eu"],
    ["owner", ""],
    ["équipe", "paiements"],
    ["a".repeat(63), "b".repeat(63)],
  ]) {
    t.is(labelProblem(k, v), undefined, `${k}=${v}`);
  }
});

test("an uppercase key or value, a key starting with a digit or _, other characters, or more than 63 characters is refused, saying which part", (t) => {
  for (const k of ["Team", "1team", "_team", "team.name", "a".repeat(64), ""])
    t.regex(labelProblem(k, "x") ?? "", /^is not a label key/, k);
  for (const v of ["Pay", "a b", "x.y", "b".repeat(64)])
    t.regex(labelProblem("team", v) ?? "", /^has the value .* which is not a label value/, v);
});

test("keys with a prefix (Cloud Run's own, as its YAML exports carry them) are taken as they are", (t) => {
  t.is(labelProblem("cloud.googleapis.com/location", "us-central1"), undefined);
});

test("at most 64 labels; the error names the key", (t) => {
  const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, "x"]));
  t.deepEqual(
    labelsSchema.safeParse(many).error?.issues.map((i) => i.message),
    ["has 65 labels; Google Cloud takes at most 64"],
  );
  t.deepEqual(
    serviceSpecSchema.safeParse({ template: { image: "img" }, labels: { Team: "x" } }).error?.issues.map((i) => i.path.join(".")),
    ["labels.Team"],
  );
  t.false(createSecretBodySchema.safeParse({ name: "s", labels: { env: "Prod" } }).success, "secrets keep the same rule");
});

test("pulumi-gcp: a bad label fails at preview, at labels.KEY", (t) => {
  const result = translateService({
    name: "web",
    skiffProject: "dev",
    labels: { Team: "x" },
    template: { containers: [{ image: "img:1" }] },
  });
  t.deepEqual(
    result.failures.map((f) => f.property),
    ["labels.Team"],
  );
});
