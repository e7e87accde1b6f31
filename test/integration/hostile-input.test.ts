import test from "ava";
import type { ExecutionContext } from "ava";
import { CLI_ENTRY, REPO_ROOT, TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, hostOf, transcript } from "../helpers/cli";
import { run } from "../helpers/docker";
import { adminRequest } from "../helpers/probes";

// Hostile image references and path-like names, through the CLI and the raw admin API: each is
// refused with the field named (CLI exit 1, HTTP 400) and nothing changes anywhere. The victim is a
// live service in another project that a traversal would reach.
// Serial: the last tests compare the state of every project before and after the ones above.

let engine: TestEngine;
let image: string;
let before: string;

const VICTIM = { name: "victim", project: "other" };

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  await deploy(engine, VICTIM.name, ["--image", image, "--project", VICTIM.project]);
  before = await stateOfAllProjects();
});

test.after.always(async () => {
  await engine?.dispose();
});

const HOSTILE_IMAGES = [
  "../../../containers/json",
  "UPPER/Case::bad",
  "nginx:latest/../x",
  "http://evil/x",
  "a b",
  "%2e%2e/x",
  "nginx@sha256:short",
  `registry.example.com/${"a".repeat(300)}`,
  "/abs",
  "x?y=1",
];

const IMAGE_REASON_PREFIX =
  'must be a container image reference such as "nginx", "nginx:1.27" or "registry.example.com:5000/team/app@sha256:…"';
const DNS_LABEL_REASON = "must be a DNS label: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen";

/** Every project this file touches (or a hostile name could reach), as the API lists them, without live counters. */
async function stateOfAllProjects(): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const project of ["default", "other"]) {
    const api = await engine.api();
    const services = (await api.listServices(project)) as unknown as Record<string, unknown>[];
    const revisions = (await api.listRevisions(project)) as unknown as Record<string, unknown>[];
    const mappings = await api.listDomainMappings(project);
    out[project] = {
      services: services.map(({ scaling: _s, ...rest }) => rest),
      revisions: revisions.map(({ scaling: _s, instanceError: _e, ...rest }) => rest),
      mappings,
    };
  }
  return JSON.stringify(out, null, 1);
}

/** The CLI refused the input before acting: exit 1 and exactly one line on stderr, starting with `expected`. */
async function refusedByCli(t: ExecutionContext, args: string[], expected: string): Promise<void> {
  const result = await engine.skiff(args);
  const said = transcript(args, result);
  t.is(result.code, 1, said);
  t.is(result.stdout, "", said);
  const lines = result.stderr.split("\n").filter((l) => l !== "");
  t.is(lines.length, 1, `exactly one line of error:\n${said}`);
  t.true(lines[0]?.startsWith(expected), `the error names the field: expected it to start with ${JSON.stringify(expected)}\n${said}`);
}

/** The admin API refused: 400 INVALID_ARGUMENT with exactly one violation, naming `field`. */
async function refusedByApi(
  t: ExecutionContext,
  method: string,
  rawPath: string,
  field: string,
  body?: unknown,
  reason?: string | RegExp,
): Promise<void> {
  const answer = await adminRequest(engine, method, rawPath, body);
  const said = `${method} ${rawPath} → ${answer.status} ${answer.body}`;
  t.is(answer.status, 400, said);
  let parsed: { error?: { code?: string; violations?: { field: string; reason: string }[] } };
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    t.fail(`the answer is not JSON: ${said}`);
    return;
  }
  t.is(parsed.error?.code, "INVALID_ARGUMENT", said);
  t.deepEqual(
    parsed.error?.violations?.map((v) => v.field),
    [field],
    said,
  );
  const given = parsed.error?.violations?.[0]?.reason ?? "";
  if (typeof reason === "string") t.true(given.startsWith(reason), said);
  else if (reason) t.regex(given, reason, said);
}

test.serial("deploy refuses ten hostile image references with exit 1 and one line naming --image", async (t) => {
  for (const ref of HOSTILE_IMAGES) {
    await refusedByCli(t, ["deploy", "web", "--image", ref], `skiff: error: --image (template.image): ${IMAGE_REASON_PREFIX}`);
  }
});

test.serial("the API refuses ten hostile image references with 400 naming template.image", async (t) => {
  for (const ref of HOSTILE_IMAGES) {
    await refusedByApi(t, "PUT", "/v1/projects/default/services/web", "template.image", { template: { image: ref } }, IMAGE_REASON_PREFIX);
  }
});

test.serial("the CLI refuses ten path-like or malformed names with exit 1 and one line naming the argument or flag", async (t) => {
  const cases: [string[], string][] = [
    [
      ["deploy", "../../other/services/victim", "--image", image],
      `skiff: error: service: "../../other/services/victim" ${DNS_LABEL_REASON}`,
    ],
    [["deploy", "Bad_Name", "--image", image], `skiff: error: service: "Bad_Name" ${DNS_LABEL_REASON}`],
    [["deploy", "a---b", "--image", image], `skiff: error: service: "a---b" must not contain '---'`],
    [["services", "delete", "../../other/services/victim"], `skiff: error: service: "../../other/services/victim" ${DNS_LABEL_REASON}`],
    [["revisions", "describe", "../x"], `skiff: error: revision: "../x" ${DNS_LABEL_REASON}`],
    [["deploy", "web", "--image", image, "--project", "../../x"], `skiff: error: --project: "../../x" ${DNS_LABEL_REASON}`],
    [["services", "list", "--project", "UP"], `skiff: error: --project: "UP" ${DNS_LABEL_REASON}`],
    [["deploy", "web", "--image", image, "--tag", "---"], `skiff: error: --tag: "---" ${DNS_LABEL_REASON}`],
    [["deploy", "web", "--image", image, "--tag", "Tag!"], `skiff: error: --tag: "Tag!" ${DNS_LABEL_REASON}`],
    [
      ["domain-mappings", "create", "--service", "victim", "--project", "other", "--domain", "a..b"],
      `skiff: error: --domain: "a..b" must be a lowercase domain name`,
    ],
    [
      ["domain-mappings", "create", "--service", "victim", "--project", "other", "--domain", "-x.test"],
      `skiff: error: --domain: "-x.test" must be a lowercase domain name`,
    ],
  ];
  for (const [args, expected] of cases) await refusedByCli(t, args, expected);
});

test.serial("the API refuses %-encoded path-like names with 400 naming the path parameter, and a malformed %-escape too", async (t) => {
  const spec = { template: { image } };
  const e = encodeURIComponent;
  // Service names, each in a PUT with a valid image and in a DELETE.
  for (const name of ["../../other/services/victim", "Bad_Name", "a---b", "UP", "victim/../../x"]) {
    await refusedByApi(t, "PUT", `/v1/projects/default/services/${e(name)}`, "service", spec);
    await refusedByApi(t, "DELETE", `/v1/projects/default/services/${e(name)}`, "service");
  }
  await refusedByApi(t, "GET", `/v1/projects/default/revisions/${e("../x")}`, "revision", undefined, `"../x" ${DNS_LABEL_REASON}`);
  for (const project of ["../../x", "UP"]) {
    await refusedByApi(t, "GET", `/v1/projects/${e(project)}/services`, "project", undefined, `"${project}" ${DNS_LABEL_REASON}`);
    await refusedByApi(t, "PUT", `/v1/projects/${e(project)}/services/web`, "project", spec);
  }
  for (const tag of ["---", "Tag!"]) {
    await refusedByApi(t, "PUT", `/v1/projects/default/services/web?tag=${e(tag)}`, "tag", spec, `"${tag}" ${DNS_LABEL_REASON}`);
  }
  for (const domain of ["a..b", "-x.test"]) {
    await refusedByApi(
      t,
      "POST",
      "/v1/projects/other/domainmappings",
      "domain",
      { domain, service: "victim" },
      "must be a lowercase domain name",
    );
  }
  // Malformed %-escapes are the client's mistake, named, never a 500.
  await refusedByApi(t, "GET", "/v1/projects/default/services/%zz", "service", undefined, `"%zz" is not a valid %-encoded path segment`);
  await refusedByApi(t, "DELETE", "/v1/projects/default/services/%zz", "service", undefined, `"%zz" is not a valid %-encoded path segment`);
  await refusedByApi(t, "GET", "/v1/projects/%E0%A4%A/services", "project", undefined, `"%E0%A4%A" is not a valid %-encoded path segment`);
  await refusedByApi(t, "PUT", "/v1/projects/default/services/web%", "service", spec, `"web%" is not a valid %-encoded path segment`);
});

test.serial(
  "`skiff services describe S | head -1` exits 0 and prints the first line and no error, even when the reader is gone first",
  async (t) => {
    const describe = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_ENTRY)} services describe victim --project other`;
    for (const reader of ["head -1", "head -n 0"]) {
      const script = `set -o pipefail; ${describe} | ${reader}`;
      const result = await run("bash", ["-c", script], {
        env: { ...process.env, SKIFF_HOME: engine.home },
        cwd: REPO_ROOT,
        timeoutMs: 60_000,
      });
      const said = `$ ${script}\n(exit ${result.code})\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
      t.is(result.code, 0, said);
      t.is(result.stderr, "", said);
      t.is(result.stdout, reader === "head -1" ? "Service victim in project other\n" : "", said);
    }
  },
);

test.serial(
  "after all of the above the engine is up, the victim in another project serves 200 and no project's state changed",
  async (t) => {
    const status = await engine.skiff(["engine", "status", "--format", "json"]);
    t.is(status.code, 0, transcript(["engine", "status"], status));
    t.is(JSON.parse(status.stdout).running, true);
    const answer = await engine.request(hostOf(engine, VICTIM.name, VICTIM.project), "/");
    t.is(answer.status, 200, answer.body);
    t.is(await stateOfAllProjects(), before, "services, revisions and domain mappings of default and other are exactly as before");
  },
);

test.serial("an admin API path with dot segments (../ or %2e%2e/) never reaches another project's service", async (t) => {
  // A client that builds paths without encoding a name, or encodes dots, must not be walked into
  // another project: the path names project "default", so nothing in "other" may be read or changed.
  const stateBefore = await stateOfAllProjects();
  const spec = { template: { image, env: { TRAVERSED: "1" } } };
  const attempts: [string, string, unknown?][] = [
    ["GET", "/v1/projects/default/services/../../other/services/victim"],
    ["GET", "/v1/projects/default/services/%2e%2e/%2e%2e/other/services/victim"],
    ["PUT", "/v1/projects/default/services/%2E%2E/%2E%2E/other/services/victim", spec],
    ["PUT", "/v1/projects/default/services/./../../other/services/victim", spec],
    ["DELETE", "/v1/projects/default/services/..%2f..%2fother%2fservices%2fvictim"],
    ["DELETE", "/v1/projects/default/services/.%2e/%2e./other/services/victim"],
  ];
  const answers: string[] = [];
  for (const [method, rawPath, body] of attempts) {
    const answer = await adminRequest(engine, method, rawPath, body);
    answers.push(`${method} ${rawPath} → ${answer.status} ${answer.body.slice(0, 160)}`);
  }
  t.deepEqual(
    answers.map((a) => /→ (\d+)/.exec(a)?.[1]),
    attempts.map(() => "400"),
    `each is refused as a bad name (400), none reaches other/victim:\n${answers.join("\n")}`,
  );
  t.is(await stateOfAllProjects(), stateBefore, "no project's state changed");
  const victim = await engine.request(hostOf(engine, VICTIM.name, VICTIM.project), "/");
  t.is(victim.status, 200, victim.body);
});
