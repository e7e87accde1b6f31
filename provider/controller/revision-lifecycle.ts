import type { Logger } from "../base/logger";
import { scopedKey } from "../model/derived-names";
import { notFound } from "../model/errors";
import type { RevisionRow, Store } from "../state/store";
import type { InstanceController } from "./instance-controller";
import type { KeyedLock } from "./keyed-lock";
import { KeyedSignal } from "./keyed-signal";
import type { RoutePublisher } from "./route-publisher";

export interface RevisionLifecycleDeps {
  store: Store;
  instances: InstanceController;
  publisher: RoutePublisher;
  log: Logger;
  /** The services' lock (ServiceController's), keyed by scopedKey(project, service). */
  lock: KeyedLock;
}

/**
 * What becomes of a revision once it is made: PENDING until its first instance listens (READY) or
 * does not (FAILED, with the reason), and the waiters for that moment. A revision left PENDING by
 * an engine that stopped fails on the next start.
 */
export class RevisionLifecycle {
  /** Notified when a revision leaves PENDING or is deleted (waitForChange waits on it). */
  private readonly settled = new KeyedSignal();

  constructor(private readonly deps: RevisionLifecycleDeps) {}

  /**
   * Starts the revision's first instance, outside the service's lock: READY once it listens,
   * FAILED (with its log tail) otherwise. A delete meanwhile cancels the start.
   */
  async bringUp(rev: RevisionRow): Promise<void> {
    const { store, instances, log } = this.deps;
    let failure: string | undefined;
    try {
      await instances.startFirst(rev);
    } catch (error) {
      failure = `revision ${rev.name} is not ready: ${(error as Error).message}`;
    }
    await this.deps.lock.run(scopedKey(rev.project, rev.service), async () => {
      if (!store.getRevision(rev.project, rev.name)) {
        throw notFound("revision", rev.name, rev.project, "it was deleted while it was starting");
      }
      if (failure === undefined) {
        store.setRevisionStatus(rev.project, rev.name, "READY");
        log.info("revision ready", { project: rev.project, revision: rev.name });
        this.notify(rev.project, rev.name);
        this.deps.publisher.publish(rev.project, rev.service);
      } else {
        this.markFailed(rev, failure);
        void instances.removeRevision(rev.project, rev.name);
      }
    });
  }

  /** Revisions left PENDING by an engine that stopped while they were starting: they failed. */
  failInterrupted(): void {
    for (const rev of this.deps.store.listRevisions()) {
      if (rev.status === "PENDING")
        this.markFailed(rev, `revision ${rev.name} is not ready: the engine stopped while it was starting; deploy again`);
    }
  }

  /** Resolves when the revision leaves PENDING or is deleted, or after `timeoutMs`. */
  waitForChange(project: string, revision: string, timeoutMs: number): Promise<void> {
    return this.settled.wait(scopedKey(project, revision), timeoutMs);
  }

  /** The revision left PENDING or was deleted: its waiters look again. */
  notify(project: string, revision: string): void {
    this.settled.notify(scopedKey(project, revision));
  }

  /** A failed revision can never answer, so traffic entries naming it (a tag given on deploy) go away with it. */
  private markFailed(rev: RevisionRow, message: string): void {
    const { store, log } = this.deps;
    store.transaction(() => {
      store.setRevisionStatus(rev.project, rev.name, "FAILED", message);
      const row = store.getService(rev.project, rev.service);
      if (row) store.putService({ ...row, traffic: row.traffic.filter((t) => t.revision !== rev.name) });
    });
    log.warn("revision failed", { project: rev.project, revision: rev.name, error: message });
    this.notify(rev.project, rev.name);
    this.deps.publisher.publish(rev.project, rev.service);
  }
}
