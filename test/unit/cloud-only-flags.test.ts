import test from "ava";
import type { Command } from "commander";
import { ignoredFlagsNote } from "../../provider/cli/common";
import { deployCommand, serviceUpdateCommand } from "../../provider/cli/deploy";
import { devCommand } from "../../provider/cli/dev-command";
import { domainMappingCommands } from "../../provider/cli/domain-commands";
import { executionCommands } from "../../provider/cli/execution-commands";
import { jobCommands } from "../../provider/cli/job-commands";
import { logsCommands } from "../../provider/cli/logs-commands";
import { mappingCommands } from "../../provider/cli/mapping-commands";
import { revisionCommands } from "../../provider/cli/revision-commands";
import { secretCommands } from "../../provider/cli/secret-commands";
import { serviceCommands } from "../../provider/cli/service-commands";

// gcloud's flags that mean something only on Google Cloud: every command takes --region and
// --platform (scripts pass them to every `gcloud run` command), the commands that write a template
// take the rest (network, CPU allocation, boost, affinity, encryption), hidden from help; the
// commands that write a template name the ones given on stderr, once.

/** Every command a user can run, by its full name. */
function leaves(command: Command, prefix = ""): [string, Command][] {
  const name = `${prefix}${command.name()}`;
  if (command.commands.length === 0) return [[name, command]];
  return command.commands.filter((c) => c.name() !== "help").flatMap((c) => leaves(c, `${name} `));
}

/** The commands that are gcloud run's (engine, console and review are skiff's own; gcloud auth takes no region). */
const GROUPS: Command[] = [
  deployCommand(),
  devCommand(),
  serviceCommands(),
  revisionCommands(),
  domainMappingCommands(),
  jobCommands(),
  executionCommands(),
  logsCommands(),
  secretCommands(),
  ...mappingCommands(),
];

/** What `command` leaves unparsed of argv (its options only; the action does not run). */
function unknownOf(command: Command, argv: string[]): string[] {
  return command.parseOptions(argv).unknown;
}

test("every gcloud run command takes --region and --platform, and help does not list them", (t) => {
  const all = GROUPS.flatMap((g) => leaves(g));
  t.true(all.length > 40, `found ${all.length} commands`);
  for (const [name, command] of all) {
    t.deepEqual(unknownOf(command, ["--region", "us-central1", "--platform", "managed"]), [], `skiff ${name}`);
    t.notRegex(command.helpInformation(), /--region|--platform/, `skiff ${name} --help`);
  }
});

test("deploy, services update and jobs create|update|deploy take gcloud's cloud-only template flags, both ways where gcloud has a --no- form", (t) => {
  const deploy = [
    "--execution-environment",
    "gen2",
    "--cpu-boost",
    "--no-cpu-throttling",
    "--session-affinity",
    "--vpc-connector",
    "c",
    "--vpc-egress",
    "all-traffic",
    "--network",
    "n",
    "--subnet",
    "s",
    "--network-tags",
    "a,b",
    "--binary-authorization",
    "default",
    "--key",
    "k",
  ];
  for (const command of [deployCommand(), serviceUpdateCommand()]) {
    t.deepEqual(unknownOf(command, deploy), [], command.name());
    t.deepEqual(
      unknownOf(command, [
        "--no-cpu-boost",
        "--cpu-throttling",
        "--no-session-affinity",
        "--clear-vpc-connector",
        "--clear-network",
        "--clear-network-tags",
        "--clear-binary-authorization",
        "--breakglass",
        "why",
        "--clear-key",
        ...["--gpu", "1", "--gpu-type", "nvidia-l4", "--no-gpu-zonal-redundancy", "--regions", "us-central1,europe-west1"],
        ...["--no-deploy-health-check", "--no-automatic-updates", "--base-image", "nodejs22"],
        ...["--min", "1", "--max", "3", "--scaling", "auto"],
      ]),
      [],
    );
  }
  const jobs = jobCommands();
  for (const name of ["create", "update", "deploy"]) {
    const command = jobs.commands.find((c) => c.name() === name)!;
    t.deepEqual(
      unknownOf(command, [
        ...["--vpc-connector", "c", "--vpc-egress", "all-traffic", "--network", "n", "--subnet", "s", "--key", "k"],
        ...["--breakglass", "why", "--clear-key", "--clear-network-tags", "--clear-binary-authorization"],
      ]),
      [],
      `jobs ${name}`,
    );
  }
  const createMapping = domainMappingCommands().commands.find((c) => c.name() === "create")!;
  t.deepEqual(unknownOf(createMapping, ["--force-override", "--certificate-mode", "automatic"]), [], "domain-mappings create");
  const another = domainMappingCommands().commands.find((c) => c.name() === "create")!;
  another.parseOptions(["--force-override", "--certificate-mode", "none"]);
  t.is(
    ignoredFlagsNote(another.opts()),
    "skiff: note: --certificate-mode has no local effect and is ignored\n",
    "--force-override has one",
  );
  const describe = serviceCommands().commands.find((c) => c.name() === "describe")!;
  t.deepEqual(unknownOf(describe, ["--cpu-boost"]), ["--cpu-boost"], "a command that writes no template does not take them");
});

test("the note names each ignored flag as it was given; none given, no note", (t) => {
  const command = deployCommand();
  command.parseOptions(["--region", "r", "--no-cpu-throttling", "--cpu-boost", "--image", "i"]);
  t.is(ignoredFlagsNote(command.opts()), "skiff: note: --region, --cpu-boost, --no-cpu-throttling have no local effect and are ignored\n");
  t.is(ignoredFlagsNote(deployCommand().opts()), undefined);
  const update = serviceUpdateCommand();
  update.parseOptions(["--min", "2", "--default-url", "--description", "web", "--cpu-boost"]);
  // --min, --max and --scaling set the service's own scaling, --[no-]default-url and --description are kept: not noted.
  t.is(ignoredFlagsNote(update.opts()), "skiff: note: --cpu-boost has no local effect and is ignored\n");
});

test("gcloud's --async is accepted where a change here returns once made: deletes, update-traffic, jobs create|update|deploy", (t) => {
  const leaf = (group: Command, path: string) => path.split(" ").reduce((at, name) => at.commands.find((c) => c.name() === name)!, group);
  for (const [group, path] of [
    [serviceCommands(), "delete"],
    [serviceCommands(), "update-traffic"],
    [revisionCommands(), "delete"],
    [jobCommands(), "delete"],
    [domainMappingCommands(), "delete"],
    [jobCommands(), "create"],
    [jobCommands(), "update"],
    [jobCommands(), "deploy"],
  ] as const) {
    const command = leaf(group, path);
    t.deepEqual(unknownOf(command, ["--async"]), [], `${group.name()} ${path}`);
    t.notRegex(command.helpInformation(), /--async/);
  }
  // executions cancel waits for the execution to end, as gcloud's does: there --async means something, and help says what.
  const cancel = leaf(executionCommands(), "cancel");
  t.deepEqual(unknownOf(cancel, ["--async"]), []);
  t.regex(cancel.helpInformation(), /--async +return once the cancel is asked for/);
});
