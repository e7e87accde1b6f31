import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "../../provider/base/logger";
import { InstanceController, type ScalingSettings } from "../../provider/controller/instance-controller";
import { parseServiceTemplate, type ServiceTemplateInput } from "../../provider/model/template";
import { InProcessLogs } from "../../provider/logs/container-logs";
import { LogStore } from "../../provider/logs/log-store";
import { DEFAULT_AUTOSCALER_SETTINGS } from "../../provider/scaling/autoscaler";
import { RevisionThrottlers } from "../../provider/scaling/revision-throttlers";
import type { Lease, Throttler } from "../../provider/scaling/throttler";
import type { RevisionRow } from "../../provider/state/store";
import { Store } from "../../provider/state/store";
import { FakeRuntime } from "./fake-runtime";
import { SteppingClock } from "./stepping-clock";
import { engineHome, ensureHome } from "../../provider/base/home";
import { CloudSqlProxies } from "../../provider/platform/cloudsql-proxy";
import { VolumeHost } from "../../provider/platform/volume-host";

/** Short engine settings, as the integration tests start the engine with. */
export const TEST_SCALING: ScalingSettings = {
  ...DEFAULT_AUTOSCALER_SETTINGS,
  stableWindowMs: 4000,
  panicWindowMs: 1000,
  scaleToZeroGraceMs: 2000,
  tickMs: 333,
};

export const PROJECT = "default";
export const SERVICE = "hello";
export const ENGINE_ID = "e0e0e0e0e0e0";
/** Where the clock starts: an arbitrary time well after zero. */
export const T0 = 1_000_000;

export interface LogEntry {
  at: number;
  level: "info" | "warn" | "error";
  message: string;
  fields?: Record<string, unknown>;
}

/** A Logger that keeps every line with the clock time it was written at. */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];

  constructor(private readonly now: () => number) {}

  info(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ at: this.now(), level: "info", message, fields });
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ at: this.now(), level: "warn", message, fields });
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ at: this.now(), level: "error", message, fields });
  }

  messages(level?: LogEntry["level"]): string[] {
    return this.entries.filter((e) => level === undefined || e.level === level).map((e) => e.message);
  }
}

/** A promise's outcome, readable synchronously (after a flush); never an unhandled rejection. */
export class Tracked<T> {
  state: "pending" | "resolved" | "rejected" = "pending";
  value: T | undefined;
  error: Error | undefined;
  settledAt: number | undefined;

  constructor(promise: Promise<T>, now: () => number) {
    promise.then(
      (value) => {
        this.state = "resolved";
        this.value = value;
        this.settledAt = now();
      },
      (error: Error) => {
        this.state = "rejected";
        this.error = error;
        this.settledAt = now();
      },
    );
  }

  get result(): T {
    if (this.state !== "resolved")
      throw new Error(`expected a resolved promise, it is ${this.state}${this.error ? `: ${this.error.message}` : ""}`);
    return this.value as T;
  }
}

export interface Harness {
  dir: string;
  clock: SteppingClock;
  runtime: FakeRuntime;
  store: Store;
  /** The controller's ContainerLogs: what `skiff logs read` shows, the containers' lines read on demand. */
  logs: InProcessLogs;
  log: RecordingLogger;
  throttlers: RevisionThrottlers;
  controller: InstanceController;
  /** A READY revision row of SERVICE, inserted into the store. */
  revision(name: string, template?: Partial<ServiceTemplateInput>, status?: RevisionRow["status"]): RevisionRow;
  throttler(revision: string): Throttler;
  track<T>(promise: Promise<T>): Tracked<T>;
  /** acquire() on the revision's throttler, tracked. */
  acquire(revision: string): Tracked<Lease>;
  /**
   * Starts the controller and the revision's first instance, runs the clock `listenMs` (the time
   * the instance takes to listen), fails unless that instance is ready, and routes SERVICE to it.
   */
  serveFirst(rev: RevisionRow, listenMs: number): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * The service logs of a harness. A collect waits for its lines to reach the disk before the
 * container may go; that wait ends in real time, between the stepping clock's timers, and would
 * move a removal off the clock time the tests check. Here it does not wait (the lines are still
 * written and read back); container-logs.test.ts checks the wait itself.
 */
class StepLogStore extends LogStore {
  override flush(): Promise<void> {
    return Promise.resolve();
  }
}

export function harness(options: { scaling?: Partial<ScalingSettings>; hostCpus?: number } = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), "skiff-ic-"));
  const clock = new SteppingClock(T0);
  const runtime = new FakeRuntime(clock);
  const store = Store.open(join(dir, "state.db"));
  const logs = new InProcessLogs(runtime, new StepLogStore(join(dir, "logs")));
  const log = new RecordingLogger(() => clock.now());
  const throttlers = new RevisionThrottlers();
  const home = engineHome(dir);
  ensureHome(home);
  const volumes = new VolumeHost({ home, store, proxies: new CloudSqlProxies(home.socketsDir, () => undefined, log), log });
  const controller = new InstanceController({
    store,
    runtime,
    engineId: ENGINE_ID,
    logs,
    volumes,
    log,
    throttlers,
    clock,
    scaling: { ...TEST_SCALING, ...options.scaling },
    hostCpus: options.hostCpus ?? 4,
  });
  const track = <T>(promise: Promise<T>) => new Tracked(promise, () => clock.now());
  let generation = 0;
  const h: Harness = {
    dir,
    clock,
    runtime,
    store,
    logs,
    log,
    throttlers,
    controller,
    track,
    revision(name, template = {}, status = "READY") {
      const row: RevisionRow = {
        project: PROJECT,
        name,
        service: SERVICE,
        generation: ++generation,
        origin: "service",
        template: parseServiceTemplate({ image: "fixture:latest", ...template }),
        fingerprint: `fp-${name}`,
        image: "fixture:latest",
        imageDigest: "sha256:f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1",
        status,
        createTime: new Date(clock.now()).toISOString(),
      };
      store.insertRevision(row);
      return row;
    },
    throttler(revision) {
      const t = throttlers.get(PROJECT, revision);
      if (!t) throw new Error(`no throttler is registered for revision ${revision}`);
      return t;
    },
    acquire(revision) {
      return track(h.throttler(revision).acquire());
    },
    async serveFirst(rev, listenMs) {
      controller.start();
      const first = track(controller.startFirst(rev));
      await clock.run(listenMs);
      if (first.state !== "resolved")
        throw new Error(`the first instance of ${rev.name} is ${first.state} after ${listenMs} ms: ${first.error?.message ?? "no error"}`);
      controller.serve(PROJECT, SERVICE, [rev]);
    },
    async dispose() {
      controller.stop();
      await logs.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
