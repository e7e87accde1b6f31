import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { filterOf } from "../../provider/cli/logs-commands";
import { parseLogFilter } from "../../provider/logs/log-filter";

// gcloud's log commands (googlecloudsdk surface/run/{services,jobs,revisions,jobs/executions}/logs/
// {read,tail}.py), pasted with `gcloud run` replaced by `skiff`: each is a command skiff knows, and
// its flags (command_lib/logs/read.py's LogFilterArgs and LoggingReadArgs) parse. Without an engine
// a known command gets as far as connecting (exit 2, "engine is not running"); an unknown command
// or flag is a usage error (exit 1) before that.

const CLI = join(__dirname, "..", "..", "provider", "cli", "main.js");

function run(args: string[]): { status: number | null; stderr: string } {
  const home = mkdtempSync(join(tmpdir(), "skiff-logs-cli-"));
  try {
    const result = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, SKIFF_HOME: home }, encoding: "utf8" });
    return { status: result.status, stderr: result.stderr };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const READ_FLAGS = ["--limit", "10", "--order", "desc", "--freshness", "1d", "--log-filter", "severity>=ERROR", "--region", "us-central1"];

for (const command of [
  ["services", "logs", "read", "web", ...READ_FLAGS],
  ["services", "logs", "tail", "web", "--log-filter", "severity>=ERROR", "--region", "us-central1"],
  ["beta", "services", "logs", "tail", "web", "--project", "p"],
  ["jobs", "logs", "read", "migrate", ...READ_FLAGS],
  ["beta", "jobs", "logs", "tail", "migrate"],
  ["beta", "jobs", "executions", "logs", "read", "migrate-abcde", ...READ_FLAGS],
  ["beta", "jobs", "executions", "logs", "tail", "migrate-abcde"],
  ["beta", "revisions", "logs", "read", "web-00001-abc", ...READ_FLAGS],
  ["alpha", "revisions", "logs", "tail", "web-00001-abc"],
  ["logs", "read", "web", "--freshness", "2d12h"],
]) {
  test(`skiff ${command.join(" ")}: a command skiff knows, its flags parse`, (t) => {
    const { status, stderr } = run(command);
    t.regex(stderr, /engine is not running/);
    t.is(status, 2);
  });
}

test("--order asc and a --freshness that is no duration are usage errors before any request", (t) => {
  const asc = run(["services", "logs", "read", "web", "--order", "asc"]);
  t.is(asc.status, 1);
  t.regex(asc.stderr, /--order: asc is not supported/);
  const fresh = run(["services", "logs", "read", "web", "--freshness", "soon"]);
  t.is(fresh.status, 1);
  t.regex(fresh.stderr, /--freshness: expected a duration/);
});

test("the flags as one filter: each part in parentheses, --freshness as gcloud's timestamp bound unless the filter names timestamp", (t) => {
  const now = Date.parse("2026-12-07T05:00:00Z");
  t.is(filterOf({ freshness: 3_600_000 }, now), 'timestamp>="2026-12-07T04:00:00.000Z"');
  t.is(
    filterOf({ requestsOnly: true, logFilter: "severity>=ERROR OR httpRequest.status=404", freshness: 86_400_000 }, now),
    '(httpRequest:*) AND (severity>=ERROR OR httpRequest.status=404) AND (timestamp>="2026-12-06T05:00:00.000Z")',
  );
  t.is(filterOf({ logFilter: 'timestamp>="2026-01-01"', freshness: 1000 }, now), 'timestamp>="2026-01-01"');
  t.is(filterOf({}, now), undefined);
  // What the engine gets parses.
  t.notThrows(() => parseLogFilter(filterOf({ status: "5xx", severity: "warning", logFilter: "a=1 OR b=2", freshness: 1 }, now)!));
});
