import test from "ava";
import type { ExecutionContext } from "ava";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, hostOf, skiffOk, transcript } from "../helpers/cli";
import { runLoad, tally } from "../helpers/load";

// What gcloud prints, skiff prints: --format json|yaml|export are Knative serving.knative.dev/v1
// objects, value(FIELD,...) picks fields; `services replace` applies such a Service back, both what
// `--format export` printed and a Cloud Run YAML written by hand from Cloud Run's documentation,
// naming once what has no local meaning.

let engine: TestEngine;
let image: string;
let scratch: string;

test.before(async () => {
  [image, engine, scratch] = await Promise.all([
    fixtureImage(),
    startEngine(),
    fs.mkdtemp(path.join(os.tmpdir(), "skiff-knative-format-")),
  ]);
});

test.after.always(async () => {
  await engine?.dispose();
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
});

// ---- export, and replace of what export printed ----

test("services describe --format export prints a serving.knative.dev/v1 Service without status; after a delete, services replace of that file brings back the same revision, template and traffic", async (t) => {
  const service = "exported";
  await deploy(engine, service, [
    "--image",
    image,
    "--set-env-vars",
    "GREETING=hi,MODE=export",
    "--memory",
    "256Mi",
    "--cpu",
    "1",
    "--concurrency",
    "7",
    "--min-instances",
    "1",
    "--max-instances",
    "3",
    "--timeout",
    "45",
    "--labels",
    "team=web",
    "--tag",
    "blue",
  ]);
  const before = await describeService(engine, service);
  const revision = before.latestCreatedRevision ?? "";
  t.regex(revision, /^exported-00001-[a-z]{3}$/);

  const exported = await skiffOk(engine, ["services", "describe", service, "--format", "export"]);
  t.is(exported.stderr, "");
  const doc = parseYaml(exported.stdout) as Record<string, unknown>;
  t.false("status" in doc, "export leaves out the status");
  t.deepEqual(doc, {
    apiVersion: "serving.knative.dev/v1",
    kind: "Service",
    metadata: { name: service, namespace: "default", labels: { team: "web" }, annotations: { "run.googleapis.com/ingress": "all" } },
    spec: {
      template: {
        metadata: { name: revision, annotations: { "autoscaling.knative.dev/minScale": "1", "autoscaling.knative.dev/maxScale": "3" } },
        spec: {
          containerConcurrency: 7,
          timeoutSeconds: 45,
          containers: [
            {
              image,
              env: [
                { name: "GREETING", value: "hi" },
                { name: "MODE", value: "export" },
              ],
              ports: [{ containerPort: 8080, name: "http1" }],
              resources: { limits: { cpu: "1", memory: "256Mi" } },
              startupProbe: { timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1, tcpSocket: { port: 8080 } },
            },
          ],
        },
      },
      traffic: [
        { latestRevision: true, percent: 100 },
        { revisionName: revision, percent: 0, tag: "blue" },
      ],
    },
  });

  const file = path.join(scratch, "exported.yaml");
  await fs.writeFile(file, exported.stdout);
  const deleted = await skiffOk(engine, ["services", "delete", service, "-q"]);
  t.is(deleted.stdout, `deleted service ${service}\n`);
  t.is((await engine.request(hostOf(engine, service), "/")).status, 404, "the service is gone");

  const replaced = await skiffOk(engine, ["services", "replace", file]);
  t.is(replaced.stderr, "", "what export printed has nothing replace would ignore");
  t.is(
    replaced.stdout,
    `Service ${service} is now at revision ${revision}.\nService URL: http://${service}.localhost:${engine.ingressPort}\n`,
  );
  const after = await describeService(engine, service);
  t.is(after.latestCreatedRevision, revision, "the same revision name");
  t.is(after.latestReadyRevision, revision);
  t.deepEqual(after.template, before.template, "the same template");
  t.deepEqual(after.traffic, before.traffic, "the same traffic");
  t.deepEqual(after.trafficStatuses, before.trafficStatuses, "the same resolved traffic and tag URL");
  t.deepEqual(after.labels, before.labels);
  t.is(after.ingress, before.ingress);
  const answer = await engine.request(hostOf(engine, service), "/");
  t.is(answer.status, 200, answer.body);
  t.is(answer.body, `K_REVISION=${revision}\n`);
  const tagged = await engine.request(`blue---${service}.localhost:${engine.ingressPort}`, "/");
  t.is(tagged.status, 200, tagged.body);
  t.is(tagged.body, `K_REVISION=${revision}\n`);
});

// ---- the other formats ----

let formatsService: Promise<string> | undefined;

/** One service for the read-only format checks; resolves with its revision. */
function formats(): Promise<string> {
  formatsService ??= deploy(engine, "formats", ["--image", image, "--set-env-vars", "K=V", "--concurrency", "5"]).then(
    async () => (await describeService(engine, "formats")).latestCreatedRevision ?? "",
  );
  return formatsService;
}

test("--format 'value(status.url)' prints the URL and nothing else; value() with two fields prints them tab-separated", async (t) => {
  const revision = await formats();
  const url = await skiffOk(engine, ["services", "describe", "formats", "--format", "value(status.url)"]);
  t.is(url.stdout, `http://formats.localhost:${engine.ingressPort}\n`);
  t.is(url.stderr, "");
  const two = await skiffOk(engine, ["services", "describe", "formats", "--format", "value(metadata.name,status.latestReadyRevisionName)"]);
  t.is(two.stdout, `formats\t${revision}\n`);
});

test("--format yaml parses as YAML, has status.url, and is the same object --format json prints", async (t) => {
  const revision = await formats();
  const yaml = await skiffOk(engine, ["services", "describe", "formats", "--format", "yaml"]);
  const json = await skiffOk(engine, ["services", "describe", "formats", "--format", "json"]);
  const doc = parseYaml(yaml.stdout);
  t.is(doc.apiVersion, "serving.knative.dev/v1");
  t.is(doc.kind, "Service");
  t.is(doc.status.url, `http://formats.localhost:${engine.ingressPort}`);
  t.is(doc.status.latestReadyRevisionName, revision);
  t.deepEqual(doc.status.traffic, [{ revisionName: revision, percent: 100, latestRevision: true }]);
  t.deepEqual(doc, JSON.parse(json.stdout));
});

test("revisions describe R --format json prints a Knative Revision", async (t) => {
  const revision = await formats();
  const result = await skiffOk(engine, ["revisions", "describe", revision, "--format", "json"]);
  const r = JSON.parse(result.stdout);
  t.is(r.apiVersion, "serving.knative.dev/v1");
  t.is(r.kind, "Revision");
  t.is(r.metadata.name, revision);
  t.is(r.metadata.namespace, "default");
  t.deepEqual(r.metadata.labels, {
    "serving.knative.dev/service": "formats",
    "serving.knative.dev/configuration": "formats",
    "serving.knative.dev/configurationGeneration": "1",
  });
  t.deepEqual(r.metadata.annotations, { "autoscaling.knative.dev/minScale": "0", "autoscaling.knative.dev/maxScale": "100" });
  t.deepEqual(r.spec, {
    containerConcurrency: 5,
    timeoutSeconds: 300,
    containers: [
      {
        image,
        env: [{ name: "K", value: "V" }],
        ports: [{ containerPort: 8080, name: "http1" }],
        resources: { limits: { cpu: "1", memory: "512Mi" } },
        startupProbe: { timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1, tcpSocket: { port: 8080 } },
      },
    ],
  });
  t.deepEqual(
    r.status.conditions.map((c: { type: string; status: string }) => [c.type, c.status]),
    [
      ["Ready", "True"],
      ["Active", "True"],
      ["ContainerHealthy", "True"],
      ["ResourcesAvailable", "True"],
    ],
  );
  t.regex(r.status.imageDigest, /^sha256:[0-9a-f]{64}$/);
});

test("services list --format 'value(metadata.name)' prints the names one per line", async (t) => {
  // A project of its own, so services the other tests make do not show up.
  for (const name of ["alpha", "beta", "gamma"]) await deploy(engine, name, ["--image", image, "--project", "listing"]);
  const result = await skiffOk(engine, ["services", "list", "--project", "listing", "--format", "value(metadata.name)"]);
  t.is(result.stdout, "alpha\nbeta\ngamma\n");
  t.is(result.stderr, "");
});

// ---- a Cloud Run YAML written by hand ----

/** As Cloud Run's documentation writes a service: annotations, a named template, a service account. */
function shopYaml(version: "v1" | "v2", traffic: string): string {
  return `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: shop
  annotations:
    run.googleapis.com/ingress: all
    run.googleapis.com/launch-stage: BETA
spec:
  template:
    metadata:
      name: shop-${version}
      annotations:
        autoscaling.knative.dev/minScale: "1"
        autoscaling.knative.dev/maxScale: "3"
        run.googleapis.com/cpu-throttling: "false"
    spec:
      containerConcurrency: 40
      timeoutSeconds: 120
      serviceAccountName: shop-runner@my-project.iam.gserviceaccount.com
      containers:
      - image: ${image}
        ports:
        - containerPort: 8080
        env:
        - name: VERSION
          value: ${version}
        resources:
          limits:
            cpu: "1"
            memory: 256Mi
${traffic}`;
}

const CANARY_TRAFFIC = `  traffic:
  - revisionName: shop-v1
    percent: 90
  - revisionName: shop-v2
    percent: 10
    tag: canary
`;

const IGNORED_WARNING =
  "skiff: warning: these fields have no local meaning and were ignored: metadata.annotations.run.googleapis.com/launch-stage, " +
  "spec.template.metadata.annotations.run.googleapis.com/cpu-throttling\n";

let shop: Promise<void> | undefined;

/** shop-v1, then shop-v2 with 90/10 and the canary tag, each applied with services replace and checked. */
function shopApplied(t: ExecutionContext): Promise<void> {
  shop ??= (async () => {
    const v1 = path.join(scratch, "shop-v1.yaml");
    const v2 = path.join(scratch, "shop-v2.yaml");
    await fs.writeFile(v1, shopYaml("v1", ""));
    await fs.writeFile(v2, shopYaml("v2", CANARY_TRAFFIC));
    for (const [file, revision] of [
      [v1, "shop-v1"],
      [v2, "shop-v2"],
    ]) {
      const result = await skiffOk(engine, ["services", "replace", file]);
      t.is(
        result.stderr,
        IGNORED_WARNING,
        `one warning line naming exactly the fields without local meaning\n${transcript(["services", "replace", file], result)}`,
      );
      t.is(result.stdout, `Service shop is now at revision ${revision}.\nService URL: http://shop.localhost:${engine.ingressPort}\n`);
    }
  })();
  return shop;
}

test.serial(
  "a Cloud Run YAML from the docs applies with services replace: its template (with its service account), named revisions and 90/10 traffic with a canary tag",
  async (t) => {
    await shopApplied(t);
    const s = await describeService(engine, "shop");
    t.deepEqual(s.template, {
      image,
      env: { VERSION: "v2" },
      port: 8080,
      maxInstanceRequestConcurrency: 40,
      scaling: { minInstanceCount: 1, maxInstanceCount: 3 },
      timeout: 120,
      resources: { cpu: "1", memory: "256Mi" },
      startupProbe: { initialDelaySeconds: 0, timeoutSeconds: 240, periodSeconds: 240, failureThreshold: 1 },
      serviceAccount: "shop-runner@my-project.iam.gserviceaccount.com",
    });
    t.is(s.ingress, "all");
    t.is(s.latestCreatedRevision, "shop-v2");
    t.deepEqual(s.traffic, [
      { type: "REVISION", revision: "shop-v1", percent: 90 },
      { type: "REVISION", revision: "shop-v2", percent: 10, tag: "canary" },
    ]);
    t.deepEqual(s.trafficStatuses, [
      { type: "REVISION", revision: "shop-v1", percent: 90 },
      { type: "REVISION", revision: "shop-v2", percent: 10, tag: "canary", url: `http://canary---shop.localhost:${engine.ingressPort}` },
    ]);
  },
);

test.serial("the replaced service splits exactly 180/20 over 200 requests, and the canary tag URL reaches shop-v2", async (t) => {
  await shopApplied(t);
  const { samples } = await runLoad({ port: engine.ingressPort, host: hostOf(engine, "shop"), count: 200, workers: 4, maxMs: 60_000 });
  const { byRevision, failures } = tally(samples);
  t.is(samples.length, 200);
  t.deepEqual(
    failures.map((f) => `${f.status} ${f.error ?? f.body}`).slice(0, 5),
    [],
    `every request is answered 200 (${failures.length} were not)`,
  );
  t.deepEqual(byRevision, { "shop-v1": 180, "shop-v2": 20 }, "the split is exact per window of 10 requests");
  for (let i = 0; i < 5; i++) {
    const answer = await engine.request(`canary---shop.localhost:${engine.ingressPort}`, "/");
    t.is(answer.status, 200, answer.body);
    t.is(answer.body, "K_REVISION=shop-v2\n");
  }
});

test.serial("replace with a traffic percent of 110 exits 1 naming spec.traffic and changes nothing", async (t) => {
  await shopApplied(t);
  const before = await describeService(engine, "shop");
  const file = path.join(scratch, "shop-bad.yaml");
  await fs.writeFile(file, shopYaml("v2", CANARY_TRAFFIC.replace("percent: 90", "percent: 110")));
  const args = ["services", "replace", file];
  const result = await engine.skiff(args);
  t.is(result.code, 1, transcript(args, result));
  t.is(
    result.stderr,
    `${IGNORED_WARNING}skiff: error: spec.traffic[0].percent (traffic[0].percent): must be between 0 and 100\n`,
    transcript(args, result),
  );
  t.is(result.stdout, "");
  const after = await describeService(engine, "shop");
  t.deepEqual(after.traffic, before.traffic);
  t.is(after.generation, before.generation);
});

// ---- what replace refuses before asking the engine ----

test("a file over the admin API's 1 MiB limit is refused from its size, before it is read: services replace and deploy --env-vars-file exit 1 naming the file and the limit", async (t) => {
  // Sparse, 3 GiB: reading it whole would fail some other way (and take long); only its size is looked at.
  const big = path.join(scratch, "huge.yaml");
  const handle = await fs.open(big, "w");
  await handle.truncate(3 * 1024 ** 3);
  await handle.close();
  const limit = "the engine takes at most 1048576 bytes (1 MiB) in a request";
  const replace = ["services", "replace", big];
  const replaced = await engine.skiff(replace);
  t.is(replaced.code, 1, transcript(replace, replaced));
  t.is(replaced.stderr, `skiff: error: FILE: "${big}" is ${3 * 1024 ** 3} bytes; ${limit}\n`);
  const deployArgs = ["deploy", "huge-env", "--image", image, "--env-vars-file", big];
  const deployed = await engine.skiff(deployArgs);
  t.is(deployed.code, 1, transcript(deployArgs, deployed));
  t.is(deployed.stderr, `skiff: error: --env-vars-file: "${big}" is ${3 * 1024 ** 3} bytes; ${limit}\n`);
  t.deepEqual(
    (await (await engine.api()).listServices("default")).map((s) => s.name).filter((n) => n === "huge-env"),
    [],
    "nothing was deployed",
  );
});

/** A minimal Knative Service of the fixture, with `namespace` when given. */
function namespacedYaml(name: string, namespace?: string): string {
  return `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: ${name}
${namespace === undefined ? "" : `  namespace: ${namespace}\n`}spec:
  template:
    spec:
      containers:
      - image: ${image}
`;
}

test("metadata.namespace is the project: another one than --project exits 1 naming both and deploys nothing; the same one, or none, applies in --project", async (t) => {
  const file = path.join(scratch, "ns-staging.yaml");
  await fs.writeFile(file, namespacedYaml("ns-svc", "staging"));
  const client = await engine.api();
  const wrong = ["services", "replace", file, "--project", "prod"];
  const refused = await engine.skiff(wrong);
  t.is(refused.code, 1, transcript(wrong, refused));
  t.is(
    refused.stderr,
    `skiff: error: metadata.namespace: the file is for project "staging" but the command works in project "prod" (--project); make them the same, or leave the namespace out\n`,
  );
  const byDefault = await engine.skiff(["services", "replace", file]);
  t.is(byDefault.code, 1, transcript(["services", "replace", file], byDefault));
  t.regex(byDefault.stderr, /project "staging" but the command works in project "default"/);
  for (const project of ["prod", "default", "staging"])
    t.deepEqual(
      (await client.listServices(project)).filter((s) => s.name === "ns-svc"),
      [],
      `nothing in ${project}`,
    );

  await skiffOk(engine, ["services", "replace", file, "--project", "staging"]);
  t.is((await client.getService("staging", "ns-svc")).project, "staging", "the same namespace as --project applies there");
  const bare = path.join(scratch, "ns-none.yaml");
  await fs.writeFile(bare, namespacedYaml("ns-svc"));
  await skiffOk(engine, ["services", "replace", bare, "--project", "prod"]);
  t.is((await client.getService("prod", "ns-svc")).project, "prod", "no namespace: the service goes to --project");
});
