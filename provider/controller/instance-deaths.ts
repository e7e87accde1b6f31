import type { ContainerEvent } from "../runtime/container-runtime";
import { LABEL } from "../runtime/labels";
import type { InstanceActions } from "./instance-actions";
import type { InstanceControllerDeps } from "./instance-deps";
import type { LiveInstance, RevisionScaler } from "./revision-scaler";

/**
 * Instances that die on their own: noticed from Docker's event stream, from the proxy finding one
 * unreachable, or from a sweep over Docker's containers (what the stream may have missed). Each
 * leaves routing at once, its failure is recorded (an out-of-memory kill named as such), and a
 * replacement starts after the revision's back-off.
 */
export class InstanceDeaths {
  constructor(
    private readonly deps: InstanceControllerDeps,
    private readonly actions: InstanceActions,
    private readonly controller: {
      scalerOf(project: string, revision: string): RevisionScaler | undefined;
      allScalers(): Iterable<RevisionScaler>;
      reconcile(scaler: RevisionScaler): void;
      track<T>(work: Promise<T>, scaler?: RevisionScaler): Promise<T>;
    },
  ) {}

  onEvent(event: ContainerEvent): void {
    const entry = this.actions.byContainer.get(event.containerId);
    if (!entry) return;
    if (event.kind === "oom") {
      entry.live.oomKilled = true;
      return;
    }
    if (entry.live.state === "ready")
      void this.controller.track(this.replaceDead(entry.scaler, entry.live, event.exitCode, event.containerId), entry.scaler);
  }

  /**
   * A container of the instance failed its liveness probe failureThreshold times in a row: it is
   * dead as if its process had exited (Cloud Run kills it), so the instance goes the same way,
   * its containers killed at once (no grace: the app is known not to make progress). Logged as an
   * ERROR, as Cloud Run logs a failed liveness probe.
   */
  async replaceUnhealthy(scaler: RevisionScaler, live: LiveInstance, container: string, reason: string): Promise<void> {
    if (live.state !== "ready") return;
    const { store, log, logs } = this.deps;
    const { noticedAt, delay } = this.takeOut(scaler, live);
    const rev = scaler.rev;
    const who = rev.template.sidecars?.length ? `container ${container} of instance ${live.row.id}` : `instance ${live.row.id}`;
    const message = `${who} was stopped: ${reason}; a new instance starts in ${delay / 1000} s if requests need one`;
    log.warn("instance failed its liveness probe", { revision: rev.name, instance: live.row.id, container, reason, restartInMs: delay });
    logs.append(rev.project, rev.service, {
      time: noticedAt,
      stream: "engine",
      severity: "ERROR",
      text: message,
      revision: rev.name,
      instance: live.row.id,
    });
    store.setRevisionInstanceError(rev.project, rev.name, `${noticedAt} ${message}`);
    await this.actions.dropInstance(scaler, live, 0);
    this.controller.reconcile(scaler);
  }

  /**
   * Out of routing before any await, in the handler of Docker's event itself: a request that
   * arrives after it waits for the replacement instead of reaching what is left of the instance
   * (an ingress container whose sidecar died still answers, with its own 502s). Its records say
   * this moment, when the engine knew, not when an inspect came back.
   */
  private takeOut(scaler: RevisionScaler, live: LiveInstance): { noticedAt: string; delay: number } {
    const { clock } = this.deps;
    const noticedAt = new Date().toISOString();
    live.state = "draining";
    live.stopLiveness?.();
    scaler.throttler.forget(live.row.id);
    // Before any await: a reconcile meanwhile must already see the back-off, not start a replacement at once.
    const delay = scaler.backoff.recordFailure(clock.now(), clock.now() - (live.readyAt ?? clock.now()));
    return { noticedAt, delay };
  }

  /**
   * An instance died on its own (any one of its containers: they die together): out of routing at
   * once, its failure recorded, its other containers stopped, a replacement after back-off.
   */
  private async replaceDead(
    scaler: RevisionScaler,
    live: LiveInstance,
    exitCode?: number,
    deadContainer = live.row.containerId,
  ): Promise<void> {
    const { runtime, store, log, logs } = this.deps;
    const { noticedAt, delay } = this.takeOut(scaler, live);
    const state = await runtime.inspect(deadContainer).catch(() => undefined);
    const oom = live.oomKilled === true || state?.oomKilled === true;
    const code = state?.exitCode ?? exitCode;
    const rev = scaler.rev;
    // In an instance of several containers, which one died and its own limit.
    const member = rev.template.sidecars?.length ? live.members?.find((m) => m.containerId === deadContainer) : undefined;
    const limit = member && !member.ingress ? rev.template.sidecars!.find((s) => s.name === member.name)?.resources.memory : undefined;
    const who = member ? `container ${member.name} of instance ${live.row.id}` : `instance ${live.row.id}`;
    const what = oom
      ? `memory limit exceeded: ${who} used more than its ${limit ?? rev.template.resources.memory} and was killed`
      : `${who} exited with code ${code ?? "unknown"}`;
    const message = `${what}; a new instance starts in ${delay / 1000} s if requests need one`;
    log.warn("instance died", {
      revision: rev.name,
      instance: live.row.id,
      ...(member ? { container: member.name } : {}),
      exitCode: code,
      oomKilled: oom,
      restartInMs: delay,
    });
    logs.append(rev.project, rev.service, {
      time: noticedAt,
      stream: "engine",
      // As Cloud Run writes them: a memory limit exceeded is an ERROR, a container's own exit a WARNING.
      severity: oom ? "ERROR" : "WARNING",
      text: message,
      revision: rev.name,
      instance: live.row.id,
    });
    store.setRevisionInstanceError(rev.project, rev.name, `${noticedAt} ${message}`);
    await this.actions.dropInstance(scaler, live, 0);
    this.controller.reconcile(scaler);
  }

  /**
   * The proxy could not reach an instance and took it out of routing: if its container is gone or
   * stopped, it died (Docker's event may still be on its way); if it runs, it takes requests again.
   */
  async checkUnreachable(project: string, revision: string, instanceId: string): Promise<void> {
    const scaler = this.controller.scalerOf(project, revision);
    const live = scaler?.instances.get(instanceId);
    if (!scaler || !live || live.state !== "ready") return;
    const state = await this.deps.runtime.inspect(live.row.containerId).catch(() => undefined);
    if (live.state !== "ready") return; // the die event got there first
    if (state?.running) scaler.throttler.resume(instanceId);
    else await this.replaceDead(scaler, live, state?.exitCode);
  }

  /** What the event stream may have missed: containers that died, or vanished, while nobody listened. */
  async sweep(): Promise<void> {
    const { runtime, engineId } = this.deps;
    const running = new Set((await runtime.list({ [LABEL.engine]: engineId })).filter((c) => c.running).map((c) => c.containerId));
    for (const [containerId, entry] of [...this.actions.byContainer]) {
      if (entry.live.state !== "ready" || running.has(containerId)) continue;
      await this.controller.track(this.replaceDead(entry.scaler, entry.live, undefined, containerId), entry.scaler);
    }
    for (const scaler of this.controller.allScalers()) this.controller.reconcile(scaler);
  }
}
