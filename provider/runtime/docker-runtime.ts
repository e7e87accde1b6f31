import Docker from "dockerode";
import { SkiffError } from "../model/errors";
import {
  ContainerEvent,
  ContainerMount,
  ContainerRuntime,
  ContainerState,
  ContainerDefaults,
  ContainerSummary,
  EngineNetwork,
  InstanceSpec,
  ReadinessError,
  SharedVolumeSpec,
  StartedContainer,
} from "./container-runtime";
import { ContainersByAddress, ensureEngineNetwork, releaseEngineNetwork } from "./docker-network";
import { demuxBuffer } from "../base/frame-demuxer";
import { hostRoutesTo } from "./host-network";
import { DEFAULT_LOG_CAP_BYTES } from "../base/defaults";
import { isListening, notListeningReason } from "./readiness";

/**
 * While a container starts, its socket table is read this often (a cheap read of /proc), so a request
 * held for a cold start goes out within a few ms of the app listening; Docker is asked about the
 * container (has it exited?) less often, as an inspect costs the daemon far more.
 */
const LISTEN_POLL_MS = 5;
const INSPECT_EVERY_MS = 100;
/** Docker keeps a container's log in this many json-file files, the oldest dropped at each rotation. */
const DOCKER_LOG_FILES = 5;

/**
 * Docker's own json-file log of each container: capped with rotation, so a flood cannot fill the
 * disk, and big enough that nothing the service's log could keep of it is lost before it is
 * collected (a live container's lines stay in Docker's log until it stops). Docker drops a whole
 * file at a time, so it always holds at least DOCKER_LOG_FILES - 1 files: the service log's cap,
 * at most a quarter more. A line costs Docker fewer bytes than its record in the service's log
 * (~70 bytes of JSON around it against ~120 plus its revision and instance), so Docker holds at
 * least as many lines as the service's log can; only text dense in <, > and & (which Docker
 * escapes to 6 bytes each) takes more room there than in the service's log.
 */
export function dockerLogConfig(serviceLogCapBytes: number): { Type: "json-file"; Config: Record<string, string> } {
  const fileKiB = Math.max(1, Math.ceil(serviceLogCapBytes / (DOCKER_LOG_FILES - 1) / 1024));
  return { Type: "json-file", Config: { "max-size": `${fileKiB}k`, "max-file": String(DOCKER_LOG_FILES) } };
}
const EVENTS_RECONNECT_MS = 1000;

/** The ContainerRuntime on a real Docker engine (DOCKER_HOST or the default socket). */
export class DockerRuntime implements ContainerRuntime {
  private readonly docker: Docker;

  private readonly logConfig: ReturnType<typeof dockerLogConfig>;
  private defaults: ContainerDefaults = { env: {} };
  private addresses: ContainersByAddress | undefined;

  /** `serviceLogCapBytes`: the cap of each service's log, which Docker's log of each container is sized for. */
  constructor(options: { docker?: Docker; serviceLogCapBytes?: number } = {}) {
    const client = options.docker ?? new Docker();
    this.logConfig = dockerLogConfig(options.serviceLogCapBytes ?? DEFAULT_LOG_CAP_BYTES);
    this.docker = client;
  }

  /** Fails with a message saying how to get Docker when the engine does not answer. */
  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (error) {
      throw new SkiffError(
        "UNAVAILABLE",
        `Docker's engine does not answer (${(error as Error).message}). Install and start it, e.g. on Debian: apt-get install -y docker.io && dockerd &`,
      );
    }
  }

  /**
   * The host routes to the bridge when one of its own interfaces has an address in the bridge's
   * subnet (docker0 on Linux); under Docker Desktop the bridge lives in a VM and none does.
   */
  async bridgeReachable(network?: EngineNetwork): Promise<boolean> {
    try {
      if (network) return await hostRoutesTo([network.subnet]);
      const bridge = (await this.docker.getNetwork("bridge").inspect()) as { IPAM?: { Config?: { Subnet?: string }[] } };
      const subnets = (bridge.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => Boolean(s));
      return await hostRoutesTo(subnets);
    } catch {
      return false;
    }
  }

  async ensureNetwork(engineId: string): Promise<EngineNetwork> {
    this.addresses ??= new ContainersByAddress(this.docker, engineId);
    return ensureEngineNetwork(this.docker, engineId);
  }

  releaseNetwork(engineId: string): Promise<boolean> {
    return releaseEngineNetwork(this.docker, engineId);
  }

  setContainerDefaults(defaults: ContainerDefaults): void {
    this.defaults = defaults;
  }

  async containerAt(address: string): Promise<ContainerSummary | undefined> {
    return this.addresses?.find(address);
  }

  async resolveImage(image: string): Promise<string> {
    const local = await this.localImageId(image);
    if (local) return local;
    try {
      const stream = await this.docker.pull(image);
      await new Promise<void>((resolve, reject) => {
        stream.on("error", reject);
        this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
      });
    } catch (error) {
      throw imageError(image, `is not present locally and could not be pulled: ${firstLine((error as Error).message)}`);
    }
    const pulled = await this.localImageId(image);
    if (!pulled) throw imageError(image, "could not be found after pulling it");
    return pulled;
  }

  /** The image's id, undefined when Docker does not have it; any other answer is the image's problem, named. */
  async localImageId(image: string): Promise<string | undefined> {
    try {
      return (await this.docker.getImage(image).inspect()).Id;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw imageError(image, `could not be looked up: ${firstLine((error as Error).message)}`);
    }
  }

  async start(spec: InstanceSpec): Promise<StartedContainer> {
    const portKey = spec.port === undefined ? undefined : `${spec.port}/tcp`;
    // A container that joins another's network namespace takes its network, resolver and hosts file as they are.
    const joins = spec.networkOf !== undefined;
    const container = await this.docker.createContainer({
      name: spec.name,
      Image: spec.image,
      // Kubernetes' rule, which Cloud Run follows: an empty command or args is the same as none (the
      // image's ENTRYPOINT or CMD), and a command given drops the image's CMD. Docker reads an empty
      // Entrypoint as "no entrypoint at all", so an empty list is not sent.
      Entrypoint: spec.command?.length ? spec.command : undefined,
      Cmd: spec.args?.length ? spec.args : undefined,
      Env: Object.entries({ ...this.defaults.env, ...spec.env }).map(([k, v]) => `${k}=${v}`),
      Labels: spec.labels,
      // Cloud Run stops a container with SIGTERM, whatever STOPSIGNAL its image names (nginx's is
      // SIGQUIT); Docker's stop would send the image's.
      StopSignal: "SIGTERM",
      ExposedPorts: portKey ? { [portKey]: {} } : undefined,
      HostConfig: {
        // 127.0.0.1 only, ephemeral host port: the router reaches instances on loopback.
        PortBindings: portKey ? { [portKey]: [{ HostIp: "127.0.0.1", HostPort: "" }] } : undefined,
        Memory: spec.memoryBytes,
        // No swap beyond the limit, so a container over its memory is OOM-killed as on Cloud Run.
        MemorySwap: spec.memoryBytes,
        NanoCpus: spec.nanoCpus,
        RestartPolicy: { Name: "no" },
        LogConfig: this.logConfig,
        NetworkMode: joins ? `container:${spec.networkOf}` : this.defaults.network,
        Dns: joins ? undefined : this.defaults.dns,
        Mounts: spec.mounts?.map(dockerMount),
      },
    });
    try {
      await container.start();
      // A container that already exited has no port binding any more: waitListening reports why.
      const state = await this.inspect(container.id, spec.port);
      if (!joins) this.addresses?.remember(state?.address, { containerId: container.id, labels: spec.labels, running: true });
      return { containerId: container.id, hostPort: state?.hostPort, address: state?.address };
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw error;
    }
  }

  async waitListening(containerId: string, port: number, deadlineMs: number, signal?: AbortSignal, fromOutside = false): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    let inspectedAt = 0;
    let state: ContainerState | undefined;
    for (;;) {
      if (signal?.aborted) throw new ReadinessError("the start was cancelled");
      if (Date.now() - inspectedAt >= INSPECT_EVERY_MS) {
        state = await this.inspect(containerId, port);
        inspectedAt = Date.now();
        if (!state) throw new ReadinessError("the container disappeared while starting");
        if (!state.running) {
          const why = state.oomKilled ? "was killed for running out of memory" : `exited with code ${state.exitCode}`;
          throw new ReadinessError(`the container ${why} before listening on port ${port}`);
        }
      }
      if (await isListening(state!.pid, port, state!.hostPort, fromOutside)) return;
      if (Date.now() >= deadline) {
        const reason = fromOutside ? await notListeningReason(state!.pid, port) : undefined;
        throw new ReadinessError(
          `the container did not listen on port ${port} within the startup deadline of ${deadlineMs / 1000} s${reason ? ` (${reason})` : ""}`,
        );
      }
      await sleep(LISTEN_POLL_MS, signal);
    }
  }

  async inspect(containerId: string, port?: number): Promise<ContainerState | undefined> {
    try {
      const info = await this.docker.getContainer(containerId).inspect();
      const ports = info.NetworkSettings?.Ports ?? {};
      const key = port ? `${port}/tcp` : Object.keys(ports)[0];
      const binding = key ? ports[key]?.find((b) => b.HostIp === "127.0.0.1") : undefined;
      // On the engine's network where it has one (an instance started before there was one: the default bridge).
      const networks = info.NetworkSettings?.Networks ?? {};
      const bridge =
        (this.defaults.network ? networks[this.defaults.network]?.IPAddress : undefined) ||
        Object.values(networks).find((n) => n.IPAddress)?.IPAddress;
      return {
        running: info.State.Running,
        started: info.State.Running || !/^0001-01-01/.test(info.State.StartedAt ?? ""),
        exitCode: info.State.ExitCode,
        pid: info.State.Pid || undefined,
        oomKilled: info.State.OOMKilled,
        hostPort: binding ? Number(binding.HostPort) : undefined,
        address: bridge || undefined,
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async waitExit(containerId: string): Promise<{ exitCode: number; oomKilled: boolean }> {
    const container = this.docker.getContainer(containerId);
    try {
      await container.wait();
    } catch (error) {
      // A broken wait connection is not an exit: ask for the state instead (throws if it is gone).
      const state = await this.inspect(containerId);
      if (!state) throw new Error(`container ${containerId.slice(0, 12)} is gone`, { cause: error });
      if (state.running) {
        await sleep(1000);
        return this.waitExit(containerId);
      }
      void error;
    }
    const state = await this.inspect(containerId);
    if (!state) throw new Error(`container ${containerId.slice(0, 12)} is gone`);
    return { exitCode: state.exitCode ?? -1, oomKilled: state.oomKilled === true };
  }

  async stop(containerId: string, graceSeconds: number): Promise<void> {
    await this.docker
      .getContainer(containerId)
      .stop({ t: graceSeconds })
      .catch((error: { statusCode?: number }) => {
        // 304: already stopped; 404: already gone.
        if (error.statusCode !== 304 && error.statusCode !== 404) throw error;
      });
  }

  async remove(containerId: string): Promise<void> {
    this.addresses?.forget(containerId);
    await this.docker
      .getContainer(containerId)
      .remove({ force: true, v: true })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
      });
  }

  async stopAndRemove(containerId: string, graceSeconds: number, beforeRemove?: () => Promise<void>): Promise<void> {
    this.addresses?.forget(containerId);
    const container = this.docker.getContainer(containerId);
    await container.stop({ t: graceSeconds }).catch(() => undefined);
    await beforeRemove?.().catch(() => undefined);
    await container.remove({ force: true }).catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
    });
  }

  async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
    });
    return containers.map((c) => ({ containerId: c.Id, labels: c.Labels, running: c.State === "running" }));
  }

  /** Docker's local driver mounts a tmpfs of this size when the first container using it starts; every container mounting it sees the same files. */
  async createSharedVolume(spec: SharedVolumeSpec): Promise<void> {
    await this.docker.createVolume({
      Name: spec.name,
      Driver: "local",
      DriverOpts: { type: "tmpfs", device: "tmpfs", o: `size=${spec.sizeBytes},mode=1777` },
      Labels: spec.labels,
    });
  }

  async removeSharedVolume(name: string): Promise<void> {
    await this.docker
      .getVolume(name)
      .remove()
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
  }

  async listSharedVolumes(labels: Record<string, string>): Promise<{ name: string; labels: Record<string, string> }[]> {
    const answer = await this.docker.listVolumes({ filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) } });
    return (answer.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
  }

  async logTail(containerId: string, lines: number): Promise<string> {
    try {
      const buffer = await this.docker.getContainer(containerId).logs({ stdout: true, stderr: true, tail: lines, follow: false });
      return demuxBuffer(buffer).trimEnd();
    } catch {
      return "";
    }
  }

  watchEvents(labels: Record<string, string>, onEvent: (event: ContainerEvent) => void, onGap: () => void): () => void {
    let stopped = false;
    let current: NodeJS.ReadableStream | undefined;
    let retry: NodeJS.Timeout | undefined;
    const connect = (afterGap: boolean) => {
      if (stopped) return;
      this.docker
        .getEvents({
          filters: { type: ["container"], event: ["die", "oom"], label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
        })
        .then((stream) => {
          current = stream;
          if (stopped) return destroy(stream);
          if (afterGap) onGap();
          let pending = "";
          stream.on("data", (chunk: Buffer) => {
            pending += chunk.toString("utf8");
            let newline: number;
            while ((newline = pending.indexOf("\n")) >= 0) {
              const event = parseEvent(pending.slice(0, newline));
              pending = pending.slice(newline + 1);
              if (event) onEvent(event);
            }
            if (pending.length > 1024 * 1024) pending = ""; // never an event: do not let it grow
          });
          const again = () => {
            if (stopped || current !== stream) return;
            current = undefined;
            retry = setTimeout(() => connect(true), EVENTS_RECONNECT_MS);
          };
          stream.on("end", again);
          stream.on("error", again);
        })
        .catch(() => {
          if (!stopped) retry = setTimeout(() => connect(true), EVENTS_RECONNECT_MS);
        });
    };
    connect(false);
    return () => {
      stopped = true;
      clearTimeout(retry);
      if (current) destroy(current);
    };
  }
}

/**
 * Host folders are bound privately (no mount events flow either way) and without the host's
 * nested mounts; a tmpfs always gets its size (Docker's default would be half the host's memory).
 */
function dockerMount(mount: ContainerMount): Docker.MountSettings {
  if (mount.kind === "volume") return { Type: "volume", Source: mount.volume, Target: mount.target };
  if (mount.kind === "tmpfs")
    return { Type: "tmpfs", Source: "", Target: mount.target, TmpfsOptions: { SizeBytes: mount.sizeBytes, Mode: 0o1777 } };
  // NonRecursive (Docker API 1.40): folders mounted inside a mapped one stay out of the container.
  const bindOptions = { Propagation: "rprivate" as const, NonRecursive: true };
  return { Type: "bind", Source: mount.source, Target: mount.target, ReadOnly: mount.readOnly, BindOptions: bindOptions };
}

/** One Docker event line → a ContainerEvent, or undefined for anything else. */
function parseEvent(line: string): ContainerEvent | undefined {
  try {
    const event = JSON.parse(line) as {
      status?: string;
      Action?: string;
      id?: string;
      Actor?: { ID?: string; Attributes?: Record<string, string> };
    };
    const action = event.Action ?? event.status;
    const containerId = event.Actor?.ID ?? event.id;
    if ((action !== "die" && action !== "oom") || !containerId) return undefined;
    const exit = event.Actor?.Attributes?.exitCode;
    return { containerId, kind: action, exitCode: exit === undefined ? undefined : Number(exit) };
  } catch {
    return undefined;
  }
}

function destroy(stream: NodeJS.ReadableStream): void {
  (stream as unknown as { destroy?(): void }).destroy?.();
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

function imageError(image: string, problem: string): SkiffError {
  const reason = `image "${image}" ${problem}`;
  return new SkiffError("FAILED_PRECONDITION", `template.image: ${reason}`, [{ field: "template.image", reason }]);
}

function firstLine(text: string): string {
  return text.split("\n")[0];
}
