import { scopedKey } from "../model/derived-names";
import type { Throttler } from "./throttler";

/**
 * The throttler of every revision that can take requests, by project and revision name. Shared state
 * owned by the daemon, like the routing table: the instance controller adds and removes entries and
 * instances, the ingress only looks them up.
 */
export class RevisionThrottlers {
  private readonly byKey = new Map<string, Throttler>();

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
