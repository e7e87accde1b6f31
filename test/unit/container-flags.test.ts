import test from "ava";
import { deployedTemplate, thrownMessage } from "../helpers/deploy-flags";
import { serviceToKnative } from "../../provider/knative/objects";
import { planReplace } from "../../provider/knative/service-from-knative";
import { templateFingerprint } from "../../provider/model/revision";
import { parseServiceTemplate } from "../../provider/model/template";
import { serviceObject } from "../helpers/service-object";

// gcloud's `--container NAME` flag groups of `skiff deploy`, and several containers in Knative YAML
// both ways: each maps to the same template model (an ingress container and its sidecars).

test("the issue's example: --container app --image A --port 8080 --container proxy --image B --depends-on app", (t) => {
  const template = deployedTemplate([
    "--container",
    "app",
    "--image",
    "a",
    "--port",
    "8080",
    "--container",
    "proxy",
    "--image",
    "b",
    "--depends-on",
    "app",
  ]);
  t.deepEqual(template, {
    image: "a",
    port: 8080,
    env: {},
    containerName: "app",
    sidecars: [{ name: "proxy", image: "b", env: {}, dependsOn: ["app"] }],
  });
  t.deepEqual(parseServiceTemplate(template).sidecars![0].dependsOn, ["app"]);
});

test("without --container nothing changes: the flags are the ingress container's, as before", (t) => {
  const template = deployedTemplate(["--image", "a", "--port", "9000", "--set-env-vars", "A=1", "--memory", "1Gi", "--command", "x,y"]);
  t.deepEqual(template, { image: "a", port: 9000, env: { A: "1" }, resources: { memory: "1Gi" }, command: ["x", "y"] });
});

test("an existing service: a group changes only its container; flags before any group are the ingress container's", (t) => {
  const existing = deployedTemplate(["--container", "app", "--image", "a", "--port", "8080", "--container", "proxy", "--image", "b"]);
  const next = deployedTemplate(
    ["--image", "a2", "--container", "proxy", "--update-env-vars", "X=1", "--cpu", "0.5", "--startup-probe", "tcpSocket.port=9000"],
    existing,
  );
  const parsed = parseServiceTemplate(next);
  t.is(parsed.image, "a2");
  t.deepEqual(parsed.env, {});
  t.like(parsed.sidecars![0], {
    name: "proxy",
    image: "b",
    env: { X: "1" },
    resources: { cpu: "0.5", memory: "512Mi" },
    startupProbe: { tcpSocket: { port: 9000 } },
  });
  // Each group's env flags are its own: a set in one and an update in another is fine.
  const both = deployedTemplate(
    ["--container", "app", "--set-env-vars", "A=1", "--container", "proxy", "--update-env-vars", "B=2"],
    existing,
  );
  t.deepEqual([both.env, both.sidecars![0].env], [{ A: "1" }, { B: "2" }]);
  const removed = parseServiceTemplate(deployedTemplate(["--remove-containers", "proxy"], existing));
  t.false("sidecars" in removed);
  t.is(removed.containerName, "app");
});

test("an existing one-container service: a named group without --port adds a sidecar and names the app's container <service>-1 (as Cloud Run's console does); with --port the group names it", (t) => {
  const existing = deployedTemplate(["--image", "a", "--set-env-vars", "A=1"]);
  const added = deployedTemplate(["--container", "collector", "--image", "c", "--command", "run"], existing);
  t.like(added, { image: "a", env: { A: "1" }, containerName: "web-1" });
  t.deepEqual(added.sidecars, [{ name: "collector", image: "c", env: {}, command: ["run"] }]);
  t.notThrows(() => parseServiceTemplate(added));
  // That name then names it, in the same command too.
  const both = deployedTemplate(["--container", "web-1", "--image", "a2", "--container", "collector", "--image", "c"], existing);
  t.like(both, { image: "a2", containerName: "web-1" });
  t.deepEqual(
    both.sidecars?.map((c) => c.name),
    ["collector"],
  );
  t.is(
    thrownMessage(() => deployedTemplate(["--container", "collector", "--set-env-vars", "B=2"], existing)),
    "--container collector: --image: is required for a new container",
  );
  const named = deployedTemplate(
    ["--container", "app", "--port", "8080", "--image", "a2", "--container", "side", "--image", "s"],
    existing,
  );
  t.like(named, { image: "a2", port: 8080, containerName: "app", env: { A: "1" } });
  t.deepEqual(
    named.sidecars?.map((c) => c.name),
    ["side"],
  );
});

test("a sidecar's mounts come with its group; volumes are the service's", (t) => {
  const template = deployedTemplate([
    "--add-volume",
    "name=shared,type=in-memory,size-limit=16Mi",
    "--container",
    "app",
    "--image",
    "a",
    "--port",
    "8080",
    "--add-volume-mount",
    "volume=shared,mount-path=/srv",
    "--container",
    "writer",
    "--image",
    "b",
    "--add-volume-mount",
    "volume=shared,mount-path=/data",
  ]);
  const parsed = parseServiceTemplate(template);
  t.deepEqual(parsed.volumeMounts, [{ name: "shared", mountPath: "/srv" }]);
  t.deepEqual(parsed.sidecars![0].volumeMounts, [{ name: "shared", mountPath: "/data" }]);
});

test("bad groups are exit-1 errors naming the flag and the container", (t) => {
  const existing = deployedTemplate(["--container", "app", "--image", "a", "--port", "8080", "--container", "proxy", "--image", "b"]);
  t.is(
    thrownMessage(() => deployedTemplate(["--container", "proxy", "--port", "9000"], existing)),
    "--container proxy: --port: only the ingress container (app) has a port; sidecars have none",
  );
  t.is(
    thrownMessage(() => deployedTemplate(["--container", "new", "--cpu", "1"], existing)),
    "--container new: --image: is required for a new container",
  );
  t.is(
    thrownMessage(() => deployedTemplate(["--remove-containers", "app"], existing)),
    '--remove-containers: "app" is the ingress container; it cannot be removed',
  );
  t.is(
    thrownMessage(() => deployedTemplate(["--container", "proxy", "--set-env-vars", "A=1", "--update-env-vars", "B=1"], existing)),
    "--container proxy: --set-env-vars: cannot be combined with --update-env-vars/--remove-env-vars",
  );
  t.is(
    thrownMessage(() => deployedTemplate(["--container", "app"])),
    "--image: is required to create a service (or --source DIR to build one)",
  );
});

const several = parseServiceTemplate({
  image: "proxy:1",
  containerName: "app",
  dependsOn: ["backend"],
  env: { A: "1" },
  volumes: [{ name: "shared", emptyDir: { sizeLimit: "16Mi" } }],
  volumeMounts: [{ name: "shared", mountPath: "/srv" }],
  sidecars: [
    {
      name: "backend",
      image: "backend:1",
      args: ["--fast"],
      env: { B: "2" },
      resources: { cpu: "0.5", memory: "256Mi" },
      startupProbe: { tcpSocket: { port: 9000 }, periodSeconds: 1, failureThreshold: 30 },
      secretEnv: { TOKEN: { secret: "tok", version: "2" } },
      volumeMounts: [{ name: "shared", mountPath: "/data" }],
    },
  ],
});

test("Knative YAML with several containers: named, the sidecar without ports, the order as Cloud Run's annotation; and back", (t) => {
  const k = serviceToKnative(serviceObject(several)) as any;
  const spec = k.spec.template.spec;
  t.deepEqual(
    spec.containers.map((c: any) => [c.name, c.image, c.ports !== undefined]),
    [
      ["app", "proxy:1", true],
      ["backend", "backend:1", false],
    ],
  );
  t.deepEqual(spec.containers[1].env, [
    { name: "B", value: "2" },
    { name: "TOKEN", valueFrom: { secretKeyRef: { name: "tok", key: "2" } } },
  ]);
  t.is(k.spec.template.metadata.annotations["run.googleapis.com/container-dependencies"], '{"app":["backend"]}');
  const plan = planReplace(k, "default");
  t.deepEqual(plan.ignored, []);
  t.is(templateFingerprint(parseServiceTemplate(plan.spec.template)), templateFingerprint(several));
});

test("Knative YAML of one container is as before: no name written, a name read back changes nothing", (t) => {
  const single = parseServiceTemplate({ image: "img:1" });
  const k = serviceToKnative(serviceObject(single)) as any;
  t.false("name" in k.spec.template.spec.containers[0]);
  k.spec.template.spec.containers[0].name = "hello-1";
  t.is(templateFingerprint(parseServiceTemplate(planReplace(k, "default").spec.template)), templateFingerprint(single));
});

test("Knative YAML errors: two containers with ports, or none, and a dependency on no container", (t) => {
  const k = serviceToKnative(serviceObject(several)) as any;
  const twoPorts = structuredClone(k);
  twoPorts.spec.template.spec.containers[1].ports = [{ containerPort: 9000 }];
  t.is(
    thrownMessage(() => planReplace(twoPorts, "default")),
    "spec.template.spec.containers: exactly one container has ports (the ingress container; the others are sidecars), got 2",
  );
  const badDeps = structuredClone(k);
  badDeps.spec.template.metadata.annotations["run.googleapis.com/container-dependencies"] = '{"nope":["app"]}';
  t.regex(
    thrownMessage(() => planReplace(badDeps, "default")),
    /names no container: "nope"/,
  );
});
