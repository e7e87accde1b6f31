import Docker from "dockerode";
import { PassThrough } from "node:stream";
import { SkiffError } from "../model/errors";
import {
  ContainerRuntime,
  ContainerState,
  ContainerSummary,
  InstanceSpec,
  LogLine,
  ReadinessError,
  StartedContainer,
} from "./container-runtime";
import { isListening } from "./readiness";

const POLL_MS = 50;

/** The ContainerRuntime on a real Docker engine (DOCKER_HOST or the default socket). */
export class DockerRuntime implements ContainerRuntime {
  private readonly docker: Docker;

  constructor(docker?: Docker) {
    this.docker = docker ?? new Docker();
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

  async resolveImage(image: string): Promise<string> {
    const local = await this.imageId(image);
    if (local) return local;
    try {
      const stream = await this.docker.pull(image);
      await new Promise<void>((resolve, reject) =>
        this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
      );
    } catch (error) {
      const reason = `image "${image}" is not present locally and could not be pulled: ${firstLine((error as Error).message)}`;
      throw new SkiffError("FAILED_PRECONDITION", `template.image: ${reason}`, [{ field: "template.image", reason }]);
    }
    const pulled = await this.imageId(image);
    if (!pulled) throw new SkiffError("FAILED_PRECONDITION", `template.image: image "${image}" could not be found after pulling it`);
    return pulled;
  }

  private async imageId(image: string): Promise<string | undefined> {
    try {
      return (await this.docker.getImage(image).inspect()).Id;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async start(spec: InstanceSpec): Promise<StartedContainer> {
    const portKey = `${spec.port}/tcp`;
    const container = await this.docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Entrypoint: spec.command,
      Cmd: spec.args,
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: spec.labels,
      ExposedPorts: { [portKey]: {} },
      HostConfig: {
        // 127.0.0.1 only, ephemeral host port: the router reaches instances on loopback.
        PortBindings: { [portKey]: [{ HostIp: "127.0.0.1", HostPort: "" }] },
        Memory: spec.memoryBytes,
        NanoCpus: spec.nanoCpus,
        RestartPolicy: { Name: "no" },
      },
    });
    try {
      await container.start();
      // A container that already exited has no port binding any more: waitListening reports why.
      const state = await this.inspect(container.id, spec.port);
      return { containerId: container.id, hostPort: state?.hostPort };
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw error;
    }
  }

  async waitListening(containerId: string, port: number, deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const state = await this.inspect(containerId, port);
      if (!state) throw new ReadinessError("the container disappeared while starting");
      if (!state.running) {
        const why = state.oomKilled ? "was killed for running out of memory" : `exited with code ${state.exitCode}`;
        throw new ReadinessError(`the container ${why} before listening on port ${port}`);
      }
      if (await isListening(state.pid, port, state.hostPort)) return;
      if (Date.now() >= deadline) {
        throw new ReadinessError(`the container did not listen on port ${port} within the startup deadline of ${deadlineMs / 1000} s`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  async inspect(containerId: string, port?: number): Promise<ContainerState | undefined> {
    try {
      const info = await this.docker.getContainer(containerId).inspect();
      const ports = info.NetworkSettings?.Ports ?? {};
      const key = port ? `${port}/tcp` : Object.keys(ports)[0];
      const binding = key ? ports[key]?.find((b) => b.HostIp === "127.0.0.1") : undefined;
      return {
        running: info.State.Running,
        exitCode: info.State.ExitCode,
        pid: info.State.Pid || undefined,
        oomKilled: info.State.OOMKilled,
        hostPort: binding ? Number(binding.HostPort) : undefined,
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async stopAndRemove(containerId: string, graceSeconds: number): Promise<void> {
    const container = this.docker.getContainer(containerId);
    await container.stop({ t: graceSeconds }).catch(() => undefined);
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

  async logTail(containerId: string, lines: number): Promise<string> {
    try {
      const buffer = (await this.docker.getContainer(containerId).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as Buffer;
      return demuxBuffer(buffer).trimEnd();
    } catch {
      return "";
    }
  }

  followLogs(containerId: string, sinceSeconds: number, onLine: (line: LogLine) => void): () => void {
    let stopped = false;
    let raw: NodeJS.ReadableStream | undefined;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    forEachLine(stdout, (l) => emit(l, "stdout"));
    forEachLine(stderr, (l) => emit(l, "stderr"));
    function emit(line: string, stream: LogLine["stream"]) {
      const space = line.indexOf(" ");
      onLine({ time: line.slice(0, space), stream, text: line.slice(space + 1) });
    }
    this.docker
      .getContainer(containerId)
      .logs({ stdout: true, stderr: true, follow: true, timestamps: true, since: sinceSeconds })
      .then((stream) => {
        raw = stream as NodeJS.ReadableStream;
        if (stopped) return (raw as unknown as { destroy(): void }).destroy();
        this.docker.modem.demuxStream(raw, stdout, stderr);
        raw.on("end", () => (stdout.end(), stderr.end()));
      })
      .catch(() => undefined);
    return () => {
      stopped = true;
      (raw as unknown as { destroy?(): void } | undefined)?.destroy?.();
    };
  }
}

function forEachLine(stream: PassThrough, onLine: (line: string) => void): void {
  let pending = "";
  stream.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      onLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  });
  stream.on("end", () => pending && onLine(pending));
}

/** Docker's multiplexed log format: 8-byte frame headers (stream, 0, 0, 0, size32) before each chunk. */
function demuxBuffer(buffer: Buffer): string {
  let out = "";
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    out += buffer.subarray(offset + 8, offset + 8 + size).toString("utf8");
    offset += 8 + size;
  }
  return offset === 0 && buffer.length ? buffer.toString("utf8") : out;
}

function firstLine(text: string): string {
  return text.split("\n")[0];
}
