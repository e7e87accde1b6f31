import * as path from "node:path";
import test from "ava";
import { engineVolumes } from "../helpers/docker";
import { REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { httpRequest } from "../helpers/http";
import { pairImages } from "../helpers/pair-images";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, containersGone, hostOfUrl, suffix } from "./pulumi";

// Issue 23, must-show 5, under the real Pulumi CLI: a two-container service in pulumi-gcp's shape
// (skiff.cloudrunv2.Service, `containers` with `dependsOns`) and in skiff's own (skiff.Service's
// `template.containers`) goes up, serves through its sidecar, previews with no changes, and
// destroys clean: no container or volume of the engine left.

let engine: TestEngine;
let project: PulumiProject;
let images: { proxy: string; backend: string };

test.before(async () => {
  [images, engine] = await Promise.all([pairImages(), startEngine()]);
  project = await PulumiProject.create(path.join(REPO_ROOT, "test", "e2e", "programs", "sidecars"), engine.home);
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

test.serial("two containers with dependsOns: up, serve through the sidecar, no changes on preview, destroy clean", async (t) => {
  const stack = `pair-${suffix()}`;
  await project.initStack(stack, { proxyImage: images.proxy, backendImage: images.backend });
  await project.up(stack);
  const outputs = await project.outputs(stack);
  for (const url of [outputs.webUrl as string, outputs.apiUrl as string]) {
    const answer = await httpRequest(engine.ingressPort, hostOfUrl(url), "/through");
    t.is(answer.status, 200, `${url}: ${answer.body}`);
    const backend = JSON.parse(answer.body) as { role: string; listenedAt: number; path: string };
    t.like(backend, { role: "backend", path: "/through" });
    t.true(Number(answer.headers["x-proxy-started-at"]) >= backend.listenedAt, "the ingress container started after its sidecar listened");
  }
  // http://<service>[.<project>].localhost:<port>
  const [name, maybeProject] = new URL(outputs.webUrl as string).hostname.split(".");
  const serviceProject = maybeProject === "localhost" ? "default" : maybeProject;
  const client = await engine.api();
  const web = await client.getService(serviceProject, name);
  t.like(web.template, { containerName: "app", dependsOn: ["backend"] });
  t.like(web.template.sidecars?.[0], { name: "backend", resources: { cpu: "0.5", memory: "256Mi" } });

  const preview = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(preview.code, 0, `${preview.stdout}${preview.stderr}`);

  await project.ok(stack, ["destroy", "--yes"]);
  await containersGone({ "skiff.engine": engine.engineId });
  t.deepEqual(await engineVolumes(engine.engineId), []);
  t.deepEqual(await client.listServices(serviceProject), []);
});
