import { Command } from "commander";
import { KNATIVE_PATH_OF_FIELD, planReplace } from "../knative/service-from-knative";
import { serviceToKnative } from "../knative/objects";
import { commonOptions, connect, withCommon } from "./common";
import { readRequestFile } from "./file-input";
import { render } from "./formats";
import { UsageError, useFlagNames } from "./output";

/**
 * `skiff services replace FILE.yaml`: applies a Knative/Cloud Run Service object (read by
 * knative/service-from-knative.ts, which the engine's v1 API shares); fields with no local meaning
 * are named once in a warning.
 */
export function replaceCommand(): Command {
  return withCommon(new Command("replace"))
    .argument("<file>", "a Knative Service in YAML or JSON (what `services describe --format export` prints)")
    .description("create or update a service from a Knative/Cloud Run Service YAML")
    .action(async (file: string, options) => {
      const { project, format } = commonOptions(options);
      const text = readRequestFile(file, "FILE");
      const { parse } = require("yaml") as typeof import("yaml");
      let doc: unknown;
      try {
        doc = parse(text);
      } catch (error) {
        throw new UsageError(`FILE: "${file}" is not YAML or JSON: ${(error as Error).message.split("\n")[0]}`);
      }
      useFlagNames(KNATIVE_PATH_OF_FIELD);
      const plan = planReplace(doc, project);
      if (plan.ignored.length > 0)
        process.stderr.write(`skiff: warning: these fields have no local meaning and were ignored: ${plan.ignored.join(", ")}\n`);
      const client = await connect();
      const answer = await client.putService(project, plan.name, plan.spec, { revisionSuffix: plan.revisionSuffix });
      if (answer.revision?.status === "FAILED") {
        process.stderr.write(`skiff: error: ${answer.revision.error}\n`);
        process.exitCode = 1;
        return;
      }
      render(format, serviceToKnative(answer.service, answer.revision), () =>
        process.stdout.write(
          `Service ${plan.name} ${answer.revision ? `is now at revision ${answer.revision.name}` : "unchanged (same template)"}.\nService URL: ${answer.service.url}\n`,
        ),
      );
    });
}
