#!/usr/bin/env node
import { Command, Option } from "commander";
import { engineHome } from "../base/home";
import { version } from "../base/version";
import { checkHome } from "../client/home-check";
import { authCommands } from "./auth-commands";
import { consoleCommand } from "./console-command";
import { deployCommand } from "./deploy";
import { devCommand } from "./dev-command";
import { domainMappingCommands } from "./domain-commands";
import { engineCommands } from "./engine-commands";
import { executionCommands } from "./execution-commands";
import { jobCommands } from "./job-commands";
import { logsCommands } from "./logs-commands";
import { mappingCommands } from "./mapping-commands";
import { reportError, setVerbosity } from "./output";
import { reviewCommand } from "./review-command";
import { revisionCommands } from "./revision-commands";
import { secretCommands } from "./secret-commands";
import { serviceCommands } from "./service-commands";

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
    .hook("preAction", (command) => {
      const level = String(command.opts().verbosity ?? "warning");
      setVerbosity(level);
      // Stack traces through the bundled CLI read as the source files (the bundle ships its map).
      if (level === "debug") process.setSourceMapsEnabled(true);
      checkHome(engineHome());
    })
    .addCommand(engineCommands())
    .addCommand(deployCommand())
    .addCommand(devCommand())
    .addCommand(serviceCommands())
    .addCommand(revisionCommands())
    .addCommand(domainMappingCommands())
    .addCommand(jobCommands())
    .addCommand(executionCommands())
    .addCommand(logsCommands())
    .addCommand(authCommands())
    .addCommand(secretCommands())
    .addCommand(reviewCommand())
    .addCommand(consoleCommand());
  for (const command of mappingCommands()) program.addCommand(command);
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
