import test from "ava";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { containersOf, dependsOnCycle, startGroups } from "../../provider/model/containers";
import type { SkiffError } from "../../provider/model/errors";
import { parseJobSpec } from "../../provider/model/job";
import { templateFingerprint } from "../../provider/model/revision";
import { parseServiceTemplate, type ServiceTemplateInput } from "../../provider/model/template";
import { Store } from "../../provider/state/store";
import { fixturePath } from "../helpers/fixture-image";

// The rules of a template of several containers (an ingress container and sidecars), as the
// engine, the CLI and the SDK all apply them; and that single-container templates are untouched.

function violations(input: unknown): string[] {
  try {
    parseServiceTemplate(input);
    return [];
  } catch (error) {
    return (error as SkiffError).violations.map((v) => `${v.field}: ${v.reason}`);
  }
}

const image = "skiff-test/fixture:a";
const twoContainers: ServiceTemplateInput = {
  image,
  containerName: "app",
  dependsOn: ["proxy"],
  sidecars: [{ name: "proxy", image: "skiff-test/proxy:a", startupProbe: { tcpSocket: { port: 9000 }, periodSeconds: 1 } }],
};

test("a template of one container keeps the fields, and so the fingerprint, it had before sidecars", (t) => {
  const before = parseServiceTemplate({ image });
  t.false("sidecars" in before || "containerName" in before || "dependsOn" in before);
  t.is(templateFingerprint(before), templateFingerprint(JSON.parse(JSON.stringify(before))));
});

test("single-container templates keep the fingerprints they had before sidecars (as computed by the release before them)", (t) => {
  t.is(templateFingerprint(parseServiceTemplate({ image })), "eb509ac519145437");
  const tuned = { image, env: { A: "1" }, resources: { cpu: "2" }, startupProbe: { periodSeconds: 1 } };
  t.is(templateFingerprint(parseServiceTemplate(tuned)), "e6176ad19d8c7828");
});

test("an old state.db opens with its revisions, the new column empty", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-state-"));
  const file = path.join(dir, "state.db");
  copyFileSync(fixturePath("state/release-0.1.0-stop17.db"), file);
  const store = Store.open(file);
  t.teardown(() => store.close());
  const revisions = store.listRevisions();
  t.true(revisions.length > 0);
  for (const r of revisions) {
    t.is(r.sidecarDigests, undefined);
    t.deepEqual(containersOf(parseServiceTemplate(r.template)).length, 1);
  }
});

test("a template with a sidecar: its defaults, and the containers the engine starts", (t) => {
  const parsed = parseServiceTemplate(twoContainers);
  t.deepEqual(parsed.sidecars![0].resources, { cpu: "1", memory: "512Mi" });
  t.deepEqual(parsed.sidecars![0].env, {});
  const containers = containersOf(parsed);
  t.deepEqual(
    containers.map((c) => [c.name, c.ingress, c.probePort, c.dependsOn]),
    [
      ["app", true, 8080, ["proxy"]],
      ["proxy", false, 9000, []],
    ],
  );
  t.is(containers[1].startupDeadlineMs, 1000);
  const unprobed = containersOf(parseServiceTemplate({ ...twoContainers, sidecars: [{ name: "proxy", image }] }));
  t.like(unprobed[1], { probePort: undefined, startupDeadlineMs: 240_000 });
  t.deepEqual(
    startGroups(containers).map((g) => g.map((c) => c.name)),
    [["proxy"], ["app"]],
  );
});

test("start groups: a container starts after everything it depends on, the independent ones together", (t) => {
  const c = (name: string, dependsOn: string[] = []) => ({ name, dependsOn }) as Parameters<typeof startGroups>[0][number];
  const groups = startGroups([c("app", ["db", "cache"]), c("db"), c("cache", ["db"]), c("log")]);
  t.deepEqual(
    groups.map((g) => g.map((x) => x.name)),
    [["db", "log"], ["cache"], ["app"]],
  );
  t.deepEqual(
    startGroups([c("app")]).map((g) => g.map((x) => x.name)),
    [["app"]],
  );
  t.deepEqual(dependsOnCycle([c("a", ["b"]), c("b", ["c"]), c("c", ["a"])]), ["a", "b", "c", "a"]);
  t.is(dependsOnCycle([c("a", ["b"]), c("b")]), undefined);
});

test("names: the ingress container is named once there are sidecars, and names are unique DNS labels", (t) => {
  t.deepEqual(violations({ image, sidecars: [{ name: "proxy", image }] }), [
    "template.containerName: is required once the template has sidecars: each container of an instance is named",
  ]);
  t.deepEqual(violations({ image, containerName: "app", sidecars: [{ name: "app", image }] }), [
    'template.sidecars[0].name: "app" is the name of containerName too: container names are unique',
  ]);
  t.true(
    violations({ image, containerName: "App", sidecars: [{ name: "x", image }] })[0].startsWith(
      "template.containerName: must be a DNS label",
    ),
  );
  t.deepEqual(violations({ image, containerName: "app", sidecars: [{ name: "proxy" }] }), [
    "template.sidecars[0].image: is required: the container image to run",
  ]);
});

test("dependsOn names other containers and forms no cycle", (t) => {
  t.deepEqual(violations({ ...twoContainers, dependsOn: ["nope"] }), [
    'template.dependsOn[0]: names no container: "nope" is not among the template\'s containers',
  ]);
  t.deepEqual(violations({ ...twoContainers, dependsOn: ["app"] }), [
    'template.dependsOn[0]: "app" is this container itself: a container cannot wait for itself',
  ]);
  t.deepEqual(violations({ ...twoContainers, sidecars: [{ name: "proxy", image, dependsOn: ["app"] }] }), [
    "template.dependsOn: forms a cycle: app -> proxy -> app",
  ]);
});

test("a sidecar has no port: none in its fields, its probe names the port it listens on, PORT is the platform's", (t) => {
  t.deepEqual(violations({ ...twoContainers, sidecars: [{ name: "proxy", image, port: 9000 }] }), [
    'template.sidecars[0]: Unrecognized key: "port"',
  ]);
  t.deepEqual(violations({ ...twoContainers, sidecars: [{ name: "proxy", image, startupProbe: { periodSeconds: 1 } }] }), [
    "template.sidecars[0].startupProbe.tcpSocket.port: is required: a sidecar has no port of its own for the probe to connect to",
  ]);
  t.is(violations({ ...twoContainers, sidecars: [{ name: "proxy", image, env: { PORT: "1" } }] }).length, 1);
});

test("at most 10 containers, and their limits together within an instance's: 8 CPUs, 32Gi", (t) => {
  const sidecars = Array.from({ length: 10 }, (_, i) => ({ name: `s${i}`, image, resources: { cpu: "0.5", memory: "128Mi" } }));
  t.deepEqual(violations({ image, containerName: "app", sidecars }), [
    "template.sidecars: must hold at most 9: an instance has at most 10 containers",
  ]);
  t.deepEqual(violations({ image, containerName: "app", sidecars: sidecars.slice(0, 9) }), []);
  t.deepEqual(
    violations({ image, containerName: "app", resources: { cpu: "6" }, sidecars: [{ name: "s", image, resources: { cpu: "4" } }] }),
    ["template.sidecars: the containers' CPU limits add up to 10: an instance's containers may have at most 8 CPUs together"],
  );
  t.deepEqual(
    violations({
      image,
      containerName: "app",
      resources: { memory: "20Gi" },
      sidecars: [{ name: "s", image, resources: { memory: "16Gi" } }],
    }),
    ["template.sidecars: the containers' memory limits add up to 36864Mi: an instance's containers may have at most 32Gi together"],
  );
});

test("a sidecar mounts the template's volumes, by name", (t) => {
  const volumes = [{ name: "shared", emptyDir: { medium: "MEMORY", sizeLimit: "16Mi" } }];
  t.deepEqual(
    violations({
      ...twoContainers,
      volumes,
      volumeMounts: [{ name: "shared", mountPath: "/srv" }],
      sidecars: [{ name: "proxy", image, volumeMounts: [{ name: "shared", mountPath: "/data" }] }],
    }),
    [],
  );
  t.deepEqual(
    violations({ ...twoContainers, volumes, sidecars: [{ name: "proxy", image, volumeMounts: [{ name: "other", mountPath: "/data" }] }] }),
    ['template.sidecars[0].volumeMounts[0].name: names no volume: "other" is not among the template\'s volumes'],
  );
});

test("a job's template takes sidecars beside its main container, by the same rules", (t) => {
  const plain = parseJobSpec({ template: { image } }).template;
  t.false("sidecars" in plain || "containerName" in plain);
  const withSidecar = parseJobSpec({
    template: {
      image,
      containerName: "main",
      dependsOn: ["db"],
      sidecars: [{ name: "db", image, startupProbe: { tcpSocket: { port: 5432 } } }],
    },
  }).template;
  t.deepEqual(
    startGroups(containersOf(withSidecar)).map((g) => g.map((c) => [c.name, c.probePort])),
    [[["db", 5432]], [["main", undefined]]],
  );
  const error = t.throws(() => parseJobSpec({ template: { image, sidecars: [{ name: "db", image }] } }));
  t.regex(error.message, /template\.containerName: is required once the template has sidecars/);
});
