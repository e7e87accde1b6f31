import net from "node:net";
import type { AddressInfo } from "node:net";
import { silentLogger } from "../../provider/base/logger";
import { Ingress } from "../../provider/router/ingress";
import { RoutingTable } from "../../provider/router/routing-table";
import { RevisionThrottlers } from "../../provider/scaling/revision-throttlers";
import { fixturePath } from "./fixture-image";
import { routeToLoopbackInstance } from "./loopback-route";

/**
 * The data plane without Docker: the real Ingress, routing table, throttlers and proxy, in front of
 * raw-socket "instances" on loopback (test/fixtures/wire-server.js), one per service of project
 * `default`. Each instance answers with the exact bytes of the request it received, so a test sees
 * byte for byte what reached which service, and what reached which client.
 */

// The fixture is plain JavaScript, shared with the container image that runs it.
const { listenWire, requestFramer } = require(fixturePath("wire-server.js")) as {
  listenWire: (port: number, host: string, service: string) => Promise<net.Server>;
  requestFramer: () => { feed(text: string): { head: { method: string; target: string; headers: [string, string][] }; raw: string }[] };
};
export { requestFramer };

export interface WireIngress {
  port: number;
  /** What each service's instance was sent, per connection it accepted, in order (latin1). */
  received(service: string): string[];
  close: () => Promise<void>;
}

/** An ingress on 127.0.0.1 routing `<service>.localhost` to a wire instance per service (concurrency as given). */
export async function wireIngress(services: string[], options: { concurrency?: number; timeoutMs?: number } = {}): Promise<WireIngress> {
  const routes = new RoutingTable();
  const throttlers = new RevisionThrottlers();
  const instances: net.Server[] = [];
  const received = new Map<string, string[]>();
  for (const service of services) {
    const instance = await listenWire(0, "127.0.0.1", service);
    const log: string[] = [];
    received.set(service, log);
    // A second listener beside the wire server's own: every byte each connection brings, in order.
    instance.on("connection", (socket: net.Socket) => {
      const index = log.push("") - 1;
      socket.on("data", (chunk: Buffer | string) => (log[index] += typeof chunk === "string" ? chunk : chunk.toString("latin1")));
    });
    instances.push(instance);
    routeToLoopbackInstance(routes, throttlers, service, {
      port: (instance.address() as AddressInfo).port,
      concurrency: options.concurrency,
      timeoutMs: options.timeoutMs,
    });
  }
  const ingress = new Ingress(routes, throttlers, silentLogger);
  ingress.open();
  await new Promise<void>((resolve) => ingress.server.listen(0, "127.0.0.1", resolve));
  return {
    port: (ingress.server.address() as AddressInfo).port,
    received: (service) => received.get(service) ?? [],
    close: async () => {
      ingress.closeConnections();
      await new Promise((resolve) => ingress.server.close(resolve));
      await Promise.all(
        instances.map(
          (instance) =>
            new Promise((resolve) => {
              instance.close(resolve);
              // Kept-alive connections from the proxy's pool would hold the server open.
              (instance as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
            }),
        ),
      );
    },
  };
}
