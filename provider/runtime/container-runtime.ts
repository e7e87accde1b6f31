/**
 * What the engine needs from a container engine. Only docker-runtime.ts implements it (and only it
 * imports dockerode), so controllers and unit tests never touch Docker.
 */
export interface InstanceSpec {
  /** Container name; unique per engine. */
  name: string;
  /** The pinned image id (sha256:…). */
  image: string;
  command?: string[];
  args?: string[];
  env: Record<string, string>;
  /** The port the container listens on; published on 127.0.0.1 with an ephemeral host port. Tasks of jobs have none. */
  port?: number;
  memoryBytes: number;
  nanoCpus: number;
  labels: Record<string, string>;
  /** Its volumes: host folders the engine chose (never a path a template names) and in-memory folders. */
  mounts?: ContainerMount[];
  /**
   * Another container of the same instance whose network namespace this one joins (they reach
   * each other on localhost; it has no port, address or resolver of its own). Must be running.
   */
  networkOf?: string;
}

/** An in-memory volume that several containers of one instance mount: a tmpfs of its size. */
export interface SharedVolumeSpec {
  /** Unique per engine. */
  name: string;
  sizeBytes: number;
  labels: Record<string, string>;
}

/**
 * A volume as the container engine mounts it: a host folder (secret files, a bucket's or an NFS
 * export's folder, Cloud SQL sockets), or a tmpfs whose pages count toward the container's memory.
 */
export type ContainerMount =
  | { kind: "bind"; source: string; target: string; readOnly: boolean }
  | { kind: "tmpfs"; target: string; sizeBytes: number }
  /** A shared in-memory volume made with createSharedVolume. */
  | { kind: "volume"; volume: string; target: string };

/** The Docker network an engine's containers share: its own bridge, on whose gateway the engine listens for them. */
export interface EngineNetwork {
  name: string;
  /** The engine's address on it (the bridge's gateway). */
  gateway: string;
  subnet: string;
}

/** What every container the engine starts gets, beside its own spec. */
export interface ContainerDefaults {
  network?: string;
  /** Its resolver: the engine's DNS on the network's gateway. */
  dns?: string[];
  /** The platform's variables (where the metadata server is); the spec's own env wins over them. */
  env: Record<string, string>;
}

export interface StartedContainer {
  containerId: string;
  /** Undefined when the container exited before Docker could report its published port. */
  hostPort?: number;
  /** Its address on Docker's bridge network, when it has one. */
  address?: string;
}

export interface ContainerSummary {
  containerId: string;
  labels: Record<string, string>;
  running: boolean;
}

export interface ContainerState {
  running: boolean;
  /** False for a container that was created but never started. */
  started?: boolean;
  exitCode?: number;
  pid?: number;
  hostPort?: number;
  /** The container's address on Docker's bridge network, if it has one. */
  address?: string;
  oomKilled?: boolean;
}

/**
 * How the router reaches instances: at their address on Docker's bridge network (no userland
 * proxy in between; Linux, where the host routes to the bridge), or at the port published on
 * 127.0.0.1 (everywhere, e.g. Docker Desktop).
 */
export type InstanceAddressing = "bridge" | "published";

/** What Docker's event stream says happened to one of the engine's containers. */
export interface ContainerEvent {
  containerId: string;
  /** "die": the container stopped (for any reason); "oom": the kernel killed a process of it for memory. */
  kind: "die" | "oom";
  exitCode?: number;
}

export interface ContainerRuntime {
  /** Can this host reach containers at their addresses on `network` (or Docker's default bridge)? Asked once at engine start. */
  bridgeReachable(network?: EngineNetwork): Promise<boolean>;
  /** The engine's own network, made on first use and kept while the engine has containers. */
  ensureNetwork(engineId: string): Promise<EngineNetwork>;
  /** Removes the engine's network if the engine has no container left (at engine stop); whether it is gone. */
  releaseNetwork(engineId: string): Promise<boolean>;
  /** From now on every container started gets these. */
  setContainerDefaults(defaults: ContainerDefaults): void;
  /** The engine's running container that has this address on its network (with its labels), if any. */
  containerAt(address: string): Promise<ContainerSummary | undefined>;
  /** The image's id, pulling it when it is not present locally; a clear error naming the image otherwise. */
  resolveImage(image: string): Promise<string>;
  /** The image's id if Docker has it locally, undefined if it would have to be pulled; nothing is pulled. */
  localImageId(image: string): Promise<string | undefined>;
  start(spec: InstanceSpec): Promise<StartedContainer>;
  /**
   * Resolves once the container listens on `port`; rejects with a ReadinessError if it exits, the
   * deadline passes or `signal` aborts (the start was cancelled). `fromOutside`: only a listener
   * reachable from outside the container counts (not one on 127.0.0.1 or ::1 alone), as for an
   * ingress container, which requests reach from outside.
   */
  waitListening(containerId: string, port: number, deadlineMs: number, signal?: AbortSignal, fromOutside?: boolean): Promise<void>;
  inspect(containerId: string): Promise<ContainerState | undefined>;
  /** Resolves when the container has exited (at once if it has), with its exit code; rejects if it is gone. */
  waitExit(containerId: string): Promise<{ exitCode: number; oomKilled: boolean }>;
  /** SIGTERM, then SIGKILL after the grace period; the container stays (for its exit code and logs). */
  stop(containerId: string, graceSeconds: number): Promise<void>;
  /** Removes the container, running or not; a container already gone is fine. */
  remove(containerId: string): Promise<void>;
  /** SIGTERM, then SIGKILL after the grace period; then `beforeRemove` (e.g. keeping its logs), then removes the container. */
  stopAndRemove(containerId: string, graceSeconds: number, beforeRemove?: () => Promise<void>): Promise<void>;
  /** Containers that carry every one of the given labels. */
  list(labels: Record<string, string>): Promise<ContainerSummary[]>;
  /** Makes an in-memory volume that containers mount by name (ContainerMount "volume"). */
  createSharedVolume(spec: SharedVolumeSpec): Promise<void>;
  /** Removes a shared volume once no container uses it; one already gone is fine. */
  removeSharedVolume(name: string): Promise<void>;
  /** Shared volumes that carry every one of the given labels, with their labels. */
  listSharedVolumes(labels: Record<string, string>): Promise<{ name: string; labels: Record<string, string> }[]>;
  /** The last lines the container wrote, stdout and stderr interleaved. */
  logTail(containerId: string, lines: number): Promise<string>;
  /**
   * Follows the container engine's events for containers with all of `labels` until the returned
   * function is called; reconnects by itself when the stream breaks (`onGap` is then called, since
   * events may have been missed).
   */
  watchEvents(labels: Record<string, string>, onEvent: (event: ContainerEvent) => void, onGap: () => void): () => void;
}

/** A readiness failure: the message says why, the log tail shows what the container said. */
export class ReadinessError extends Error {
  override name = "ReadinessError";
}
