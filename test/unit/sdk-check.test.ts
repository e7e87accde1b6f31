import test from "ava";
import { checkDomainMappingInputs } from "../../sdk/check/domain-mapping";
import { checkRevisionInputs } from "../../sdk/check/revision";
import { checkServiceInputs } from "../../sdk/check/service";
import { checkTrafficTargetInputs } from "../../sdk/check/traffic-target";
import { UNKNOWN } from "../../sdk/preview-values/unknowns";

// `check` validates with the engine's schemas, names the property and the reason, applies the
// defaults, and lets values unknown at preview through.

const reasonsOf = (failures: { property: string; reason: string }[]) => failures.map((f) => `${f.property}: ${f.reason}`);

test("a minimal service gets every engine default, so a default never shows as a diff", (t) => {
  const { inputs, failures } = checkServiceInputs({ name: "hello", project: "dev", template: { image: "img:1" } });
  t.deepEqual(failures, []);
  t.deepEqual(inputs, {
    name: "hello",
    project: "dev",
    template: {
      image: "img:1",
      env: {},
      port: 8080,
      maxInstanceRequestConcurrency: 80,
      scaling: { minInstanceCount: 0, maxInstanceCount: 100 },
      timeout: 300,
      resources: { cpu: "1", memory: "512Mi" },
      startupProbe: { initialDelaySeconds: 0, timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1 },
    },
    labels: {},
    ingress: "all",
  });
});

test("checking normalised inputs again changes nothing", (t) => {
  const once = checkServiceInputs({ name: "hello", project: "dev", template: { image: "img:1", scaling: { maxInstanceCount: 3 } } });
  const twice = checkServiceInputs(once.inputs as unknown as Record<string, unknown>);
  t.deepEqual(twice, once);
});

test("a bad name and a concurrency of 0 fail with the property and the reason", (t) => {
  const { failures } = checkServiceInputs({
    name: "Bad_Name",
    project: "dev",
    template: { image: "img", maxInstanceRequestConcurrency: 0 },
  });
  t.deepEqual(reasonsOf(failures), [
    "name: must be a DNS label: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen",
    "template.maxInstanceRequestConcurrency: must be between 1 and 1000",
  ]);
});

test('a number written as a string fails naming the value, as gcloud\'s "60s" would be written', (t) => {
  // Pulumi prints no value for a nested property ("value {<nil>}"): the reason has to show it.
  const { failures } = checkServiceInputs({ name: "a", project: "dev", template: { image: "img", timeout: "60s", port: "8080" } });
  t.deepEqual(reasonsOf(failures), [
    'template.port: must be an integer, got "8080"',
    'template.timeout: must be a whole number of seconds, got "60s"',
  ]);
});

test("a missing image and an unknown template field are named", (t) => {
  const { failures } = checkServiceInputs({ name: "a", project: "dev", template: { imag: "x" } });
  t.deepEqual(failures.map((f) => f.property).sort(), ["template", "template.image"]);
});

test("values unknown at preview pass, even where a number is expected, and stay unknown", (t) => {
  const { inputs, failures } = checkServiceInputs({
    name: "hello",
    project: UNKNOWN,
    template: { image: UNKNOWN, maxInstanceRequestConcurrency: UNKNOWN, env: { A: UNKNOWN } },
  });
  t.deepEqual(failures, []);
  t.is(inputs.project, UNKNOWN);
  t.is(inputs.template.image, UNKNOWN);
  t.is(inputs.template.maxInstanceRequestConcurrency as unknown, UNKNOWN);
  t.deepEqual(inputs.template.env, { A: UNKNOWN });
  t.is(inputs.template.port, 8080);
});

test("an unknown value does not hide a real failure beside it", (t) => {
  const { failures } = checkServiceInputs({ name: "hello", project: "dev", template: { image: UNKNOWN, port: 0 } });
  t.deepEqual(reasonsOf(failures), ["template.port: must be between 1 and 65535"]);
});

test("a template unknown as a whole passes as it is", (t) => {
  const { inputs, failures } = checkServiceInputs({ name: "hello", project: "dev", template: UNKNOWN });
  t.deepEqual(failures, []);
  t.is(inputs.template as unknown, UNKNOWN);
});

test("invokers are members, checked with the engine's schema, kept sorted and once each; left out they stay out", (t) => {
  const { inputs, failures } = checkServiceInputs({
    name: "api",
    project: "dev",
    template: { image: "img:1", serviceAccount: "api@my-project.iam.gserviceaccount.com" },
    ingress: "internal",
    invokers: ["serviceAccount:web@my-project.iam.gserviceaccount.com", "allUsers", "allUsers"],
  });
  t.deepEqual(failures, []);
  t.deepEqual(inputs.invokers, ["allUsers", "serviceAccount:web@my-project.iam.gserviceaccount.com"]);
  t.is(inputs.template.serviceAccount, "api@my-project.iam.gserviceaccount.com");
  t.is(inputs.ingress, "internal");
  t.false("invokers" in checkServiceInputs({ name: "api", project: "dev", template: { image: "img:1" } }).inputs);
  t.deepEqual(checkServiceInputs({ name: "api", project: "dev", template: { image: "img:1" }, invokers: [] }).inputs.invokers, []);
});

test("a bad invoker, ingress or service account fails at its path with the engine's reason", (t) => {
  const { failures } = checkServiceInputs({
    name: "api",
    project: "dev",
    template: { image: "img:1", serviceAccount: "web" },
    ingress: "private",
    invokers: ["allUsers", "web@my-project.iam.gserviceaccount.com"],
  });
  t.deepEqual(reasonsOf(failures), [
    "template.serviceAccount: must be a service account email such as web@my-project.iam.gserviceaccount.com",
    'ingress: Invalid option: expected one of "all"|"internal"|"internal-and-cloud-load-balancing"',
    'invokers[1]: must be allUsers, allAuthenticatedUsers, user:EMAIL, serviceAccount:EMAIL, group:EMAIL or domain:DOMAIN, got "web@my-project.iam.gserviceaccount.com"',
  ]);
});

test("invokers unknown at preview, as a whole or one of them, pass as they are", (t) => {
  t.is(
    checkServiceInputs({ name: "api", project: "dev", template: { image: "img:1" }, invokers: UNKNOWN }).inputs.invokers as unknown,
    UNKNOWN,
  );
  const one = checkServiceInputs({ name: "api", project: "dev", template: { image: "img:1" }, invokers: [UNKNOWN, "allUsers"] });
  t.deepEqual(one.failures, []);
  t.deepEqual(one.inputs.invokers, [UNKNOWN, "allUsers"]);
});

test("a revision gets the template defaults and checks its service name", (t) => {
  const ok = checkRevisionInputs({ service: UNKNOWN, project: "dev", template: { image: "img:2" } });
  t.deepEqual(ok.failures, []);
  t.is(ok.inputs.template.timeout, 300);
  const bad = checkRevisionInputs({ service: "Hello", project: "dev", template: { image: "img", timeout: 4000 } });
  t.deepEqual(
    bad.failures.map((f) => f.property),
    ["service", "template.timeout"],
  );
});

test("traffic is normalised to the engine's stored form", (t) => {
  const { inputs, failures } = checkTrafficTargetInputs({
    service: "hello",
    project: "dev",
    traffic: [
      { revision: "hello-00001-abc", percent: 90 },
      { latestRevision: true, percent: 10, tag: "canary" },
    ],
  });
  t.deepEqual(failures, []);
  t.deepEqual(inputs.traffic, [
    { type: "REVISION", revision: "hello-00001-abc", percent: 90 },
    { type: "LATEST", percent: 10, tag: "canary" },
  ]);
});

test("percents summing to 110 fail on the traffic property", (t) => {
  const { failures } = checkTrafficTargetInputs({
    service: "hello",
    project: "dev",
    traffic: [
      { revision: "a", percent: 100 },
      { revision: "b", percent: 10 },
    ],
  });
  t.deepEqual(reasonsOf(failures), ["traffic: percents must sum to 100, got 110"]);
});

test("a tag too long beside the service's name fails at preview, as Cloud Run refuses it; an unknown service name lets it through", (t) => {
  const tag = "t".repeat(42); // "hello" + 42 = 47 > 46
  const traffic = [{ latestRevision: true, percent: 100, tag }];
  t.deepEqual(reasonsOf(checkTrafficTargetInputs({ service: "hello", project: "dev", traffic }).failures), [
    `traffic[0].tag: tag "${tag}" and service name "hello" together are 47 characters; Cloud Run allows at most 46 for both (the tag URL is ${tag}---hello)`,
  ]);
  t.deepEqual(checkTrafficTargetInputs({ service: UNKNOWN, project: "dev", traffic }).failures, []);
});

test("a bad entry is named by its index", (t) => {
  const { failures } = checkTrafficTargetInputs({
    service: "hello",
    project: "dev",
    traffic: [
      { revision: "a", percent: 50, tag: "Canary" },
      { revision: "b", percent: 50, tag: "x", weight: 3 },
    ],
  });
  t.deepEqual(
    failures.map((f) => f.property),
    ["traffic[0].tag", "traffic[1]"],
  );
});

test("duplicate tags fail", (t) => {
  const { failures } = checkTrafficTargetInputs({
    service: "hello",
    project: "dev",
    traffic: [
      { revision: "a", percent: 50, tag: "x" },
      { revision: "b", percent: 50, tag: "x" },
    ],
  });
  t.deepEqual(
    failures.map((f) => f.property),
    ["traffic[1].tag"],
  );
});

test("unknown revisions at preview pass, and are not taken for duplicates of each other", (t) => {
  const { inputs, failures } = checkTrafficTargetInputs({
    service: UNKNOWN,
    project: "dev",
    traffic: [
      { revision: UNKNOWN, percent: 90 },
      { revision: UNKNOWN, percent: 10, tag: "canary" },
    ],
  });
  t.deepEqual(failures, []);
  t.deepEqual(inputs.traffic, [
    { type: "REVISION", revision: UNKNOWN, percent: 90 },
    { type: "REVISION", revision: UNKNOWN, percent: 10, tag: "canary" },
  ]);
});

test("an unknown percent skips the sum, but a known bad one still fails", (t) => {
  t.deepEqual(
    checkTrafficTargetInputs({
      service: "s",
      project: "p",
      traffic: [
        { revision: "a", percent: UNKNOWN },
        { revision: "b", percent: 10 },
      ],
    }).failures,
    [],
  );
  const { failures } = checkTrafficTargetInputs({
    service: "s",
    project: "p",
    traffic: [
      { revision: "a", percent: UNKNOWN },
      { revision: "b", percent: 101 },
    ],
  });
  t.deepEqual(
    failures.map((f) => f.property),
    ["traffic[1].percent"],
  );
});

test("latestRevision together with a revision is a failure", (t) => {
  const { failures } = checkTrafficTargetInputs({
    service: "s",
    project: "p",
    traffic: [{ latestRevision: true, revision: "a", percent: 100 }],
  });
  t.true(failures.some((f) => f.property === "traffic[0].revision"));
});

test("a domain mapping checks the domain and the service", (t) => {
  t.deepEqual(checkDomainMappingInputs({ domain: "api.example.test", service: "hello", project: "dev" }).failures, []);
  const { failures } = checkDomainMappingInputs({ domain: "API_example", service: "hello", project: "dev" });
  t.deepEqual(
    failures.map((f) => f.property),
    ["domain"],
  );
});

test("a service's own settings (description, default URL switch, service-level scaling) are checked, normalised as the engine keeps them, and left out stay out", (t) => {
  const base = { name: "hello", project: "dev", template: { image: "img:1" } };
  const none = checkServiceInputs(base).inputs as unknown as Record<string, unknown>;
  for (const field of ["description", "defaultUriDisabled", "scaling"]) t.false(field in none, `${field}: absent when not set`);

  const set = checkServiceInputs({
    ...base,
    description: "the shop's front",
    defaultUriDisabled: true,
    scaling: { minInstanceCount: 2, maxInstanceCount: 0 },
  });
  t.deepEqual(set.failures, []);
  t.like(set.inputs, {
    description: "the shop's front",
    defaultUriDisabled: true,
    scaling: { scalingMode: "AUTOMATIC", minInstanceCount: 2 },
  });
  t.false("maxInstanceCount" in (set.inputs.scaling ?? {}), "0 is unset, as the engine keeps it");
  t.like(checkServiceInputs({ ...base, scaling: { scalingMode: "MANUAL", manualInstanceCount: 3 } }).inputs, {
    scaling: { scalingMode: "MANUAL", manualInstanceCount: 3 },
  });

  const bad = checkServiceInputs({
    ...base,
    description: "x".repeat(513),
    defaultUriDisabled: "yes",
    scaling: { scalingMode: "SOMETIMES" },
  });
  t.deepEqual(
    bad.failures.map((f) => f.property),
    ["description", "defaultUriDisabled", "scaling.scalingMode"],
  );
  t.regex(reasonsOf(bad.failures).join("\n"), /scaling\.scalingMode: must be AUTOMATIC or MANUAL/);
  // Unknown at preview: through as it is.
  t.is(checkServiceInputs({ ...base, scaling: UNKNOWN }).inputs.scaling as unknown, UNKNOWN);
});
