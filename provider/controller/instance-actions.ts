import type { TimerHandle } from "../base/clock";
import { containerName, defaultServiceAccount, instanceId } from "../model/derived-names";
import { parseCpuNanos, parseMemoryBytes } from "../model/quantity";
import { platformEnv, startupDeadlineMs } from "../model/template";
import { ReadinessError } from "../runtime/container-runtime";
import { instanceLabels } from "../runtime/labels";
import { isListening } from "../runtime/readiness";
import type { InstanceRow, RevisionRow } from "../state/store";
import type { InstanceControllerDeps } from "./instance-deps";
import type { LiveInstance, RevisionScaler } from "./revision-scaler";

/** SIGTERM, then this long before SIGKILL, as Cloud Run gives a container it stops. */
export const STOP_GRACE_SECONDS = 10;
const LOG_TAIL_LINES = 20;

/**
 * What is done to one instance: start it (and wait until it listens), drain and stop it, drop it,
 * keep its log. The instance controller decides when; deaths and adoption after a restart use the
 * same steps. Which container is which instance is kept here, for Docker's events.
 */
export class InstanceActions {
  /** The live instance each container is, for Docker's events and the sweep. */
  readonly byContainer = new Map<string, { scaler: RevisionScaler; live: LiveInstance }>();

  constructor(
    private readonly deps: InstanceControllerDeps,
    /** A start held back by the maximum may go once an instance is gone: the controller looks again. */
    private readonly reconcile: (scaler: RevisionScaler) => void,
  ) {}

  /** Starts an instance and waits until it listens; on failure the container is gone and the error carries its log tail. */
  async startInstance(scaler: RevisionScaler): Promise<LiveInstance> {
    const { store, runtime, engineId, clock } = this.deps;
    const rev = scaler.rev;
    const t = rev.template;
    const id = instanceId();
    const row: InstanceRow = {
      id,
      project: rev.project,
      service: rev.service,
      revision: rev.name,
      containerId: "",
      createTime: new Date().toISOString(),
    };
    const live: LiveInstance = { row, state: "starting", abort: new AbortController(), detachLogs: () => undefined };
    scaler.addInstance(live);
    const startedAt = clock.now();
    let address: string | undefined;
    try {
      const name = containerName(rev.project, rev.name, id);
      const memoryBytes = parseMemoryBytes(t.resources.memory)!;
      // Secrets are read now (an env secret's `latest` is the one at the instance's start), before anything runs.
      const prepared = await this.deps.volumes.prepare(name, rev.project, t, memoryBytes).catch((error: unknown) => {
        throw new NotPreparedError((error as Error).message, { cause: error });
      });
      const started = await runtime.start({
        name,
        image: rev.imageDigest,
        command: t.command,
        args: t.args,
        env: { ...t.env, ...prepared.env, ...platformEnv(t.port, rev.service, rev.name) },
        port: t.port,
        memoryBytes,
        mounts: prepared.mounts,
        // Docker refuses more CPUs than the host has; Cloud Run's limit is a cap, so cap it here too.
        nanoCpus: Math.min(parseCpuNanos(t.resources.cpu)!, this.deps.hostCpus * 1e9),
        labels: instanceLabels(engineId, rev.project, rev.service, rev.name, id, t.serviceAccount ?? defaultServiceAccount(rev.project)),
      });
      row.containerId = started.containerId;
      row.hostPort = started.hostPort;
      address = started.address;
      store.insertInstance(row);
      this.byContainer.set(row.containerId, { scaler, live });
      if (!live.abort.signal.aborted) live.detachLogs = this.attachLogs(row);
      // The startup probe's TCP port when it names one (Cloud Run's default: the container's port).
      await runtime.waitListening(row.containerId, t.startupProbe.tcpSocket?.port ?? t.port, startupDeadlineMs(t), live.abort.signal);
      const state = row.hostPort === undefined || address === undefined ? await runtime.inspect(row.containerId) : undefined;
      const hostPort = row.hostPort ?? state?.hostPort;
      address ??= state?.address;
      if (!hostPort) throw new ReadinessError("Docker reported no published port for the container");
      if (live.abort.signal.aborted) throw new ReadinessError("the start was cancelled");
      row.hostPort = hostPort;
    } catch (error) {
      // The back-off first: dropping the instance reconciles, and that must already wait.
      if (!live.abort.signal.aborted) scaler.backoff.recordFailure(clock.now());
      const tail = row.containerId ? await runtime.logTail(row.containerId, LOG_TAIL_LINES) : "";
      await this.dropInstance(scaler, live, 0);
      // A secret, version or mapping that is missing: nothing was started, and the reason names it.
      if (error instanceof NotPreparedError) throw new ReadinessError(error.message);
      const why = error instanceof ReadinessError ? error.message : `the container could not be started: ${(error as Error).message}`;
      throw new ReadinessError(tail ? `${why}. Last log lines:\n${tail}` : `${why}. The container wrote no logs.`);
    }
    live.state = "ready";
    live.readyAt = clock.now();
    scaler.recordStartup(clock.now() - startedAt);
    const endpoint = this.endpointOf(id, row.containerId, row.hostPort, address, rev);
    scaler.throttler.addInstance(endpoint);
    this.deps.log.info("instance ready", { revision: rev.name, instance: id, address: `${endpoint.host}:${endpoint.port}` });
    return live;
  }

  /** Where the router sends the instance's requests: its bridge address where the host routes there, else its published port. */
  endpointOf(instanceId: string, containerId: string, hostPort: number, address: string | undefined, rev: RevisionRow) {
    const maxConnections = rev.template.maxInstanceRequestConcurrency;
    const http2 = rev.template.http2 === true;
    if (this.deps.addressing === "bridge" && address) return { instanceId, host: address, port: rev.template.port, maxConnections, http2 };
    // Docker's userland proxy accepts on the published port whether or not the app listens: the
    // proxy asks the container's own socket table when a new connection is reset.
    const listening = async () => {
      const state = await this.deps.runtime.inspect(containerId);
      return state?.running === true && (await isListening(state.pid, rev.template.port, hostPort));
    };
    return { instanceId, host: "127.0.0.1", port: hostPort, maxConnections, http2, listening };
  }

  /** Stops routing to the instance, lets its requests finish (up to the request timeout), then stops and removes it. */
  async drainAndStop(scaler: RevisionScaler, live: LiveInstance): Promise<void> {
    if (live.state === "draining") return;
    live.state = "draining";
    const { throttler } = scaler;
    throttler.removeInstance(live.row.id);
    const maxDrainMs = scaler.rev.template.timeout * 1000;
    let timer: TimerHandle | undefined;
    await Promise.race([
      throttler.drained(live.row.id),
      new Promise<void>((resolve) => (timer = this.deps.clock.setTimeout(resolve, maxDrainMs))),
    ]);
    if (timer !== undefined) this.deps.clock.clearTimeout(timer);
    throttler.forget(live.row.id);
    await this.dropInstance(scaler, live, STOP_GRACE_SECONDS);
    this.deps.log.info("instance stopped", { revision: scaler.rev.name, instance: live.row.id });
  }

  /** Out of routing, container stopped (its lines kept) and removed, record gone. */
  async dropInstance(scaler: RevisionScaler, live: LiveInstance, graceSeconds: number): Promise<void> {
    scaler.throttler.forget(live.row.id);
    // Still counted (as draining) until its container is gone: a stopping container counts against maxInstanceCount.
    live.state = "draining";
    if (live.row.containerId) {
      this.byContainer.delete(live.row.containerId);
      await this.stopCollectRemove(live.row.containerId, graceSeconds);
      this.deps.store.deleteInstance(live.row.id);
    }
    this.deps.volumes.release(containerName(live.row.project, live.row.revision, live.row.id));
    scaler.removeInstance(live.row.id);
    live.detachLogs();
    // A start held back by the maximum may go now.
    this.reconcile(scaler);
  }

  attachLogs(row: InstanceRow, after?: string): () => void {
    return this.deps.logs.attach(
      row.containerId,
      { project: row.project, service: row.service, revision: row.revision, instance: row.id },
      after,
    );
  }

  /** Stops the container (SIGTERM, grace, SIGKILL), keeps what it wrote (also during its grace) in its service's log, then removes it. */
  async stopCollectRemove(containerId: string, graceSeconds: number): Promise<void> {
    const { runtime, logs, log } = this.deps;
    await runtime
      .stopAndRemove(containerId, graceSeconds, () => logs.collect(containerId))
      .catch((error) => log.warn("could not remove a container", { container: containerId.slice(0, 12), error: (error as Error).message }));
  }
}

/** The instance's secrets or volumes could not be made ready: no container was created. */
class NotPreparedError extends Error {}
