import { systemClock } from "../../provider/base/clock";
import type { RoutingTable } from "../../provider/router/routing-table";
import type { RevisionThrottlers } from "../../provider/scaling/revision-throttlers";
import { Throttler } from "../../provider/scaling/throttler";

/** Anyone may call: no token needed. */
const PUBLIC = {
  internalOnly: false,
  public: true,
  anyAuthenticated: false,
  invokers: new Set<string>(),
  customAudiences: new Set<string>(),
};

/**
 * For the data-plane harnesses without Docker (wire-ingress.ts, h2-harness.ts): routes service
 * `service` of project `default`, public, to one instance listening on 127.0.0.1:`port`, through
 * a revision `<service>-00001-abc` whose throttler is at its maximum scale (it never asks for more).
 */
export function routeToLoopbackInstance(
  routes: RoutingTable,
  throttlers: RevisionThrottlers,
  service: string,
  instance: { port: number; concurrency?: number; timeoutMs?: number; http2?: boolean },
): void {
  const revision = `${service}-00001-abc`;
  const concurrency = instance.concurrency ?? 80;
  const throttler = new Throttler({
    revision,
    concurrency,
    clock: systemClock,
    queueTimeoutMs: () => 10_000,
    atMaxScale: () => true,
    onDemand: () => undefined,
  });
  throttler.addInstance({
    instanceId: `${service}-i1`,
    host: "127.0.0.1",
    port: instance.port,
    maxConnections: concurrency,
    http2: instance.http2,
  });
  throttlers.set("default", revision, throttler);
  routes.setService("default", service, {
    pick: () => revision,
    tags: new Map(),
    timeoutMs: () => instance.timeoutMs ?? 5_000,
    access: PUBLIC,
  });
}
