import { promises as fs } from "node:fs";
import * as path from "node:path";
import test from "ava";
import { containersWithLabels } from "../helpers/docker";
import { TestEngine, startEngine } from "../helpers/engine";
import { eventually, httpRequest } from "../helpers/http";
import { demoImage } from "../helpers/node-image";
import { stateRowsMentioning } from "../helpers/state";
import { tearDown } from "../helpers/teardown";
import { PulumiProject, hostOfUrl, portOfUrl, suffix, transcript } from "./pulumi";

// examples/private-backend under the real CLI: a public web service whose env names a private
// api's uri calls it with an identity token of its own account (from the metadata server in its
// container), which a ServiceIamMember makes an invoker of api. Without a token api answers 401,
// to an account that is no invoker 403; a preview right after up is empty; taking the member away
// makes web's call a 403; destroy leaves nothing of the stack.

const id = suffix();
const stack = `private-${id}`;
const webAccount = "web@my-project-name.iam.gserviceaccount.com";
let engine: TestEngine;
let project: PulumiProject;

test.before(async () => {
  let image: string;
  // The example's own image: with API_URL set, it calls that URL with an identity token.
  [image, engine] = await Promise.all([demoImage(), startEngine()]);
  project = await PulumiProject.example("private-backend", engine.home);
  await project.initStack(stack, { image });
});

test.after.always(() =>
  tearDown(
    () => project?.dispose(),
    () => engine?.dispose(),
  ),
);

function get(url: string, headers: Record<string, string> = {}) {
  return httpRequest(portOfUrl(url), hostOfUrl(url), "/", { headers });
}

async function outputs(): Promise<{ webUri: string; apiUri: string }> {
  return (await project.outputs(stack)) as { webUri: string; apiUri: string };
}

test.serial("the program's only skiff-specific line is its import", async (t) => {
  const source = await fs.readFile(path.join(project.dir, "index.ts"), "utf8");
  t.deepEqual(
    source.split("\n").filter((line) => /skiff-run|@pulumi\/gcp/.test(line)),
    ['import * as gcp from "skiff-run";'],
  );
});

test.serial(
  "pulumi up: a request to web makes web call the private api with its identity token, and api's answer comes back",
  async (t) => {
    await project.up(stack);
    const { webUri, apiUri } = await outputs();
    t.is(apiUri, `http://api.${stack}.localhost:${engine.ingressPort}`);
    const answer = await get(webUri);
    t.log(`web answered ${answer.status}: ${answer.body.trim()}`);
    t.is(answer.status, 200, answer.body);
    t.regex(
      answer.body,
      new RegExp(
        `^Hello from web! Revision web-\\S+ asked ${apiUri.replace(/\./g, "\\.")} and got 200: Hello from the private api! Served by revision api-\\S+\\.\n$`,
      ),
    );

    const api = await engine.api();
    t.deepEqual((await api.getPolicy(stack, "service", "api")).bindings, [
      { role: "roles/run.invoker", members: [`serviceAccount:${webAccount}`] },
    ]);
    t.deepEqual((await api.getPolicy(stack, "service", "web")).bindings, [{ role: "roles/run.invoker", members: ["allUsers"] }]);
    t.is((await api.getService(stack, "web")).template.serviceAccount, webAccount);
  },
);

test.serial("api itself: 401 without a token, 403 to an account that is no invoker, 200 to web's account", async (t) => {
  const { apiUri } = await outputs();
  const api = await engine.api();
  const tokenOf = async (serviceAccount: string) => (await api.identityToken({ audience: apiUri, serviceAccount })).token;

  const anonymous = await get(apiUri);
  t.is(anonymous.status, 401, anonymous.body);
  const stranger = await get(apiUri, { authorization: `Bearer ${await tokenOf(`other@my-project-name.iam.gserviceaccount.com`)}` });
  t.is(stranger.status, 403, stranger.body);
  t.regex(stranger.body, /other@my-project-name\.iam\.gserviceaccount\.com is not an invoker/);
  const asWeb = await get(apiUri, { authorization: `Bearer ${await tokenOf(webAccount)}` });
  t.is(asWeb.status, 200, asWeb.body);
});

test.serial("pulumi preview --expect-no-changes passes right after up, and after a refresh", async (t) => {
  const result = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(result.code, 0, transcript("pulumi preview --expect-no-changes", result));
  await project.ok(stack, ["refresh", "--yes"]);
  const again = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(again.code, 0, transcript("pulumi preview --expect-no-changes (after refresh)", again));
});

test.serial("without the ServiceIamMember web's call gets 403 from api; with it again, 200", async (t) => {
  const { webUri } = await outputs();
  await project.ok(stack, ["config", "set", "grantWebAccess", "false"]);
  const up = await project.up(stack);
  t.regex(up.stdout, /- +pulumi-nodejs:dynamic\/skiff\/cloudrunv2:ServiceIamMember +web-invokes-api +deleted/);
  const refused = await get(webUri);
  t.is(refused.status, 403, refused.body);
  t.regex(refused.body, new RegExp(`got 403: forbidden: ${webAccount.replace(/\./g, "\\.")} is not an invoker of this service`));
  t.deepEqual((await (await engine.api()).getPolicy(stack, "service", "api")).bindings, []);
  const quiet = await project.pulumi(stack, ["preview", "--expect-no-changes"]);
  t.is(quiet.code, 0, transcript("pulumi preview --expect-no-changes", quiet));

  await project.ok(stack, ["config", "set", "grantWebAccess", "true"]);
  await project.up(stack);
  t.is((await get(webUri)).status, 200);
});

test.serial("pulumi destroy leaves no container, revision, policy or state row of the stack", async (t) => {
  await project.ok(stack, ["destroy", "--yes"]);
  const api = await engine.api();
  t.deepEqual(await project.resources(stack), []);
  t.deepEqual(await api.listServices(stack), []);
  t.deepEqual(await api.listRevisions(stack), []);
  // Containers stop in the background once out of routing (drain, SIGTERM, grace), as a delete does.
  await eventually("the stack's containers to be gone", async () => (await containersWithLabels({ "skiff.project": stack })).length === 0);
  t.deepEqual(await containersWithLabels({ "skiff.project": stack }), []);
  t.deepEqual(stateRowsMentioning(engine.home, stack), []);
});
