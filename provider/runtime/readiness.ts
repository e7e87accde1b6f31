import { readFile } from "node:fs/promises";
import { connect } from "node:net";
import { endianness } from "node:os";

/**
 * Is anything listening on `port` inside the container? Docker's userland proxy accepts connections
 * on the published port even before the container listens, so a TCP connect from the host proves
 * nothing. The container's own socket table (/proc/<pid>/net/tcp*, read in its network namespace)
 * does. Where /proc is not readable (not Linux, or no access) we fall back to a connect that must
 * stay open: the proxy closes at once when it cannot reach the container.
 *
 * `fromOutside`: only a listener that something outside the container can reach counts (0.0.0.0,
 * ::, or one of its interfaces' addresses), as for the ingress container, which Cloud Run's
 * startup probe and requests reach from outside: one on 127.0.0.1 or ::1 alone never serves.
 */
export async function isListening(
  pid: number | undefined,
  port: number,
  hostPort: number | undefined,
  fromOutside = false,
): Promise<boolean> {
  if (pid) {
    const tables = await socketTables(pid);
    if (tables.length > 0) {
      const reach = listenerReach(tables, port);
      return fromOutside ? reach === "reachable" : reach !== "none";
    }
  }
  return hostPort ? connectStaysOpen(hostPort, 150) : false;
}

/** Why a container is not ready on `port`, from its socket tables: what it listens on instead, or undefined when that cannot be told. */
export async function notListeningReason(pid: number | undefined, port: number): Promise<string | undefined> {
  if (!pid) return undefined;
  const tables = await socketTables(pid);
  if (tables.length === 0) return undefined;
  if (listenerReach(tables, port) === "loopback") {
    return `it listens on port ${port} on its loopback address only (127.0.0.1 or ::1), which nothing outside the container reaches: listen on 0.0.0.0`;
  }
  // Reachable ones only: Docker's own resolver listens on 127.0.0.11 in every container of a user-defined network.
  const others = [
    ...new Set(
      listeners(tables)
        .filter((l) => !isLoopback(l.address))
        .map((l) => l.localPort),
    ),
  ]
    .filter((p) => p !== port)
    .sort((a, b) => a - b);
  return others.length > 0 ? `it listens on ${others.length === 1 ? "port" : "ports"} ${others.join(", ")} instead` : undefined;
}

async function socketTables(pid: number): Promise<string[]> {
  const tables = await Promise.all(["tcp", "tcp6"].map((f) => readFile(`/proc/${pid}/net/${f}`, "utf8").catch(() => undefined)));
  return tables.filter((t) => t !== undefined);
}

/** Parses a /proc/net/tcp table: state 0A is LISTEN; local_address is ADDR:PORT in hex. */
export function hasListener(table: string, port: number): boolean {
  return listenerReach([table], port) !== "none";
}

/**
 * The best listener on `port` in these tables: one other hosts can reach, one on a loopback
 * address only, or none.
 */
export function listenerReach(tables: readonly string[], port: number): "reachable" | "loopback" | "none" {
  let reach: "reachable" | "loopback" | "none" = "none";
  for (const { address, localPort } of listeners(tables)) {
    if (localPort !== port) continue;
    if (!isLoopback(address)) return "reachable";
    reach = "loopback";
  }
  return reach;
}

function listeners(tables: readonly string[]): { address: string; localPort: number }[] {
  const found: { address: string; localPort: number }[] = [];
  for (const table of tables) {
    for (const line of table.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== "0A") continue;
      const [address, localPort] = fields[1].split(":");
      if (localPort !== undefined) found.push({ address, localPort: parseInt(localPort, 16) });
    }
  }
  return found;
}

/**
 * Is a /proc/net/tcp{,6} local address (hex, each 32-bit word in the host's byte order) a loopback
 * address: 127.0.0.0/8, ::1, or ::ffff:127.x.x.x?
 */
export function isLoopback(hex: string, littleEndian = endianness() === "LE"): boolean {
  const bytes: number[] = [];
  for (let w = 0; w + 8 <= hex.length; w += 8) {
    const word = [0, 2, 4, 6].map((i) => parseInt(hex.slice(w + i, w + i + 2), 16));
    bytes.push(...(littleEndian ? word.reverse() : word));
  }
  if (bytes.length === 4) return bytes[0] === 127;
  if (bytes.length !== 16) return false;
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  if (zeros(0, 15) && bytes[15] === 1) return true;
  return zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff && bytes[12] === 127;
}

function connectStaysOpen(hostPort: number, lingerMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port: hostPort });
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(ok);
    };
    socket.on("connect", () => setTimeout(() => done(true), lingerMs));
    socket.on("close", () => done(false));
    socket.on("error", () => done(false));
  });
}
