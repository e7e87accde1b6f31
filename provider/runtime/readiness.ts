import { readFile } from "node:fs/promises";
import { connect } from "node:net";

/**
 * Is anything listening on `port` inside the container? Docker's userland proxy accepts connections
 * on the published port even before the container listens, so a TCP connect from the host proves
 * nothing. The container's own socket table (/proc/<pid>/net/tcp*, read in its network namespace)
 * does. Where /proc is not readable (not Linux, or no access) we fall back to a connect that must
 * stay open: the proxy closes at once when it cannot reach the container.
 */
export async function isListening(pid: number | undefined, port: number, hostPort: number | undefined): Promise<boolean> {
  if (pid) {
    const tables = await Promise.all(["tcp", "tcp6"].map((f) => readFile(`/proc/${pid}/net/${f}`, "utf8").catch(() => undefined)));
    if (tables.some((t) => t !== undefined)) return tables.some((t) => t !== undefined && hasListener(t, port));
  }
  return hostPort ? connectStaysOpen(hostPort, 150) : false;
}

/** Parses a /proc/net/tcp table: state 0A is LISTEN; local_address is ADDR:PORT in hex. */
export function hasListener(table: string, port: number): boolean {
  const wanted = port.toString(16).toUpperCase().padStart(4, "0");
  for (const line of table.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4) continue;
    const localPort = fields[1].split(":").pop();
    if (localPort === wanted && fields[3] === "0A") return true;
  }
  return false;
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
