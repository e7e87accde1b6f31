#!/usr/bin/env node
import { Command, Option } from "commander";
import { engineHome } from "../base/home";
import { version } from "../base/version";
import { checkHome } from "../client/home-check";
import { setQuiet } from "./confirm";
import { reportError, setVerbosity } from "./output";

/**
 * The top-level commands, in the order help lists them, each with the module that builds it. A call
 * builds only the group it names (`skiff services ...` loads service-commands and what it imports,
 * never the jobs', secrets' or dev's modules, nor their commander trees): loading and building all
 * of them was ~a third of what a CLI call cost before its request (SPEC §8: ≤ 2.5× `node -e 0`).
 * Help, a mistyped name (commander suggests from all of them) and a global option before the
 * command build every group, so what they print is unchanged.
 */
const GROUPS: { names: string[]; build: (argv: string[]) => Command[] }[] = [
  { names: ["engine"], build: () => [(require("./engine-commands") as typeof import("./engine-commands")).engineCommands()] },
  { names: ["deploy"], build: () => [(require("./deploy") as typeof import("./deploy")).deployCommand()] },
  { names: ["dev"], build: () => [(require("./dev-command") as typeof import("./dev-command")).devCommand()] },
  { names: ["services"], build: (argv) => [servicesGroup(argv)] },
  { names: ["revisions"], build: (argv) => [revisionsGroup(argv)] },
  {
    names: ["domain-mappings"],
    build: () => [(require("./domain-commands") as typeof import("./domain-commands")).domainMappingCommands()],
  },
  { names: ["jobs"], build: (argv) => [jobsGroup(argv)] },
  { names: ["executions"], build: (argv) => [executionsGroup(argv, 3)] },
  { names: ["logs"], build: () => [(require("./logs-commands") as typeof import("./logs-commands")).logsCommands()] },
  { names: ["auth"], build: () => [(require("./auth-commands") as typeof import("./auth-commands")).authCommands()] },
  { names: ["secrets"], build: () => [(require("./secret-commands") as typeof import("./secret-commands")).secretCommands()] },
  { names: ["review"], build: () => [(require("./review-command") as typeof import("./review-command")).reviewCommand()] },
  { names: ["console"], build: () => [(require("./console-command") as typeof import("./console-command")).consoleCommand()] },
  {
    names: ["buckets", "nfs", "cloudsql"],
    build: () => (require("./mapping-commands") as typeof import("./mapping-commands")).mappingCommands(),
  },
];

/** `services logs` and `jobs logs`: gcloud run's own names for `logs read|tail` of a service's or a job's log. */
const logsGroup = () => (require("./logs-commands") as typeof import("./logs-commands")).logsCommands();

/**
 * `skiff services`, with `update` (deploy's flags, in deploy's module) and `logs`; `skiff jobs`, with
 * `logs`, `executions` and `replace`. Those live in other groups' modules, so they join only when the call may need them: it
 * names them, or no other command of the group (help, a typo: they list them). `services describe`
 * and the rest load nothing more.
 */
function servicesGroup(argv: string[]): Command {
  const group = (require("./service-commands") as typeof import("./service-commands")).serviceCommands();
  return withBorrowed(group, argv, {
    update: () => (require("./deploy") as typeof import("./deploy")).serviceUpdateCommand(),
    logs: logsGroup,
  });
}

function jobsGroup(argv: string[]): Command {
  return withBorrowed((require("./job-commands") as typeof import("./job-commands")).jobCommands(), argv, {
    logs: logsGroup,
    // gcloud run jobs executions list|describe|cancel|delete: skiff's executions group under gcloud's name.
    executions: () => executionsGroup(argv, 4),
    // gcloud run jobs replace: beside services replace, with the Cloud Run YAML readers it needs.
    replace: () => (require("./replace-command") as typeof import("./replace-command")).jobReplaceCommand(),
  });
}

/** `revisions logs` and `executions logs` (gcloud beta run revisions logs, jobs executions logs): one revision's or execution's log. */
const logsModule = () => require("./logs-commands") as typeof import("./logs-commands");

function revisionsGroup(argv: string[]): Command {
  const group = (require("./revision-commands") as typeof import("./revision-commands")).revisionCommands();
  return withBorrowed(group, argv, { logs: () => logsModule().revisionLogsCommands() });
}

/** The executions group, named at argv[at] (`skiff executions ...` or `skiff jobs executions ...`). */
function executionsGroup(argv: string[], at: number): Command {
  const group = (require("./execution-commands") as typeof import("./execution-commands")).executionCommands();
  return withBorrowed(group, argv, { logs: () => logsModule().executionLogsCommands() }, at);
}

function withBorrowed(group: Command, argv: string[], borrowed: Record<string, () => Command>, at = 3): Command {
  const named = argv[at];
  const ownCommand = group.commands.some((command) => command.name() === named);
  for (const [name, build] of Object.entries(borrowed)) if (named === name || !ownCommand) group.addCommand(build());
  return group;
}

/** The groups a call needs: the one its first argument names, else all of them. */
function groupsFor(argv: string[]): typeof GROUPS {
  const named = GROUPS.filter((group) => group.names.includes(argv[2]));
  return named.length > 0 ? named : GROUPS;
}

/** `skiff`: gcloud-like commands over the engine's admin API. Exit 0 ok, 1 user error, 2 engine or internal error. */
async function main(argv: string[]): Promise<void> {
  const program = new Command("skiff")
    .description("Cloud Run-style serverless containers on your machine")
    .version(version)
    .showHelpAfterError()
    .addOption(
      new Option("--verbosity <level>", "how much to say; debug adds stack traces to internal errors")
        .choices(["debug", "info", "warning", "error", "critical", "none"])
        .default("warning"),
    )
    // gcloud's global -q: every command takes it, anywhere on the line (`gcloud -q run services
    // replace f.yaml`, `... describe S --quiet`), and it answers every prompt with its default.
    .addOption(new Option("-q, --quiet", "do not prompt (deletes go ahead)"))
    .hook("preAction", (command) => {
      const level = String(command.opts().verbosity ?? "warning");
      setVerbosity(level);
      if (command.opts().quiet === true) setQuiet();
      // Stack traces through the bundled CLI read as the source files (the bundle ships its map).
      if (level === "debug") process.setSourceMapsEnabled(true);
      checkHome(engineHome());
    });
  // `gcloud beta run services logs tail S` (tail is beta only in gcloud) pasted as `skiff beta services logs tail S`.
  if (argv[2] === "beta" || argv[2] === "alpha") argv = [...argv.slice(0, 2), ...argv.slice(3)];
  for (const group of groupsFor(argv)) for (const command of group.build(argv)) program.addCommand(command);
  await program.parseAsync(argv);
}

// `skiff services describe s | head -1`: the reader went away. That ends the command quietly, as it
// does for any Unix tool, instead of crashing on the next write.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

main(process.argv).catch((error) => {
  process.exitCode = reportError(error);
});
