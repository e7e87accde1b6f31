import { scopedKey } from "../model/derived-names";
import type { Throttler } from "./throttler";

/**
 * The throttler of every revision that can take requests, by project and revision name. Shared state
 * owned by the daemon, like the routing table: the instance controller adds and removes entries and
 * instances, the ingress only looks them up.
 */
export class RevisionThrottlers {
  private readonly byKey = new Map<string, Throttler>();
  private unreachable: (project: string, revision: string, instanceId: string) => void = () => undefined;

  /** Who checks an instance the proxy could not reach (the instance controller). */
  onUnreachable(handler: (project: string, revision: string, instanceId: string) => void): void {
    this.unreachable = handler;
  }

  /** The proxy could not reach the instance: it takes no new requests until its owner has looked at it. */
  reportUnreachable(project: string, revision: string, instanceId: string): void {
    if (this.get(project, revision)?.suspend(instanceId)) this.unreachable(project, revision, instanceId);
  }

  get(project: string, revision: string): Throttler | undefined {
    return this.byKey.get(scopedKey(project, revision));
  }

  set(project: string, revision: string, throttler: Throttler): void {
    this.byKey.set(scopedKey(project, revision), throttler);
  }

  delete(project: string, revision: string): void {
    this.byKey.delete(scopedKey(project, revision));
  }
}
