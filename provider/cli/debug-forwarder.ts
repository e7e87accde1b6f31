import net from "node:net";
import type { EngineClient } from "../client/api-client";
import { UsageError } from "./output";

/**
 * `skiff dev --debug-port N`: 127.0.0.1:N on the host reaches port N of an instance of the revision
 * serving now (Node's inspector with NODE_OPTIONS=--inspect=0.0.0.0:N, a JVM's jdwp, delve). The
 * port is forwarded here, in the dev process, rather than published by Docker: a published host
 * port is held by one container, and during a rebuild the old and the new revision run side by
 * side, so the new one could not start. Each connection goes to the revision serving when it is
 * made. It needs the host to reach the engine's network (Linux; the engine's "bridge" addressing).
 */
export async function startDebugForwarder(
  client: EngineClient,
  project: string,
  port: number,
  servingRevision: () => string | undefined,
  say: (text: string) => void,
): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on("error", () => undefined);
    void (async () => {
      const revision = servingRevision();
      const instances = revision ? await client.revisionInstances(project, revision).catch(() => []) : [];
      const target = instances.find((i) => i.address)?.address;
      if (!target) {
        say(`debug connection refused: ${revision ? `no instance of ${revision} is reachable` : "nothing serves yet"}`);
        socket.destroy();
        return;
      }
      const upstream = net.connect(port, target);
      upstream.on("error", (error) => {
        say(`debug connection to ${revision} (${target}:${port}) failed: ${error.message}`);
        socket.destroy();
      });
      socket.pipe(upstream).pipe(socket);
      socket.on("close", () => upstream.destroy());
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new UsageError(`--debug-port: 127.0.0.1:${port} is in use`) : error),
    );
    server.listen(port, "127.0.0.1", () => resolve());
  });
  say(
    `warning: 127.0.0.1:${port} forwards to port ${port} of the serving instance, bypassing the router: no access check, no concurrency limit, no request timeout`,
  );
  return server;
}
