import net from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A TCP server on 127.0.0.1 (an ephemeral port) for tests' loopback peers. It keeps track of its
 * sockets, so close() ends every connection and the server with them, even ones a test left open.
 */
export async function loopbackServer(
  onSocket: (socket: net.Socket) => void,
  options: net.ServerOpts = {},
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(options, (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
