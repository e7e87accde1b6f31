import type { TimerHandle } from "../base/clock";
import { containersOf, startGroups } from "../model/containers";
import { containerName, instanceId, memberContainerName } from "../model/derived-names";
import { ReadinessError } from "../runtime/container-runtime";
import { LABEL } from "../runtime/labels";
import { checkOnce, type ProbeTarget } from "../runtime/http-probe";
import { watchLiveness } from "../runtime/liveness-probe";
import { isListening } from "../runtime/readiness";
import type { InstanceRow, RevisionRow } from "../state/store";
import type { InstanceControllerDeps } from "./instance-deps";
import {
  checkAllRunning,
  makeSharedVolumes,
  MemberStartError,
  startMember,
  waitStarted,
  type MemberContainer,
  type ProbeTargetOf,
} from "./instance-members";
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
    /** A container failed its liveness probe: the instance is replaced (instance-deaths.ts). */
    private readonly onUnhealthy: (scaler: RevisionScaler, live: LiveInstance, container: string, reason: string) => void,
  ) {}

  /**
   * Starts an instance and waits until it is ready: its containers start in their dependsOn order,
   * each group once the one before passed its startup probes, and it is ready when all did. On
   * failure every container is gone and the error carries the log tail of the one that failed.
   */
  async startInstance(scaler: RevisionScaler): Promise<LiveInstance> {
    const { store, runtime, clock } = this.deps;
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
    const members: MemberContainer[] = [];
    const detachers: (() => void)[] = [];
    const detachLogs = () => detachers.splice(0).forEach((detach) => detach());
    const live: LiveInstance = { row, state: "starting", abort: new AbortController(), detachLogs, members };
    scaler.addInstance(live);
    const startedAt = clock.now();
    const several = (t.sidecars?.length ?? 0) > 0;
    let address: string | undefined;
    // The probes go where the router will send requests (all containers share the holder's network).
    const targetOf: ProbeTargetOf = (port) => this.probeTarget(rev, address, row.hostPort, port);
    const containerStarts = new Map<string, number>();
    try {
      const name = containerName(rev.project, rev.name, id);
      const shared = await makeSharedVolumes(this.deps, rev, id, name).catch((error: unknown) => {
        throw new MemberStartError(`its in-memory volumes could not be made: ${(error as Error).message}`, "", undefined, false);
      });
      for (const group of startGroups(containersOf(t))) {
        for (const c of group) {
          const started = await startMember(this.deps, rev, id, name, c, row.containerId || undefined, shared);
          containerStarts.set(c.name, clock.now());
          members.push({ name: c.name, containerId: started.containerId, ingress: c.ingress });
          if (!row.containerId) {
            row.containerId = started.containerId;
            row.hostPort = started.hostPort;
            address = started.address;
            store.insertInstance(row);
          }
          this.byContainer.set(started.containerId, { scaler, live });
          if (!live.abort.signal.aborted) detachers.push(this.attachLogs(row, started.containerId, several ? c.name : undefined));
        }
        const idOf = (member: string) => members.find((m) => m.name === member)!.containerId;
        await Promise.all(group.map((c) => waitStarted(this.deps, c, idOf(c.name), live.abort.signal, targetOf)));
      }
      if (several) await checkAllRunning(this.deps, members);
      const state = row.hostPort === undefined || address === undefined ? await runtime.inspect(row.containerId) : undefined;
      const hostPort = row.hostPort ?? state?.hostPort;
      address ??= state?.address;
      if (!hostPort) throw new ReadinessError("Docker reported no published port for the container");
      if (live.abort.signal.aborted) throw new ReadinessError("the start was cancelled");
      row.hostPort = hostPort;
      const unreachable = containersOf(t).find((c) => c.liveness && targetOf(c.liveness.port) === undefined);
      if (unreachable?.liveness)
        throw new MemberStartError(
          `the liveness probe's port ${unreachable.liveness.port} cannot be reached: the engine reaches instances at their published port, which is the container's port alone`,
          unreachable.name,
          undefined,
          false,
        );
    } catch (error) {
      // The back-off first: dropping the instance reconciles, and that must already wait.
      if (!live.abort.signal.aborted) scaler.backoff.recordFailure(clock.now());
      const failed = error instanceof MemberStartError ? error : undefined;
      const tailOf = failed ? (failed.containerId ?? members.find((m) => m.name === failed.member)?.containerId) : row.containerId;
      const tail = tailOf ? await runtime.logTail(tailOf, LOG_TAIL_LINES) : "";
      await this.dropInstance(scaler, live, 0);
      // In an instance of several, the reason names the container it is about.
      const who = several && failed?.member ? `container ${failed.member}: ` : "";
      const why = failed?.notPrepared
        ? failed.message
        : error instanceof ReadinessError || failed
          ? (error as Error).message
          : `the container could not be started: ${(error as Error).message}`;
      if (!live.abort.signal.aborted) this.logStartFailure(rev, id, `${who}${why}`);
      // A secret, version or mapping that is missing: nothing more was started, and the reason names it.
      if (failed?.notPrepared) throw new ReadinessError(`${who}${why}`);
      throw new ReadinessError(tail ? `${who}${why}. Last log lines:\n${tail}` : `${who}${why}. The container wrote no logs.`);
    }
    live.state = "ready";
    live.readyAt = clock.now();
    this.watchLiveness(scaler, live, containerStarts, targetOf);
    scaler.recordStartup(clock.now() - startedAt);
    this.deps.onInstanceReady?.(rev, clock.now() - startedAt);
    const endpoint = this.endpointOf(id, row.containerId, row.hostPort, address, rev);
    scaler.throttler.addInstance(endpoint);
    this.deps.log.info("instance ready", { revision: rev.name, instance: id, address: `${endpoint.host}:${endpoint.port}` });
    return live;
  }

  /**
   * Why an instance did not start, in its service's log beside what its containers printed (as Cloud
   * Run logs a failed start, as an ERROR): `logs read` otherwise shows nothing when the entrypoint cannot even run.
   */
  private logStartFailure(rev: RevisionRow, instance: string, reason: string): void {
    const text = `instance ${instance} could not start: ${reason}`;
    this.deps.logs.append(rev.project, rev.service, {
      time: new Date().toISOString(),
      stream: "engine",
      severity: "ERROR",
      text,
      revision: rev.name,
      instance,
    });
  }

  /**
   * Where the engine reaches `port` of an instance: as the router does (its bridge address), else
   * the port published on 127.0.0.1, which is the template's port alone; undefined: not reachable.
   */
  probeTarget(rev: RevisionRow, address: string | undefined, hostPort: number | undefined, port: number): ProbeTarget | undefined {
    if (this.deps.addressing === "bridge" && address) return { host: address, port };
    return port === rev.template.port && hostPort ? { host: "127.0.0.1", port: hostPort } : undefined;
  }

  /**
   * Starts the liveness probes of a ready instance's containers (those with one), each from its
   * container's start (`startedAt` by name; missing: now, as for an adopted instance). The first
   * container found dead replaces the instance; the others stop with it.
   */
  watchLiveness(scaler: RevisionScaler, live: LiveInstance, startedAt: ReadonlyMap<string, number>, targetOf: ProbeTargetOf): void {
    const { clock } = this.deps;
    const watches = containersOf(scaler.rev.template).flatMap((c) => {
      const check = c.liveness;
      const target = check && targetOf(check.port);
      if (!check || !target) return [];
      return [
        watchLiveness({
          clock,
          check,
          startedAt: startedAt.get(c.name) ?? clock.now(),
          readyAt: live.readyAt ?? clock.now(),
          probe: () => checkOnce(target, check, check.timeoutMs, "skiff-liveness-probe"),
          onDead: (reason) => {
            live.stopLiveness?.();
            if (live.state === "ready") this.onUnhealthy(scaler, live, c.name, reason);
          },
        }),
      ];
    });
    if (watches.length > 0) live.stopLiveness = () => watches.forEach((w) => w.stop());
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
      return state?.running === true && (await isListening(state.pid, rev.template.port, hostPort, true));
    };
    return { instanceId, host: "127.0.0.1", port: hostPort, maxConnections, http2, listening };
  }

  /** Stops routing to the instance, lets its requests finish (up to the request timeout), then stops and removes it. */
  async drainAndStop(scaler: RevisionScaler, live: LiveInstance): Promise<void> {
    if (live.state === "draining") return;
    live.state = "draining";
    // A container that is stopping is not probed: its failures now say nothing.
    live.stopLiveness?.();
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

  /** Out of routing, its containers stopped together (their lines kept) and removed, record gone. */
  async dropInstance(scaler: RevisionScaler, live: LiveInstance, graceSeconds: number): Promise<void> {
    scaler.throttler.forget(live.row.id);
    // Still counted (as draining) until its containers are gone: a stopping container counts against maxInstanceCount.
    live.state = "draining";
    live.stopLiveness?.();
    const name = containerName(live.row.project, live.row.revision, live.row.id);
    const holder = live.row.containerId;
    const members = live.members?.length ? live.members : holder ? [{ name: "", containerId: holder, ingress: true }] : [];
    for (const m of members) this.byContainer.delete(m.containerId);
    if (members.length > 0) {
      await this.stopMembers(holder, members, graceSeconds);
      this.deps.store.deleteInstance(live.row.id);
    }
    for (const m of members.length > 0 ? members : [{ name: "", ingress: true }])
      this.deps.volumes.release(memberContainerName(name, m.name, m.ingress));
    if (scaler.rev.template.sidecars?.length) await this.removeSharedVolumes(live.row.id);
    scaler.removeInstance(live.row.id);
    live.detachLogs();
    // A start held back by the maximum may go now.
    this.reconcile(scaler);
  }

  /**
   * SIGTERM to every container at once, SIGKILL after the grace; each one's lines kept, then
   * removed. The network's holder goes last: the others are in its namespace until then.
   */
  async stopMembers(holder: string, members: readonly MemberContainer[], graceSeconds: number): Promise<void> {
    const others = members.filter((m) => m.containerId !== holder);
    if (others.length === 0) return this.stopCollectRemove(holder, graceSeconds);
    await Promise.all([
      ...others.map((m) => this.stopCollectRemove(m.containerId, graceSeconds)),
      this.deps.runtime.stop(holder, graceSeconds).catch(() => undefined),
    ]);
    await this.stopCollectRemove(holder, 0);
  }

  /** The instance's shared in-memory volumes, found by their labels (also those of an instance a crash left). */
  async removeSharedVolumes(instance: string): Promise<void> {
    const { runtime, engineId, log } = this.deps;
    const volumes = await runtime.listSharedVolumes({ [LABEL.engine]: engineId, [LABEL.instance]: instance }).catch(() => []);
    for (const v of volumes)
      await runtime
        .removeSharedVolume(v.name)
        .catch((error) => log.warn("could not remove a volume", { volume: v.name, error: (error as Error).message }));
  }

  attachLogs(row: InstanceRow, containerId = row.containerId, container?: string, after?: string): () => void {
    const source = { project: row.project, service: row.service, revision: row.revision, instance: row.id };
    return this.deps.logs.attach(containerId, container ? { ...source, container } : source, after);
  }

  /** Stops the container (SIGTERM, grace, SIGKILL), keeps what it wrote (also during its grace) in its service's log, then removes it. */
  async stopCollectRemove(containerId: string, graceSeconds: number): Promise<void> {
    const { runtime, logs, log } = this.deps;
    await runtime
      .stopAndRemove(containerId, graceSeconds, () => logs.collect(containerId))
      .catch((error) => log.warn("could not remove a container", { container: containerId.slice(0, 12), error: (error as Error).message }));
  }
}
