import * as pulumi from "@pulumi/pulumi";
import { SkiffResource } from "./resource";
import { nameProps } from "../check/kept-name";
import { resolveProject } from "./project";
import type { OneContainerTemplateArgs } from "./template";

export interface JobTemplateArgs {
  image: pulumi.Input<string>;
  command?: pulumi.Input<pulumi.Input<string>[]>;
  args?: pulumi.Input<pulumi.Input<string>[]>;
  env?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Tasks per execution; default 1. */
  taskCount?: pulumi.Input<number>;
  /** Tasks at once; 0 (default) = all. */
  parallelism?: pulumi.Input<number>;
  /** Retries per failed task, 0..10; default 3. */
  maxRetries?: pulumi.Input<number>;
  /** Seconds per attempt; default 600. */
  timeout?: pulumi.Input<number>;
  resources?: pulumi.Input<{ cpu?: pulumi.Input<string>; memory?: pulumi.Input<string> }>;
  /** The service account the tasks run as (an email); default: the project's compute account. */
  serviceAccount?: pulumi.Input<string>;
  /** As a service template's: env vars from secrets, volumes and their mounts. */
  secretEnv?: OneContainerTemplateArgs["secretEnv"];
  volumes?: OneContainerTemplateArgs["volumes"];
  volumeMounts?: OneContainerTemplateArgs["volumeMounts"];
}

export interface JobArgs {
  /** Default: the resource's own name, with no suffix. */
  name?: pulumi.Input<string>;
  /** Default: stack config `skiff:project`, else the stack name. */
  project?: pulumi.Input<string>;
  template: pulumi.Input<JobTemplateArgs>;
  labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Run an execution: "never" (default), "onCreate", or "onChange" (on create and whenever the template changes). */
  execute?: pulumi.Input<"never" | "onCreate" | "onChange">;
  /** Wait for that execution and fail if it fails; default true when `execute` runs one. */
  wait?: pulumi.Input<boolean>;
}

export interface ExecutionSummaryOutput {
  name: string;
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
  succeededCount: number;
  failedCount: number;
  retriedCount: number;
  completionTime?: string;
}

/** See service.ts: the serialized provider loads its implementation by package name. */
/** @internal exported for the serialization test */
export const jobProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    require("skiff-run/sdk/providers/job").provider.configure(req.config);
  },
  async check(olds, news) {
    return require("skiff-run/sdk/providers/job").provider.check(olds, news);
  },
  async diff(id, olds, news) {
    return require("skiff-run/sdk/providers/job").provider.diff(id, olds, news);
  },
  async create(inputs) {
    return require("skiff-run/sdk/providers/job").provider.create(inputs);
  },
  async update(id, olds, news) {
    return require("skiff-run/sdk/providers/job").provider.update(id, olds, news);
  },
  async read(id, props) {
    return require("skiff-run/sdk/providers/job").provider.read(id, props);
  },
  async delete(id, props) {
    return require("skiff-run/sdk/providers/job").provider.delete(id, props);
  },
};

/**
 * A job: containers that run to completion. Its template updates in place; `execute` runs an
 * execution on create (or on every template change), and with `wait` the `pulumi up` waits for it
 * and fails if it fails, so resources that depend on the job (e.g. a TrafficTarget with
 * `dependsOn: [migrate]`) change only after it succeeded.
 */
export class Job extends SkiffResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  declare readonly template: pulumi.Output<JobTemplateArgs>;
  declare readonly execute: pulumi.Output<string>;
  declare readonly wait: pulumi.Output<boolean>;
  /** The last execution this resource ran or saw: name, status and counts. */
  declare readonly latestExecution: pulumi.Output<ExecutionSummaryOutput | undefined>;

  constructor(name: string, args: JobArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      ...nameProps(args.name, name),
      project: resolveProject(args.project),
      template: args.template,
      labels: args.labels,
      execute: args.execute,
      wait: args.wait,
      latestExecution: undefined,
    };
    super(jobProvider, name, props, opts, "skiff", "Job");
  }
}
