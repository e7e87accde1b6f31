import type { Clock } from "../base/clock";
import type { Logger } from "../base/logger";
import type { ContainerLogs } from "../logs/container-logs";
import type { ContainerVolumes } from "../platform/volume-host";
import type { ContainerRuntime } from "../runtime/container-runtime";
import type { JobStore } from "../state/job-store";

/** What an execution's runner (execution-runner.ts) and its task containers (task-sidecars.ts) work with. */
export interface ExecutionRunnerDeps {
  jobs: JobStore;
  runtime: ContainerRuntime;
  /** The host side of the tasks' secrets and volumes. */
  volumes: ContainerVolumes;
  logs: ContainerLogs;
  log: Logger;
  clock: Clock;
  engineId: string;
  hostCpus: number;
}
