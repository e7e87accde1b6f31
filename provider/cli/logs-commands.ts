import { Command } from "commander";
import { commonOptions, connect, withCommon } from "./common";
import { intFlag, nameArg } from "./flags";

export function logsCommands(): Command {
  const logs = new Command("logs").description("read or follow a service's container logs");

  withCommon(logs.command("read"))
    .argument("<service>", "service name", nameArg("service"))
    .option("--revision <revision>", "only this revision's lines", nameArg("revision", "--revision"))
    .option("--limit <n>", "the last N lines", intFlag("--limit"))
    .action(async (service: string, options) => {
      const { project, format } = commonOptions(options);
      const text = await (await connect()).logs(project, service, { revision: options.revision, limit: options.limit });
      if (format === "json") process.stdout.write(JSON.stringify(text ? text.split("\n") : []) + "\n");
      else if (text) process.stdout.write(text + "\n");
    });

  withCommon(logs.command("tail"))
    .argument("<service>", "service name", nameArg("service"))
    .option("--revision <revision>", "only this revision's lines", nameArg("revision", "--revision"))
    .action(async (service: string, options) => {
      const { project } = commonOptions(options);
      await (await connect()).logs(project, service, { revision: options.revision, follow: true, onChunk: (t) => process.stdout.write(t) });
    });
  return logs;
}
