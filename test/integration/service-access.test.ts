import test from "ava";
import type { ExecutionContext } from "ava";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { spawn } from "node:child_process";
import { CLI_ENTRY, TestEngine, startEngine } from "../helpers/engine";
import { eventually, httpRequest } from "../helpers/http";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, hostOf, listRevisions, skiffOk, transcript } from "../helpers/cli";

// Who may call a service, through the CLI as a user drives it (issue 19): deploy's
// --[no-]allow-unauthenticated, --ingress and --service-account; the IAM commands of services and
// jobs; identity tokens from `skiff auth print-identity-token`, sent as curl would send them; and
// the service account and ingress annotation through --format export and services replace.

let engine: TestEngine;
let image: string;
let scratch: string;

test.before(async () => {
  [image, engine, scratch] = await Promise.all([
    fixtureImage(),
    startEngine(),
    fs.mkdtemp(path.join(os.tmpdir(), "skiff-service-access-")),
  ]);
});

test.after.always(async () => {
  await engine?.dispose();
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
});

function urlOf(service: string): string {
  return `http://${service}.localhost:${engine.ingressPort}`;
}

/** `$(skiff auth print-identity-token --audiences URL [--impersonate-service-account SA])`: the whole of stdout, a JWT and a newline. */
async function identityToken(t: ExecutionContext, audience: string, serviceAccount?: string): Promise<string> {
  const args = [
    "auth",
    "print-identity-token",
    "--audiences",
    audience,
    ...(serviceAccount ? ["--impersonate-service-account", serviceAccount] : []),
  ];
  const result = await skiffOk(engine, args);
  t.regex(result.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, `the token and a newline, nothing else\n${transcript(args, result)}`);
  t.is(result.stderr, "");
  return result.stdout.trim();
}

/** GET / of the service through the ingress, as curl sends it: with the Authorization header when a token is given. */
async function call(service: string, token?: string): Promise<number> {
  const answer = await engine.request(hostOf(engine, service), "/", token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return answer.status;
}

const X = "x@p.iam.gserviceaccount.com";
const Y = "y@p.iam.gserviceaccount.com";

/** What the engine holds as the service's policy, in its own shape. */
async function policyOf(service: string) {
  return (await engine.api()).getPolicy("default", "service", service);
}

test.serial(
  "deploy --no-allow-unauthenticated: 401 without a token, 200 with the owner's from print-identity-token; describe says require authentication",
  async (t) => {
    await deploy(engine, "private", ["--image", image, "--no-allow-unauthenticated", "--service-account", "web@p.iam.gserviceaccount.com"]);
    t.deepEqual((await describeService(engine, "private")).invokers, [], "no invoker: only the owner and those added later may call");
    t.is(await call("private"), 401, "a plain request");
    t.is(
      await call("private", await identityToken(t, urlOf("private"))),
      200,
      'curl -H "Authorization: Bearer $(skiff auth print-identity-token --audiences URL)" URL',
    );
    t.is(await call("private", await identityToken(t, urlOf("elsewhere"))), 401, "a token for another URL");

    const described = await skiffOk(engine, ["services", "describe", "private"]);
    for (const line of [
      "  Ingress:           all",
      "  Authentication:    require authentication",
      "  Service account:   web@p.iam.gserviceaccount.com",
    ]) {
      t.true(described.stdout.split("\n").includes(line), `describe shows "${line.trim()}"\n${described.stdout}`);
    }
  },
);

test.serial(
  "add-iam-policy-binding of a service account lets its token in (another's gets 403); get-iam-policy prints what gcloud prints; remove-iam-policy-binding takes it away",
  async (t) => {
    const added = await skiffOk(engine, [
      "services",
      "add-iam-policy-binding",
      "private",
      "--member",
      `serviceAccount:${X}`,
      "--role",
      "roles/run.invoker",
    ]);
    const { etag } = await policyOf("private");
    const yaml = `bindings:\n- members:\n  - serviceAccount:${X}\n  role: roles/run.invoker\netag: ${etag}\nversion: 1\n`;
    t.is(added.stderr, "Updated IAM policy for service [private].\n");
    t.is(added.stdout, yaml, "the policy as gcloud prints it");
    t.is(await call("private", await identityToken(t, urlOf("private"), X)), 200, "the invoker's token");
    t.is(await call("private", await identityToken(t, urlOf("private"), Y)), 403, "a valid token of someone else");
    t.is(await call("private"), 401, "still no way in without a token");

    t.is((await skiffOk(engine, ["services", "get-iam-policy", "private"])).stdout, yaml, "YAML by default");
    t.deepEqual(JSON.parse((await skiffOk(engine, ["services", "get-iam-policy", "private", "--format", "json"])).stdout), {
      bindings: [{ members: [`serviceAccount:${X}`], role: "roles/run.invoker" }],
      etag,
      version: 1,
    });
    t.is(
      (await skiffOk(engine, ["services", "get-iam-policy", "private", "--format", "table"])).stdout,
      `ROLE               MEMBER\nroles/run.invoker  serviceAccount:${X}\n`,
    );

    const removed = await skiffOk(engine, [
      "services",
      "remove-iam-policy-binding",
      "private",
      "--member",
      `serviceAccount:${X}`,
      "--role",
      "roles/run.invoker",
    ]);
    t.is(removed.stdout, `etag: ${(await policyOf("private")).etag}\nversion: 1\n`, "no bindings left");
    t.is(await call("private", await identityToken(t, urlOf("private"), X)), 403, "the binding is gone");
  },
);

test.serial(
  "a deploy with neither flag keeps the service private (a new --service-account makes a new revision); --allow-unauthenticated makes it public again, other invokers kept",
  async (t) => {
    await skiffOk(engine, [
      "services",
      "add-iam-policy-binding",
      "private",
      "--member",
      `user:ana@example.com`,
      "--role",
      "roles/run.invoker",
    ]);
    await deploy(engine, "private", ["--service-account", "api@p.iam.gserviceaccount.com"]);
    const redeployed = await describeService(engine, "private");
    t.is(redeployed.template.serviceAccount, "api@p.iam.gserviceaccount.com");
    t.is((await listRevisions(engine, "private")).length, 2, "a changed service account is a new revision");
    t.deepEqual(redeployed.invokers, ["user:ana@example.com"], "the policy is left alone");
    t.is(await call("private"), 401);

    await deploy(engine, "private", ["--allow-unauthenticated"]);
    t.deepEqual((await describeService(engine, "private")).invokers, ["allUsers", "user:ana@example.com"]);
    t.is((await listRevisions(engine, "private")).length, 2, "access is no template change");
    t.is(await call("private"), 200, "public: no token needed");
    t.true((await skiffOk(engine, ["services", "describe", "private"])).stdout.includes("  Authentication:    allow unauthenticated\n"));
  },
);

test("set-iam-policy FILE takes what get-iam-policy printed; with a stale etag it exits 1 naming the conflict and changes nothing", async (t) => {
  await deploy(engine, "etags", ["--image", image]);
  const file = path.join(scratch, "etags-policy.yaml");
  await fs.writeFile(file, (await skiffOk(engine, ["services", "get-iam-policy", "etags"])).stdout);
  await skiffOk(engine, ["services", "add-iam-policy-binding", "etags", "--member", `serviceAccount:${X}`, "--role", "roles/run.invoker"]);
  const changed = await policyOf("etags");

  const args = ["services", "set-iam-policy", "etags", file];
  const stale = await engine.skiff(args);
  t.is(stale.code, 1, transcript(args, stale));
  t.regex(
    stale.stderr,
    /^skiff: error: FILE: etag "[\w-]+" is stale: the IAM policy of service \[etags\] was changed since it was read; get it again with get-iam-policy and retry\n$/,
    transcript(args, stale),
  );
  t.is(stale.stdout, "");
  t.deepEqual(await policyOf("etags"), changed, "nothing changed");

  // A policy written by hand, in JSON, without an etag: set as it is.
  await fs.writeFile(file, JSON.stringify({ bindings: [{ role: "roles/run.invoker", members: [`serviceAccount:${Y}`] }], version: 1 }));
  const set = await skiffOk(engine, args);
  t.is(set.stderr, "Updated IAM policy for service [etags].\n");
  t.deepEqual((await policyOf("etags")).bindings, [{ role: "roles/run.invoker", members: [`serviceAccount:${Y}`] }]);
  t.is(await call("etags"), 401, "allUsers was not in the file: the service is private now");
});

test("bad --member, --role, --service-account or --ingress exits 1 with one line naming the flag, and changes nothing", async (t) => {
  await deploy(engine, "strict", ["--image", image]);
  const before = await describeService(engine, "strict");
  const policy = await policyOf("strict");
  const cases: [string[], string][] = [
    [
      ["services", "add-iam-policy-binding", "strict", "--member", "bogus", "--role", "roles/run.invoker"],
      '--member: must be allUsers, allAuthenticatedUsers, user:EMAIL, serviceAccount:EMAIL, group:EMAIL or domain:DOMAIN, got "bogus"',
    ],
    [
      ["services", "add-iam-policy-binding", "strict", "--member", "allUsers", "--role", "owner"],
      '--role: must be a role such as "roles/run.invoker", got "owner"',
    ],
    [
      ["services", "remove-iam-policy-binding", "strict", "--member", `serviceAccount:${X}`, "--role", "roles/run.invoker"],
      `--member: serviceAccount:${X} has no roles/run.invoker binding on service [strict]; nothing changed`,
    ],
    [
      ["deploy", "strict", "--service-account", "not-an-email"],
      '--service-account: must be a service account email such as web@my-project.iam.gserviceaccount.com, got "not-an-email"',
    ],
    [["deploy", "strict", "--ingress", "bogus"], '--ingress: must be one of all, internal, internal-and-cloud-load-balancing, got "bogus"'],
  ];
  for (const [args, error] of cases) {
    const result = await engine.skiff(args);
    t.is(result.code, 1, transcript(args, result));
    t.is(result.stderr, `skiff: error: ${error}\n`, transcript(args, result));
    t.is(result.stdout, "");
  }
  const after = await describeService(engine, "strict");
  t.is(after.generation, before.generation);
  t.deepEqual(after.template, before.template);
  t.is(after.ingress, "all");
  t.deepEqual(await policyOf("strict"), policy);
});

test("--ingress internal: 404 from the host; export → replace keeps the ingress annotation and serviceAccountName, and a changed serviceAccountName makes a new revision", async (t) => {
  await deploy(engine, "walled", ["--image", image, "--ingress", "internal", "--service-account", "web@p.iam.gserviceaccount.com"]);
  t.is(await call("walled"), 404, "only the engine's containers may call it");
  const exported = (await skiffOk(engine, ["services", "describe", "walled", "--format", "export"])).stdout;
  const doc = parseYaml(exported) as {
    metadata: { annotations: Record<string, string> };
    spec: { template: { spec: Record<string, unknown> } };
  };
  t.deepEqual(doc.metadata.annotations, { "run.googleapis.com/ingress": "internal" });
  t.is(doc.spec.template.spec.serviceAccountName, "web@p.iam.gserviceaccount.com");
  t.is(
    ((await engine.skiffJson(["services", "describe", "walled"])) as { metadata: { annotations: Record<string, string> } }).metadata
      .annotations["run.googleapis.com/ingress-status"],
    "internal",
  );

  const file = path.join(scratch, "walled.yaml");
  await fs.writeFile(file, exported);
  const same = await skiffOk(engine, ["services", "replace", file]);
  t.is(same.stderr, "", "nothing in what export printed is ignored");
  t.is(same.stdout, `Service walled unchanged (same template).\nService URL: ${urlOf("walled")}\n`);

  // As one edits an exported Cloud Run YAML: another account, and the revision name left out.
  await fs.writeFile(file, exported.replace("web@p.iam", "api@p.iam").replace(/^ {6}name: walled-.*\n/m, ""));
  await skiffOk(engine, ["services", "replace", file]);
  const after = await describeService(engine, "walled");
  t.is(after.template.serviceAccount, "api@p.iam.gserviceaccount.com");
  t.is(after.ingress, "internal");
  t.regex(after.latestReadyRevision ?? "", /^walled-00002-/, "a new revision, ready");
  t.is(await call("walled"), 404);
});

test("jobs: --service-account on deploy, update and describe --format export; the IAM commands work on jobs too", async (t) => {
  const created = await skiffOk(engine, [
    "jobs",
    "deploy",
    "batch",
    "--image",
    image,
    "--service-account",
    "batch@p.iam.gserviceaccount.com",
  ]);
  t.is(created.stdout, "Job batch created.\n");
  const exported = parseYaml((await skiffOk(engine, ["jobs", "describe", "batch", "--format", "export"])).stdout);
  t.is(exported.spec.template.spec.template.spec.serviceAccountName, "batch@p.iam.gserviceaccount.com");
  t.is((await skiffOk(engine, ["jobs", "deploy", "batch", "--tasks", "2"])).stdout, "Job batch updated.\n");
  await skiffOk(engine, ["jobs", "update", "batch", "--service-account", "other@p.iam.gserviceaccount.com"]);
  const job = await (await engine.api()).getJob("default", "batch");
  t.is(job.template.serviceAccount, "other@p.iam.gserviceaccount.com");
  t.is(job.template.taskCount, 2, "flags left out keep their values");

  const bad = await engine.skiff(["jobs", "update", "batch", "--service-account", "nope"]);
  t.is(bad.code, 1, transcript(["jobs", "update", "batch", "--service-account", "nope"], bad));
  t.regex(bad.stderr, /^skiff: error: --service-account: must be a service account email/);

  const added = await skiffOk(engine, [
    "jobs",
    "add-iam-policy-binding",
    "batch",
    "--member",
    "user:ana@example.com",
    "--role",
    "roles/run.invoker",
  ]);
  t.is(added.stderr, "Updated IAM policy for job [batch].\n");
  t.deepEqual(parseYaml(added.stdout).bindings, [{ members: ["user:ana@example.com"], role: "roles/run.invoker" }]);
  await skiffOk(engine, ["jobs", "remove-iam-policy-binding", "batch", "--member", "user:ana@example.com", "--role", "roles/run.invoker"]);
  t.deepEqual((await engine.skiffJson(["jobs", "get-iam-policy", "batch"])).bindings, undefined, "no bindings left");
});

test("a private service's instance gets the caller's verified token with its signature removed (Cloud Run's SIGNATURE_REMOVED_BY_GOOGLE); an audience with a path is 401; a public one gets the header as sent", async (t) => {
  await deploy(engine, "claims", ["--image", image, "--no-allow-unauthenticated"]);
  const token = await identityToken(t, urlOf("claims"));
  const [header, payload] = token.split(".");
  const seen = async (headers: Record<string, string>) => {
    const answer = await httpRequest(engine.ingressPort, hostOf(engine, "claims"), "/headers", { headers });
    t.is(answer.status, 200, answer.body);
    return JSON.parse(answer.body) as Record<string, string>;
  };
  t.is((await seen({ authorization: `Bearer ${token}` })).authorization, `Bearer ${header}.${payload}.SIGNATURE_REMOVED_BY_GOOGLE`);
  // The token in X-Serverless-Authorization: that one loses its signature; the app's own Authorization is untouched.
  const both = await seen({ "x-serverless-authorization": `Bearer ${token}`, authorization: "Basic dXNlcjpwdw==" });
  t.is(both["x-serverless-authorization"], `Bearer ${header}.${payload}.SIGNATURE_REMOVED_BY_GOOGLE`);
  t.is(both.authorization, "Basic dXNlcjpwdw==");
  // The forwarded token no longer opens the service.
  const replayed = await httpRequest(engine.ingressPort, hostOf(engine, "claims"), "/", {
    headers: { authorization: `Bearer ${header}.${payload}.SIGNATURE_REMOVED_BY_GOOGLE` },
  });
  t.is(replayed.status, 401);
  // A token minted for the full URL of one request (a path in its audience) is not one for the service: 401, as on Cloud Run.
  const withPath = await identityToken(t, `${urlOf("claims")}/headers`);
  const refused = await httpRequest(engine.ingressPort, hostOf(engine, "claims"), "/headers", {
    headers: { authorization: `Bearer ${withPath}` },
  });
  t.is(refused.status, 401);
  t.regex(refused.body, /audience ".*\/headers" is not this service's URL \(its origin/);
  t.is(
    (await seen({ authorization: `Bearer ${await identityToken(t, `${urlOf("claims")}/`)}` })).authorization.split(".")[2],
    "SIGNATURE_REMOVED_BY_GOOGLE",
  );
  // Public: Cloud Run checks no token, and the header passes as it came.
  await skiffOk(engine, ["services", "add-iam-policy-binding", "claims", "--member", "allUsers", "--role", "roles/run.invoker"]);
  t.is((await seen({ authorization: `Bearer ${token}` })).authorization, `Bearer ${token}`);
});

test("services proxy serves a private service on 127.0.0.1 with the caller's token in X-Serverless-Authorization (bodies both ways, the client's Authorization kept), its --tag a tag's revision; without it the service answers 401; Ctrl-C stops it", async (t) => {
  await deploy(engine, "vault", ["--image", image, "--no-allow-unauthenticated", "--tag", "first"]);
  const first = (await describeService(engine, "vault")).latestCreatedRevision!;
  await deploy(engine, "vault", ["--image", image, "--env", "V=2"]);
  t.is((await engine.request(`vault.localhost:${engine.ingressPort}`, "/")).status, 401, "private: no token, no answer");
  // As on Cloud Run, X-Serverless-Authorization is the token checked when it is there, whatever Authorization says.
  const token = await identityToken(t, urlOf("vault"));
  const both = await httpRequest(engine.ingressPort, `vault.localhost:${engine.ingressPort}`, "/", {
    headers: { "x-serverless-authorization": `Bearer ${token}`, authorization: "Bearer not-a-token" },
  });
  t.is(both.status, 200, both.body);
  const onlyApp = await httpRequest(engine.ingressPort, `vault.localhost:${engine.ingressPort}`, "/", {
    headers: { "x-serverless-authorization": "Bearer not-a-token", authorization: `Bearer ${token}` },
  });
  t.is(onlyApp.status, 401, "a bad X-Serverless-Authorization is not rescued by a good Authorization");

  for (const [args, revision] of [
    [[], (await describeService(engine, "vault")).latestCreatedRevision!],
    [["--tag", "first"], first],
  ] as const) {
    const proxy = spawn(process.execPath, [CLI_ENTRY, "services", "proxy", "vault", "--port", "0", ...args], {
      env: { ...process.env, SKIFF_HOME: engine.home },
    });
    let err = "";
    proxy.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    const exited = new Promise<number | null>((resolve) => proxy.once("exit", resolve));
    try {
      await eventually("the proxy says where it listens", async () => /on http:\/\/127\.0\.0\.1:\d+\n/.test(err), 10_000, 50);
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(err)![1]);
      const root = await httpRequest(port, `127.0.0.1:${port}`, "/");
      t.is(root.status, 200, root.body);
      t.is(root.body, `K_REVISION=${revision}\n`, `skiff services proxy vault ${args.join(" ")}`);
      const echo = await httpRequest(port, `127.0.0.1:${port}`, "/echo", { method: "POST", body: "through the proxy" });
      t.is(echo.body, "through the proxy");
      // The token rides in X-Serverless-Authorization: the client's own Authorization reaches the app.
      const seen = await httpRequest(port, `127.0.0.1:${port}`, "/headers", { headers: { authorization: "Basic YXBwOnVzZXI=" } });
      t.is((JSON.parse(seen.body) as Record<string, string>).authorization, "Basic YXBwOnVzZXI=");
    } finally {
      proxy.kill("SIGINT");
    }
    t.is(await exited, 0, `Ctrl-C ends it cleanly\n${err}`);
  }

  const args = ["services", "proxy", "vault", "--tag", "nosuch", "--port", "0"];
  const refused = await engine.skiff(args);
  t.is(refused.code, 1, transcript(args, refused));
  t.is(refused.stderr, 'skiff: error: --tag: "nosuch" is not a tag of vault; its tags are: first\n');
});

test("services update --no-invoker-iam-check lets anyone call a private service (allUsers, as the Admin API's invokerIamDisabled); --invoker-iam-check leaves the invokers; with --no-allow-unauthenticated it is refused", async (t) => {
  await deploy(engine, "unchecked", ["--image", image, "--no-allow-unauthenticated"]);
  t.is(await call("unchecked"), 401);
  const refusedArgs = ["services", "update", "unchecked", "--no-invoker-iam-check", "--no-allow-unauthenticated"];
  const refused = await engine.skiff(refusedArgs);
  t.is(refused.code, 1, transcript(refusedArgs, refused));
  t.is(
    refused.stderr,
    "skiff: error: --no-invoker-iam-check: cannot be combined with --no-allow-unauthenticated (the first lets anyone call)\n",
  );
  t.deepEqual((await describeService(engine, "unchecked")).invokers, [], "nothing changed");

  await skiffOk(engine, ["services", "update", "unchecked", "--no-invoker-iam-check"]);
  t.deepEqual((await describeService(engine, "unchecked")).invokers, ["allUsers"]);
  t.is(await call("unchecked"), 200, "no token needed");
  t.is((await listRevisions(engine, "unchecked")).length, 1, "access is no template change");
  await skiffOk(engine, ["services", "update", "unchecked", "--invoker-iam-check"]);
  t.deepEqual(
    (await describeService(engine, "unchecked")).invokers,
    ["allUsers"],
    "turning the check on leaves the policy to the IAM commands",
  );
});
