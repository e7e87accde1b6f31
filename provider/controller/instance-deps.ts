import type { Clock } from "../base/clock";
import type { Logger } from "../base/logger";
import type { ContainerLogs } from "../logs/container-logs";
import type { ContainerVolumes } from "../platform/volume-host";
import type { ContainerRuntime, InstanceAddressing } from "../runtime/container-runtime";
import type { AutoscalerSettings } from "../scaling/autoscaler";
import type { RevisionThrottlers } from "../scaling/revision-throttlers";
import type { Store } from "../state/store";

/** What the instance controller and its helpers (actions, deaths, adoption) work with. */
export interface ScalingSettings extends AutoscalerSettings {
  /** How often each revision's autoscaler decides. */
  tickMs: number;
}

export interface InstanceControllerDeps {
  store: Store;
  runtime: ContainerRuntime;
  /** How the router reaches instances; "published" when not given. */
  addressing?: InstanceAddressing;
  engineId: string;
  logs: ContainerLogs;
  /** The host side of the instances' secrets and volumes. */
  volumes: ContainerVolumes;
  log: Logger;
  throttlers: RevisionThrottlers;
  clock: Clock;
  scaling: ScalingSettings;
  hostCpus: number;
  /** Told each time an instance of `rev` listens, with how long it took from create (the startup latency metric). */
  onInstanceReady?: (rev: { project: string; service: string; name: string }, startupMs: number) => void;
}
