import { createHash } from "node:crypto";
import { chmodSync, rmSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import type { Logger } from "../base/logger";
import type { DatabaseTarget } from "../model/volume-mapping";

/** Where a connection name's database is now; undefined once it is no longer mapped. */
export type DatabaseLookup = (connectionName: string) => DatabaseTarget | undefined;

/**
 * The Cloud SQL socket of each instance connection name: a unix socket the engine listens on and
 * forwards, byte for byte, to the database the name is mapped to (looked up per connection, so a
 * new mapping takes effect at once). One listener per name, made on first use; containers reach
 * it through hard links in their own folders (volume-host.ts), so a socket's long path inside a
 * container folder never has to fit in a socket address (107 bytes).
 */
export class CloudSqlProxies {
  private readonly listeners = new Map<string, Promise<string>>();
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly dir: string,
    private readonly lookup: DatabaseLookup,
    private readonly log: Logger,
  ) {}

  /** The path of the listening socket for `connectionName`. */
  socketFor(connectionName: string): Promise<string> {
    let listening = this.listeners.get(connectionName);
    if (!listening) {
      listening = this.listen(connectionName);
      this.listeners.set(connectionName, listening);
      listening.catch(() => this.listeners.delete(connectionName));
    }
    return listening;
  }

  private listen(connectionName: string): Promise<string> {
    const path = join(this.dir, createHash("sha256").update(connectionName).digest("hex").slice(0, 12));
    // A socket file left by an engine that stopped: nobody listens on it any more.
    rmSync(path, { force: true });
    const server = net.createServer((client) => this.forward(connectionName, client));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        server.on("error", (error) => this.log.warn("a Cloud SQL socket failed", { instance: connectionName, error: error.message }));
        // Whoever the container runs as may connect; the folders above it are the engine user's alone.
        chmodSync(path, 0o777);
        resolve(path);
      });
    });
  }

  private forward(connectionName: string, client: net.Socket): void {
    this.track(client);
    const target = this.lookup(connectionName);
    if (!target) {
      this.log.warn("a container connected to an unmapped Cloud SQL instance", { instance: connectionName });
      client.destroy();
      return;
    }
    const upstream = target.kind === "tcp" ? net.connect(target.port, target.host) : net.connect(target.path);
    this.track(upstream);
    const end = (error?: Error) => {
      if (error) this.log.info("a Cloud SQL connection ended with an error", { instance: connectionName, error: error.message });
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end);
    upstream.on("error", end);
    client.on("close", () => upstream.end());
    upstream.on("close", () => client.end());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
  }

  close(): void {
    for (const server of this.servers) server.close();
    for (const socket of this.sockets) socket.destroy();
  }
}
