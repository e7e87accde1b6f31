import { Command } from "commander";
import { cloudRunJobPathOf, jobSpecFromCloudRun } from "../knative/job-from-cloud-run";
import { planReplace, servicePathOf } from "../knative/service-from-knative";
import { jobToCloudRun, serviceToKnative } from "../knative/objects";
import { commonOptions, connect, withAsyncAccepted, withCommon } from "./common";
import { readRequestFile } from "./file-input";
import { render } from "./formats";
import { UsageError, useFieldNamer } from "./output";

/**
 * `skiff services replace FILE.yaml`: applies a Knative/Cloud Run Service object (read by
 * knative/service-from-knative.ts, which the engine's v1 API shares); fields with no local meaning
 * are named once in a warning.
 */
export function replaceCommand(): Command {
  return withAsyncAccepted(withCommon(new Command("replace")))
    .argument("<file>", "a Knative Service in YAML or JSON (what `services describe --format export` prints)")
    .description("create or update a service from a Knative/Cloud Run Service YAML")
    .action(async (file: string, options) => {
      const { project, format } = commonOptions(options);
      const doc = readObjectFile(file);
      useFieldNamer((field) => servicePathOf(field));
      const plan = planReplace(doc, project);
      useFieldNamer(plan.pathOf);
      warnIgnored(plan.ignored);
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

/**
 * `skiff jobs replace FILE.yaml` (gcloud run jobs replace): creates or replaces a job from a Cloud
 * Run Job object (what `jobs describe --format export` prints), read as the engine's v1 API reads
 * one (knative/job-from-cloud-run.ts); fields with no local meaning are named once in a warning.
 */
export function jobReplaceCommand(): Command {
  return withAsyncAccepted(withCommon(new Command("replace")))
    .argument("<file>", "a Cloud Run Job in YAML or JSON (what `jobs describe --format export` prints)")
    .description("create or replace a job from a Cloud Run Job YAML")
    .action(async (file: string, options) => {
      const { project, format } = commonOptions(options);
      const doc = readObjectFile(file);
      useFieldNamer(cloudRunJobPathOf);
      const plan = jobSpecFromCloudRun(doc, "FILE");
      if (plan.namespace !== undefined && plan.namespace !== project)
        throw new UsageError(
          `metadata.namespace: the file is for project "${plan.namespace}" but the command works in project "${project}" (--project); make them the same, or leave the namespace out`,
        );
      warnIgnored(plan.ignored);
      const job = await (await connect()).putJob(project, plan.name, plan.spec);
      render(format, jobToCloudRun(job), () => process.stdout.write(`Job ${job.name} replaced: generation ${job.generation}.\n`));
    });
}

/** A YAML or JSON file's one object (a usage error naming FILE when it is neither). */
function readObjectFile(file: string): unknown {
  const text = readRequestFile(file, "FILE");
  const { parse } = require("yaml") as typeof import("yaml");
  try {
    return parse(text);
  } catch (error) {
    throw new UsageError(`FILE: "${file}" is not YAML or JSON: ${(error as Error).message.split("\n")[0]}`);
  }
}

function warnIgnored(ignored: string[]): void {
  if (ignored.length > 0)
    process.stderr.write(`skiff: warning: these fields have no local meaning and were ignored: ${ignored.join(", ")}\n`);
}
