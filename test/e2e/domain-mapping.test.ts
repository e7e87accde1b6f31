import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { listOf } from "../helpers/cli";
import { stateRowsMentioning } from "../helpers/state";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, hostOfUrl, portOfUrl, revisionsServed, suffix, transcript } from "./pulumi";

// The domain-mapping example routes its domain, and no mapping is left after destroy.

const id = suffix();
const stack = `dm-${id}`;
const domain = `api-${id}.example.test`;
let engine: TestEngine;
let project: PulumiProject;

test.before(async () => {
  let image: string;
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  project = await PulumiProject.example("domain-mapping", engine.home);
  await project.initStack(stack, { image, domain });
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

test.serial("pulumi up maps the domain to the service", async (t) => {
  await project.up(stack);
  const out = await project.outputs(stack);
  t.is(out.domainUrl, `http://${domain}:${engine.ingressPort}`);
  t.is(out.status, "READY");
  const viaService = await revisionsServed(portOfUrl(out.serviceUrl), hostOfUrl(out.serviceUrl), 3);
  const viaDomain = await revisionsServed(portOfUrl(out.domainUrl), hostOfUrl(out.domainUrl), 3);
  t.is(viaService.size, 1, JSON.stringify([...viaService]));
  t.deepEqual([...viaDomain], [...viaService]);
});

test.serial("pulumi preview --expect-no-changes passes right after up", async (t) => {
  const result = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(result.code, 0, transcript("pulumi preview --expect-no-changes", result));
});

test.serial("pulumi destroy removes the mapping and everything else of the stack", async (t) => {
  await project.ok(stack, ["destroy", "--yes"]);
  t.deepEqual(await project.resources(stack), []);
  t.deepEqual(listOf(await engine.skiffJson(["domain-mappings", "list", "--project", stack]), "domainMappings"), []);
  t.deepEqual(listOf(await engine.skiffJson(["services", "list", "--project", stack]), "services"), []);
  const answer = await engine.request(`${domain}:${engine.ingressPort}`, "/");
  t.is(answer.status, 404);
  t.deepEqual(stateRowsMentioning(engine.home, domain), []);
  t.deepEqual(stateRowsMentioning(engine.home, stack), []);
});
