import test from "ava";
import { firstRevisionOf, skiffOk } from "../helpers/cli";
import type { CommandResult } from "../helpers/docker";
import type { TestEngine } from "../helpers/engine";
import { gcloud as gcloudAt, gcloudOk, disposeGcloudBed, startGcloudBed } from "../helpers/gcloud";

// Google's own gcloud as the oracle for what a traffic change, a revision list and a domain
// mapping print: gcloud against this engine's API and skiff's CLI must print the same.

let engine: TestEngine;
let image: string;
let config: string;
const R = ["--region", "europe-west1"];

test.before(async () => {
  ({ engine, image, config } = await startGcloudBed());
});

test.after.always(() => disposeGcloudBed(engine, config));

function gcloud(args: string[]): Promise<CommandResult> {
  return gcloudAt(engine, config, args);
}

function ok(args: string[]): Promise<string> {
  return gcloudOk(engine, config, args);
}

test.serial("gcloud's revisions list says which revision is ACTIVE (it reads the revision's Active condition)", async (t) => {
  await skiffOk(engine, ["deploy", "gc-active", "--image", image]);
  const first = await firstRevisionOf(engine, "gc-active");
  await skiffOk(engine, ["deploy", "gc-active", "--image", image, "--update-env-vars", "V=2"]);
  const table = await ok(["run", "revisions", "list", "--service", "gc-active", ...R]);
  const active = table
    .split("\n")
    .slice(1)
    .filter((line) => line.trim() !== "")
    .map((line) => line.trim().split(/\s+/).slice(1, 3));
  t.is(active.length, 2, table);
  t.deepEqual(active[1], [first, "gc-active"], "the old revision serves nothing: ACTIVE is blank");
  t.is(active[0][1], "yes", table);
});

test.serial(
  "domain-mappings describe prints the mapping as YAML by default, as gcloud's does; --format table keeps skiff's line",
  async (t) => {
    await skiffOk(engine, ["deploy", "gc-mapped", "--image", image]);
    await skiffOk(engine, ["domain-mappings", "create", "--service", "gc-mapped", "--domain", "mapped.example.test"]);
    const theirs = await ok(["beta", "run", "domain-mappings", "describe", "--domain", "mapped.example.test", ...R]);
    const ours = (await skiffOk(engine, ["domain-mappings", "describe", "--domain", "mapped.example.test"])).stdout;
    t.is(ours, theirs);
    t.regex(theirs, /^apiVersion: domains\.cloudrun\.com\/v1\n/);
    const line = (await skiffOk(engine, ["domain-mappings", "describe", "--domain", "mapped.example.test", "--format", "table"])).stdout;
    t.regex(line, /^mapped\.example\.test → service gc-mapped \(READY\)/);
  },
);

test.serial(
  "update-traffic --format json, yaml and value(...) print gcloud's traffic pairs, not the service, exactly as gcloud prints them",
  async (t) => {
    await skiffOk(engine, ["deploy", "gc-split", "--image", image]);
    const first = await firstRevisionOf(engine, "gc-split");
    await skiffOk(engine, ["deploy", "gc-split", "--image", image, "--update-env-vars", "V=2", "--tag", "next"]);
    const latest = await skiffOk(engine, ["services", "describe", "gc-split", "--format", "value(status.latestReadyRevisionName)"]);
    const second = latest.stdout.trim();
    const formats = [
      "json",
      "yaml",
      "value(displayPercent,displayRevisionId,tags[].tag,urls)",
      "value(revisionName,specPercent,statusTags)",
    ];
    const moves = [
      ["--to-revisions", `${first}=70`, "--update-tags", `old=${first}`],
      ["--to-tags", "next=20"],
    ];
    for (const move of moves)
      for (const format of formats) {
        const theirs = await ok(["run", "services", "update-traffic", "gc-split", ...R, ...move, "--format", format]);
        const ours = (await skiffOk(engine, ["services", "update-traffic", "gc-split", ...move, "--format", format])).stdout;
        t.is(ours, theirs, `${move.join(" ")} --format ${format}`);
      }
    const pairs = JSON.parse((await skiffOk(engine, ["services", "update-traffic", "gc-split", "--to-latest", "--format", "json"])).stdout);
    t.deepEqual(
      pairs.map((p: { key: string; statusPercent: string; displayTags: string }) => [p.key, p.statusPercent, p.displayTags]),
      [
        [first, "0", "old"],
        [second, "0", "next"],
        ["LATEST", "100", ""],
      ],
      "tagged targets keep a pair at 0 %; LATEST last",
    );
  },
);

test.serial(
  "the column formats and --sort-by read gcloud's wrapper attributes (name, service_name, active, domain, ...) exactly as gcloud does; --filter does not",
  async (t) => {
    await skiffOk(engine, ["deploy", "gc-attrs", "--image", image, "--labels", "team=a"]);
    await skiffOk(engine, ["deploy", "gc-attrs", "--image", image, "--update-env-vars", "V=2"]);
    await skiffOk(engine, ["domain-mappings", "create", "--service", "gc-attrs", "--domain", "attrs.example.test"]);
    const cases: [string[], string[]][] = [
      [
        ["run", "services", "list"],
        ["services", "list"],
      ],
      [
        ["run", "revisions", "list", "--service", "gc-attrs"],
        ["revisions", "list", "--service", "gc-attrs"],
      ],
      [
        ["beta", "run", "domain-mappings", "list"],
        ["domain-mappings", "list"],
      ],
    ];
    const formats = [
      ["--format", "value(name,namespace,generation,ready,ready_symbol,region)"],
      ["--format", "value(name,latest_ready_revision,serving_revisions,domain,image,revision_name)", "--sort-by", "~name"],
      [
        "--format",
        "value(name,service_name,active,image,concurrency,timeout,image_digest,creation_timestamp)",
        "--sort-by",
        "~creation_timestamp,name",
      ],
      ["--format", "csv(name,route_name,force_override)", "--sort-by", "name"],
    ];
    for (const [theirCommand, ourCommand] of cases)
      for (const format of formats) {
        const theirs = await ok([...theirCommand, ...R, ...format]);
        const ours = (await skiffOk(engine, [...ourCommand, ...format])).stdout;
        t.is(ours, theirs, `${ourCommand.join(" ")} ${format.join(" ")}`);
      }
    const filtered = await engine.skiff(["services", "list", "--filter", "name=gc-attrs", "--format", "value(metadata.name)"]);
    t.is(filtered.stdout, "", "gcloud's filter reads the object only: name is no key of it");
    const json = JSON.parse((await skiffOk(engine, ["services", "describe", "gc-attrs", "--format", "json"])).stdout);
    t.false("domain" in json, "json prints the object, without the wrapper's attributes");
  },
);

test.serial(
  "revisions list --service of a service that does not exist lists nothing and exits 0, as gcloud's label selector does",
  async (t) => {
    const theirs = await gcloud(["run", "revisions", "list", "--service", "gc-never", ...R, "--format", "value(metadata.name)"]);
    const ours = await engine.skiff(["revisions", "list", "--service", "gc-never", "--format", "value(metadata.name)"]);
    t.is(theirs.code, 0, theirs.stderr);
    t.is(ours.code, theirs.code, ours.stderr);
    t.is(ours.stdout, theirs.stdout);
    t.is(ours.stdout, "");
  },
);

test.serial(
  "list --uri prints each item's API URI, the endpoint and metadata.selfLink as gcloud's does, and the URI answers with the object",
  async (t) => {
    await skiffOk(engine, ["deploy", "gc-uri", "--image", image]);
    await skiffOk(engine, ["domain-mappings", "create", "--service", "gc-uri", "--domain", "uri.example.test"]);
    const path = (uri: string) => new URL(uri).pathname;
    const cases: [string[], string[]][] = [
      [
        ["run", "services", "list", "--filter", "metadata.name=gc-uri"],
        ["services", "list", "--filter", "metadata.name=gc-uri"],
      ],
      [
        ["run", "revisions", "list", "--service", "gc-uri"],
        ["revisions", "list", "--service", "gc-uri"],
      ],
      [
        ["beta", "run", "domain-mappings", "list", "--filter", "metadata.name=uri.example.test"],
        ["domain-mappings", "list", "--filter", "metadata.name=uri.example.test"],
      ],
    ];
    for (const [theirCommand, ourCommand] of cases) {
      const theirs = (await ok([...theirCommand, ...R, "--uri"])).trim().split("\n");
      const ours = (await skiffOk(engine, [...ourCommand, "--uri"])).stdout.trim().split("\n");
      t.deepEqual(ours.map(path), theirs.map(path), ourCommand.join(" "));
      t.regex(ours[0], /^http:\/\/127\.0\.0\.1:\d+\/apis\/[a-z.]+\/v1\/namespaces\/default\/[a-z]+\/[a-z0-9.-]+$/);
      const answer = await fetch(ours[0], { headers: { authorization: `Bearer ${engine.token}` } });
      t.is(answer.status, 200, ours[0]);
      t.is(((await answer.json()) as { metadata: { selfLink: string } }).metadata.selfLink, path(ours[0]));
    }
  },
);
