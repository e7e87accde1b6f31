import { createHash } from "node:crypto";
import type { Clock, TimerHandle } from "../../provider/base/clock";
import { SkiffError } from "../../provider/model/errors";
import {
  ReadinessError,
  type ContainerEvent,
  type ContainerRuntime,
  type ContainerState,
  type ContainerSummary,
  type SharedVolumeSpec,
  type EngineNetwork,
  type InstanceSpec,
  type StartedContainer,
} from "../../provider/runtime/container-runtime";
import type { LogLine } from "../../provider/logs/log-store";

/**
 * An in-memory ContainerRuntime on an injected clock, for unit tests of the controllers: containers
 * have ids, labels, a running state, an exit code and a host port; they listen when the test says so
 * (listen(), or listenAfterMs on the clock), exit when the test kills them, and emit the events,
 * log lines and states Docker would. Every call and every change is recorded with its clock time in
 * `history`, so a test can assert exactly what the engine did and when.
 */

/** How a container started by start() behaves; a StartRule picks one per start. */
export interface StartBehaviour {
  /** start() rejects with this message (Docker could not create or start the container). */
  failWith?: string;
  /** Listens this long (clock ms) after it started; undefined: only when the test calls listen(). */
  listenAfterMs?: number;
  /** Exits on its own this long after it started, with exitCode (default 1). */
  exitAfterMs?: number;
  exitCode?: number;
  /** Lines it writes at once (stdout). */
  logLines?: string[];
  /** Ignores SIGTERM: stopAndRemove then waits the whole grace on the clock and SIGKILLs it. */
  trapSigterm?: boolean;
  /** start() reports no host port (as when Docker lost the binding); inspect() still has one while it runs. */
  noHostPortAtStart?: boolean;
}

/** Decides the behaviour of the index-th start (0-based, counting every start call). */
export type StartRule = (spec: InstanceSpec, index: number) => StartBehaviour | undefined;

export interface FakeContainer {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly labels: Record<string, string>;
  /** What the engine asked for; undefined for containers a test added with addContainer(). */
  readonly spec: InstanceSpec | undefined;
  readonly createdAt: number;
  /** The host port Docker published; inspect() reports it only while the container runs. */
  readonly hostPort: number;
  running: boolean;
  listening: boolean;
  exitCode: number | undefined;
  oomKilled: boolean;
  trapSigterm: boolean;
  listenedAt?: number;
  exitedAt?: number;
  /** When stopAndRemove sent SIGTERM, and the grace it gave. */
  sigtermAt?: number;
  graceSeconds?: number;
  sigkillAt?: number;
  /** Set once removed: list() and inspect() no longer see it. */
  removedAt?: number;
  readonly logs: LogLine[];
}

export interface HistoryEntry {
  /** Clock time. */
  at: number;
  op:
    | "resolveImage"
    | "createSharedVolume"
    | "removeSharedVolume"
    | "start"
    | "startFailed"
    | "waitListening"
    | "listen"
    | "exit"
    | "stopAndRemove"
    | "stop"
    | "remove"
    | "waitExit"
    | "sigterm"
    | "sigkill"
    | "removed"
    | "vanished"
    | "readLogs"
    | "followLogs"
    | "unfollowLogs"
    | "watchEvents"
    | "unwatchEvents"
    | "event"
    | "gap";
  containerId?: string;
  detail?: Record<string, unknown>;
}

interface ListenWaiter {
  port: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Follower {
  containerId: string;
  onLine: (line: LogLine) => void;
  active: boolean;
}

interface Watcher {
  labels: Record<string, string>;
  onEvent: (event: ContainerEvent) => void;
  onGap: () => void;
  active: boolean;
}

export interface KillOptions {
  exitCode?: number;
  /** The kernel killed it for memory: inspect() says oomKilled. */
  oom?: boolean;
  /** Which events Docker's stream delivers: by default `oom` (when oom) then `die`; [] for none. */
  events?: ContainerEvent["kind"][];
}

const HOST_PORT_BASE = 40_000;

export class FakeRuntime implements ContainerRuntime {
  /** Every call and change, in order, with clock times. */
  readonly history: HistoryEntry[] = [];
  /** Every container ever created or added, removed ones included, in creation order. */
  readonly all: FakeContainer[] = [];
  /** The behaviour of every start, unless `startRule` says otherwise for one. */
  behaviour: StartBehaviour = {};
  startRule: StartRule | undefined;
  /** Image references resolveImage() knows: name → id. Unknown names resolve to a made-up id unless in `missingImages`. */
  readonly images = new Map<string, string>();
  readonly missingImages = new Set<string>();
  /** How long (clock ms) Docker takes to remove a stopped container in stopAndRemove(); 0: at once. */
  removeTakesMs = 0;
  /** The most containers running at any one time so far. */
  peakRunning = 0;

  private readonly byId = new Map<string, FakeContainer>();
  private readonly listenWaiters = new Map<string, Set<ListenWaiter>>();
  private readonly followers: Follower[] = [];
  private readonly watchers: Watcher[] = [];
  private startCount = 0;
  private sequence = 0;

  constructor(private readonly clock: Clock) {}

  // ---- what tests do ----

  /** The container starts listening: waitListening() calls for it resolve. */
  listen(containerId: string): void {
    const c = this.require(containerId);
    if (!c.running) throw new Error(`container ${containerId} is not running; it cannot listen`);
    if (c.listening) return;
    c.listening = true;
    c.listenedAt = this.clock.now();
    this.record("listen", containerId);
    const waiters = this.listenWaiters.get(containerId);
    this.listenWaiters.delete(containerId);
    for (const w of waiters ?? []) w.resolve();
  }

  /**
   * The container exits (crash, kill, out of memory): waitListening() for it rejects, and Docker's
   * event stream reports `oom` (if oom) and `die`, unless `events` says otherwise.
   */
  kill(containerId: string, options: KillOptions = {}): void {
    const { exitCode = options.oom ? 137 : 1, oom = false } = options;
    this.exit(this.require(containerId), exitCode, oom, options.events ?? (oom ? ["oom", "die"] : ["die"]));
  }

  /** The container disappears without any event (removed behind the engine's back, events missed). */
  vanish(containerId: string): void {
    const c = this.require(containerId);
    c.running = false;
    c.listening = false;
    c.exitCode ??= 137;
    c.exitedAt ??= this.clock.now();
    this.drop(c, "vanished");
  }

  /** Delivers an event as Docker's stream would (to watchers whose labels the container carries). */
  emitEvent(event: ContainerEvent): void {
    const c = this.byId.get(event.containerId) ?? this.all.find((x) => x.id === event.containerId);
    this.record("event", event.containerId, { kind: event.kind, exitCode: event.exitCode });
    for (const w of [...this.watchers]) {
      if (w.active && (!c || hasLabels(c.labels, w.labels))) w.onEvent(event);
    }
  }

  /** The event stream broke and reconnected: events may have been missed. */
  gap(): void {
    this.record("gap");
    for (const w of [...this.watchers]) if (w.active) w.onGap();
  }

  /** The container writes a line; followers get it at once. `time` defaults to the clock's now. */
  emitLog(containerId: string, text: string, options: { stream?: "stdout" | "stderr"; time?: string } = {}): void {
    const c = this.require(containerId);
    const line: LogLine = { time: options.time ?? new Date(this.clock.now()).toISOString(), stream: options.stream ?? "stdout", text };
    c.logs.push(line);
    for (const f of [...this.followers]) if (f.active && f.containerId === containerId) f.onLine(line);
  }

  /** A container that already exists (left by an earlier engine run): for adopt() tests. */
  addContainer(options: {
    labels: Record<string, string>;
    running?: boolean;
    exitCode?: number;
    logs?: LogLine[];
    name?: string;
  }): FakeContainer {
    const c = this.create(options.name ?? `existing-${this.sequence + 1}`, "sha256:existing", options.labels, undefined);
    if (options.running === false) {
      c.running = false;
      c.exitCode = options.exitCode ?? 0;
      c.exitedAt = this.clock.now();
    } else {
      c.listening = true;
      c.listenedAt = this.clock.now();
    }
    c.logs.push(...(options.logs ?? []));
    this.updatePeak();
    return c;
  }

  // ---- what tests look at ----

  container(containerId: string): FakeContainer {
    return this.require(containerId);
  }

  /** Containers created by start(), in order. */
  started(): FakeContainer[] {
    return this.all.filter((c) => c.spec !== undefined);
  }

  /** Containers not removed. */
  live(): FakeContainer[] {
    return [...this.byId.values()];
  }

  /** Running containers carrying all of the labels. */
  running(labels: Record<string, string> = {}): FakeContainer[] {
    return this.live().filter((c) => c.running && hasLabels(c.labels, labels));
  }

  /** The stopAndRemove calls, with the grace each gave. */
  stops(): { at: number; containerId: string; graceSeconds: number }[] {
    return this.history
      .filter((h) => h.op === "stopAndRemove")
      .map((h) => ({ at: h.at, containerId: h.containerId!, graceSeconds: h.detail!.graceSeconds as number }));
  }

  ops(op: HistoryEntry["op"], containerId?: string): HistoryEntry[] {
    return this.history.filter((h) => h.op === op && (containerId === undefined || h.containerId === containerId));
  }

  /** Log followers still attached to the container. */
  activeFollowers(containerId: string): number {
    return this.followers.filter((f) => f.active && f.containerId === containerId).length;
  }

  activeWatchers(): number {
    return this.watchers.filter((w) => w.active).length;
  }

  /** The history as lines, for assertion messages. */
  describe(): string {
    return this.history
      .map((h) => `${h.at} ${h.op}${h.containerId ? ` ${h.containerId}` : ""}${h.detail ? ` ${JSON.stringify(h.detail)}` : ""}`)
      .join("\n");
  }

  // ---- ContainerRuntime ----

  /** The fake's containers are reached at their published ports. */
  async bridgeReachable(): Promise<boolean> {
    return false;
  }

  /** A network in name only: the fake's containers have no addresses on it. */
  async ensureNetwork(engineId: string): Promise<EngineNetwork> {
    return { name: `skiff-${engineId}`, gateway: "192.0.2.1", subnet: "192.0.2.0/24" };
  }

  async releaseNetwork(): Promise<boolean> {
    return this.byId.size === 0;
  }

  setContainerDefaults(): void {}

  async containerAt(): Promise<ContainerSummary | undefined> {
    return undefined;
  }

  async resolveImage(image: string): Promise<string> {
    this.record("resolveImage", undefined, { image });
    if (this.missingImages.has(image)) {
      const reason = `image "${image}" is not present locally and could not be pulled: not found`;
      throw new SkiffError("FAILED_PRECONDITION", `template.image: ${reason}`, [{ field: "template.image", reason }]);
    }
    return this.images.get(image) ?? `sha256:${createHash("sha256").update(image).digest("hex")}`;
  }

  /** What Docker has without pulling: the images set in `images`; every other name is missing. */
  async localImageId(image: string): Promise<string | undefined> {
    return this.images.get(image);
  }

  async start(spec: InstanceSpec): Promise<StartedContainer> {
    const index = this.startCount++;
    const b = { ...this.behaviour, ...(this.startRule?.(spec, index) ?? {}) };
    if (b.failWith !== undefined) {
      this.record("startFailed", undefined, { name: spec.name, error: b.failWith });
      throw new Error(b.failWith);
    }
    const c = this.create(spec.name, spec.image, spec.labels, spec);
    c.trapSigterm = b.trapSigterm === true;
    this.record("start", c.id, { name: spec.name, revision: spec.labels["skiff.revision"], hostPort: c.hostPort });
    this.updatePeak();
    for (const text of b.logLines ?? []) this.emitLog(c.id, text);
    if (b.listenAfterMs !== undefined) {
      this.clock.setTimeout(() => {
        if (c.running) this.listen(c.id);
      }, b.listenAfterMs);
    }
    if (b.exitAfterMs !== undefined) {
      this.clock.setTimeout(() => {
        if (c.running) this.exit(c, b.exitCode ?? 1, false, ["die"]);
      }, b.exitAfterMs);
    }
    return { containerId: c.id, hostPort: b.noHostPortAtStart ? undefined : c.hostPort };
  }

  waitListening(containerId: string, port: number, deadlineMs: number, signal?: AbortSignal): Promise<void> {
    this.record("waitListening", containerId, { port, deadlineMs });
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new ReadinessError("the start was cancelled"));
      const c = this.byId.get(containerId);
      if (!c) return reject(new ReadinessError("the container disappeared while starting"));
      if (!c.running) return reject(new ReadinessError(exitedBeforeListening(c, port)));
      if (c.listening) return resolve();
      // Set below, once the waiter it rejects exists; cleanup() (defined before) reads it.
      // eslint-disable-next-line prefer-const
      let timer: TimerHandle | undefined;
      const waiter: ListenWaiter = {
        port,
        resolve: () => {
          cleanup();
          resolve();
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      const onAbort = () => waiter.reject(new ReadinessError("the start was cancelled"));
      const cleanup = () => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.listenWaiters.get(containerId)?.delete(waiter);
      };
      timer = this.clock.setTimeout(
        () =>
          waiter.reject(
            new ReadinessError(`the container did not listen on port ${port} within the startup deadline of ${deadlineMs / 1000} s`),
          ),
        deadlineMs,
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      let set = this.listenWaiters.get(containerId);
      if (!set) this.listenWaiters.set(containerId, (set = new Set()));
      set.add(waiter);
    });
  }

  async inspect(containerId: string): Promise<ContainerState | undefined> {
    const c = this.byId.get(containerId);
    if (!c) return undefined;
    return {
      running: c.running,
      exitCode: c.running ? 0 : c.exitCode,
      pid: c.running ? 1000 + this.all.indexOf(c) : undefined,
      // Docker drops the port binding of a stopped container.
      hostPort: c.running ? c.hostPort : undefined,
      oomKilled: c.oomKilled,
    };
  }

  async stopAndRemove(containerId: string, graceSeconds: number, beforeRemove?: () => Promise<void>): Promise<void> {
    this.record("stopAndRemove", containerId, { graceSeconds });
    const c = this.byId.get(containerId);
    if (!c) return; // Docker: stop and remove of a missing container are ignored
    await this.terminate(c, graceSeconds);
    await beforeRemove?.().catch(() => undefined);
    if (this.removeTakesMs > 0) await this.sleep(this.removeTakesMs);
    if (c.removedAt === undefined) this.drop(c, "removed");
  }

  async stop(containerId: string, graceSeconds: number): Promise<void> {
    this.record("stop", containerId, { graceSeconds });
    const c = this.byId.get(containerId);
    if (c) await this.terminate(c, graceSeconds);
  }

  async remove(containerId: string): Promise<void> {
    this.record("remove", containerId);
    const c = this.byId.get(containerId);
    if (!c) return;
    if (c.running) this.exit(c, 137, false, ["die"]);
    if (c.removedAt === undefined) this.drop(c, "removed");
  }

  /** Like `docker wait`: resolves when the container has exited, rejects if it is removed first or is gone. */
  waitExit(containerId: string): Promise<{ exitCode: number; oomKilled: boolean }> {
    this.record("waitExit", containerId);
    return new Promise((resolve, reject) => {
      const check = () => {
        const c = this.byId.get(containerId);
        if (!c) return reject(new Error(`container ${containerId} is gone`));
        if (!c.running) return resolve({ exitCode: c.exitCode ?? -1, oomKilled: c.oomKilled });
        this.clock.setTimeout(check, 10);
      };
      check();
    });
  }

  /** SIGTERM; SIGKILL after the grace when the container traps SIGTERM. */
  private async terminate(c: FakeContainer, graceSeconds: number): Promise<void> {
    const containerId = c.id;
    if (c.running) {
      c.sigtermAt = this.clock.now();
      c.graceSeconds = graceSeconds;
      this.record("sigterm", containerId, { graceSeconds });
      if (c.trapSigterm && graceSeconds > 0) await this.sleep(graceSeconds * 1000);
      if (c.running) {
        if (c.trapSigterm) {
          c.sigkillAt = this.clock.now();
          this.record("sigkill", containerId);
        }
        // Docker reports the stop as a die event like any other exit: 143 after SIGTERM, 137 after SIGKILL.
        this.exit(c, c.trapSigterm ? 137 : 143, false, ["die"]);
      }
    }
  }

  async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    return this.live()
      .filter((c) => hasLabels(c.labels, labels))
      .map((c) => ({ containerId: c.id, labels: { ...c.labels }, running: c.running }));
  }

  /** Shared in-memory volumes that exist now, by name. */
  readonly sharedVolumes = new Map<string, SharedVolumeSpec>();

  async createSharedVolume(spec: SharedVolumeSpec): Promise<void> {
    this.record("createSharedVolume", spec.name);
    this.sharedVolumes.set(spec.name, spec);
  }

  async removeSharedVolume(name: string): Promise<void> {
    this.record("removeSharedVolume", name);
    this.sharedVolumes.delete(name);
  }

  async listSharedVolumes(labels: Record<string, string>): Promise<{ name: string; labels: Record<string, string> }[]> {
    return [...this.sharedVolumes.values()].filter((v) => hasLabels(v.labels, labels)).map((v) => ({ name: v.name, labels: v.labels }));
  }

  async logTail(containerId: string, lines: number): Promise<string> {
    const c = this.byId.get(containerId);
    if (!c) return "";
    return c.logs
      .slice(-lines)
      .map((l) => l.text)
      .join("\n");
  }

  async readLogs(containerId: string, options: { sinceSeconds?: number; tail?: number }, onLine: (line: LogLine) => void): Promise<void> {
    this.record("readLogs", containerId, { ...options });
    const c = this.byId.get(containerId);
    // Like `docker logs --since --tail`: a removed container has no log any more.
    if (!c || c.removedAt !== undefined) return;
    const since = options.sinceSeconds;
    const lines = c.logs.filter((line) => since === undefined || Date.parse(line.time) >= since * 1000);
    for (const line of options.tail === undefined ? lines : lines.slice(lines.length - Math.min(options.tail, lines.length))) onLine(line);
  }

  followLogs(containerId: string, sinceSeconds: number, onLine: (line: LogLine) => void): () => void {
    this.record("followLogs", containerId, { sinceSeconds });
    const follower: Follower = { containerId, onLine, active: true };
    // Like `docker logs --follow --since`: what the container wrote since then first, then live lines.
    const c = this.byId.get(containerId);
    for (const line of c?.logs ?? []) if (Date.parse(line.time) >= sinceSeconds * 1000) onLine(line);
    this.followers.push(follower);
    return () => {
      if (!follower.active) return;
      follower.active = false;
      this.record("unfollowLogs", containerId);
    };
  }

  watchEvents(labels: Record<string, string>, onEvent: (event: ContainerEvent) => void, onGap: () => void): () => void {
    this.record("watchEvents", undefined, { labels });
    const watcher: Watcher = { labels, onEvent, onGap, active: true };
    this.watchers.push(watcher);
    return () => {
      if (!watcher.active) return;
      watcher.active = false;
      this.record("unwatchEvents");
    };
  }

  // ---- inside ----

  private create(name: string, image: string, labels: Record<string, string>, spec: InstanceSpec | undefined): FakeContainer {
    const n = ++this.sequence;
    const c: FakeContainer = {
      id: `ctr${String(n).padStart(4, "0")}`,
      name,
      image,
      labels: { ...labels },
      spec,
      createdAt: this.clock.now(),
      hostPort: HOST_PORT_BASE + n,
      running: true,
      listening: false,
      exitCode: undefined,
      oomKilled: false,
      trapSigterm: false,
      logs: [],
    };
    this.byId.set(c.id, c);
    this.all.push(c);
    return c;
  }

  private exit(c: FakeContainer, exitCode: number, oom: boolean, events: ContainerEvent["kind"][]): void {
    if (!c.running) return;
    c.running = false;
    c.listening = false;
    c.exitCode = exitCode;
    c.oomKilled = oom;
    c.exitedAt = this.clock.now();
    this.record("exit", c.id, { exitCode, oomKilled: oom });
    const waiters = this.listenWaiters.get(c.id);
    this.listenWaiters.delete(c.id);
    for (const w of waiters ?? []) w.reject(new ReadinessError(exitedBeforeListening(c, w.port)));
    for (const kind of events) this.emitEvent(kind === "die" ? { containerId: c.id, kind, exitCode } : { containerId: c.id, kind });
  }

  private drop(c: FakeContainer, op: "removed" | "vanished"): void {
    c.removedAt = this.clock.now();
    this.byId.delete(c.id);
    this.record(op, c.id);
    const waiters = this.listenWaiters.get(c.id);
    this.listenWaiters.delete(c.id);
    for (const w of waiters ?? []) w.reject(new ReadinessError("the container disappeared while starting"));
    // A removed container's log stream ends.
    for (const f of this.followers) if (f.containerId === c.id) f.active = false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  private require(containerId: string): FakeContainer {
    const c = this.all.find((x) => x.id === containerId);
    if (!c) throw new Error(`no container ${containerId}; containers: ${this.all.map((x) => x.id).join(", ") || "none"}`);
    return c;
  }

  private updatePeak(): void {
    this.peakRunning = Math.max(this.peakRunning, this.running().length);
  }

  private record(op: HistoryEntry["op"], containerId?: string, detail?: Record<string, unknown>): void {
    this.history.push({ at: this.clock.now(), op, containerId, detail });
  }
}

function hasLabels(have: Record<string, string>, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

function exitedBeforeListening(c: FakeContainer, port: number): string {
  const why = c.oomKilled ? "was killed for running out of memory" : `exited with code ${c.exitCode}`;
  return `the container ${why} before listening on port ${port}`;
}
