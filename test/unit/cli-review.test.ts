import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import test from "ava";
import { run } from "../helpers/docker";
import { CLI_ENTRY, REPO_ROOT } from "../helpers/engine";

// `skiff review` as a command, with no engine and no Pulumi: a recorded preview from a file or
// stdin gives the report (Markdown or JSON), "before" taken from the Pulumi state and said so; a
// wrong flag, file or preview is exit 1 with one line naming the flag.

const home = mkdtempSync(path.join(os.tmpdir(), "skiff-review-home-"));
const fixture = JSON.parse(readFileSync(path.join(REPO_ROOT, "test", "fixtures", "review", "migrate-then-shift-v2.json"), "utf8"));
const previewFile = path.join(home, "preview.json");
writeFileSync(previewFile, JSON.stringify(fixture.preview));

const skiff = (args: string[], input?: string) =>
  run(process.execPath, [CLI_ENTRY, ...args], { env: { ...process.env, SKIFF_HOME: home }, input });

test("a preview from a file, with no engine running: the report, its 'before' from the Pulumi state, exit 0", async (t) => {
  const result = await skiff(["review", "--preview-file", previewFile]);
  t.is(result.code, 0, result.stderr);
  t.true(
    result.stdout.startsWith(
      "## skiff review of stack `mts`\n\nBefore: what the Pulumi state recorded at the last `pulumi up` or `pulumi refresh` (the engine was not read).",
    ),
    result.stdout,
  );
  t.true(
    result.stdout.includes(
      `- "before" is what the Pulumi state recorded at the last \`pulumi up\` or \`pulumi refresh\`, not what runs now (no engine runs in ${home}); image digests were not looked up`,
    ),
    result.stdout,
  );
  t.true(result.stdout.includes("- `migrate` executes before web's traffic moves"), result.stdout);
});

test("from stdin, as JSON", async (t) => {
  const result = await skiff(["review", "--preview-file", "-", "--format", "json"], JSON.stringify(fixture.preview));
  t.is(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  t.deepEqual(report.before.source, "state");
  t.deepEqual(
    report.services.map((s: { name: string }) => s.name),
    ["web"],
  );
});

const mistakes: [string, string[], string | undefined, RegExp][] = [
  [
    "a file that is not there",
    ["--preview-file", "/nonexistent/preview.json"],
    undefined,
    /^skiff: error: --preview-file: cannot read \/nonexistent\/preview.json: ENOENT\n$/,
  ],
  ["text that is not JSON", ["--preview-file", "-"], "not json\n", /^skiff: error: --preview-file: stdin is not JSON: .*\n$/],
  [
    "JSON that is not a preview",
    ["--preview-file", "-"],
    '{"hello": 1}',
    /^skiff: error: --preview-file: stdin is not the output of `pulumi preview --json` \(it has no "steps"\)\n$/,
  ],
  [
    "a file and a stack at once",
    ["--preview-file", "x.json", "--stack", "dev"],
    undefined,
    /^skiff: error: --preview-file: give either a preview file or --cwd\/--stack to run one, not both\n$/,
  ],
  [
    "a format it does not print",
    ["--preview-file", "-", "--format", "yaml"],
    "{}",
    /--format <format>' argument 'yaml' is invalid\. Allowed choices are markdown, json\./,
  ],
];

for (const [what, args, input, message] of mistakes) {
  test(`${what}: exit 1, one line naming the flag`, async (t) => {
    const result = await skiff(["review", ...args], input);
    t.is(result.code, 1, result.stdout + result.stderr);
    t.regex(result.stderr, message);
    t.is(result.stdout, "");
  });
}
