import dgram from "node:dgram";
import net from "node:net";
import * as packet from "dns-packet";
import type { Logger } from "../base/logger";

/**
 * The resolver of the engine's containers (Docker's per-container DNS setting), on the engine
 * network's gateway, port 53. It answers the names the engine serves (skiff's `*.localhost` hosts,
 * mapped domains, metadata.google.internal) with the gateway's address, where the ingress and the
 * metadata server listen for containers; every other name goes to the host's own resolvers, and
 * their answer comes back as it is. So a service's URL works inside a container for any client
 * that resolves names with getaddrinfo or its own resolver (glibc, musl, Go, Node, Python).
 */

/** Answers are short-lived: a mapped domain that goes away stops resolving within seconds. */
const TTL_SECONDS = 5;
const FORWARD_TIMEOUT_MS = 2_000;

/** The engine's address for a name it serves, or undefined: ask the host's resolvers. */
export type AddressFor = (name: string) => string | undefined;

/** The names the engine serves and the address it gives for each: its gateway. */
export function skiffNames(gateway: string, isMappedDomain: (domain: string) => boolean): AddressFor {
  return (name) => (name.endsWith(".localhost") || name === "metadata.google.internal" || isMappedDomain(name) ? gateway : undefined);
}

/**
 * The answer to one query, or "forward" for a name the engine does not serve. Pure, so the rules
 * are tested on bytes: an A question for a served name gets its address; any other type for it an
 * empty answer (NOERROR, no records: the name exists, with no such record).
 */
export function answerQuery(query: Buffer, addressFor: AddressFor): Buffer | "forward" | undefined {
  let decoded: packet.Packet;
  try {
    decoded = packet.decode(query);
  } catch {
    // Not DNS: no answer at all, as a resolver does with garbage.
    return undefined;
  }
  const question = decoded.questions?.[0];
  if (decoded.type !== "query" || !question) return undefined;
  const name = question.name.toLowerCase().replace(/\.$/, "");
  const address = addressFor(name);
  if (address === undefined) return "forward";
  const answers: packet.Answer[] = question.type === "A" ? [{ type: "A", name: question.name, ttl: TTL_SECONDS, data: address }] : [];
  return packet.encode({
    id: decoded.id,
    type: "response",
    flags: packet.AUTHORITATIVE_ANSWER | packet.RECURSION_AVAILABLE | ((decoded.flags ?? 0) & packet.RECURSION_DESIRED),
    questions: [question],
    answers,
  });
}

/** SERVFAIL for a query the host's resolvers did not answer. */
function serverFailure(query: Buffer): Buffer | undefined {
  try {
    const decoded = packet.decode(query);
    return packet.encode({ id: decoded.id, type: "response", flags: packet.RECURSION_AVAILABLE | 2, questions: decoded.questions });
  } catch {
    return undefined;
  }
}

export class DnsServer {
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;

  constructor(
    private readonly addressFor: AddressFor,
    /** The host's resolvers (host:port or address), asked for every other name. */
    private readonly upstreams: readonly string[],
    private readonly log: Logger,
  ) {}

  /** Listens on UDP and TCP; rejects (EACCES below port 1024 without the privilege, EADDRINUSE) with nothing left open. */
  async listen(host: string, port: number): Promise<void> {
    const udp = dgram.createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(port, host, () => (udp.off("error", reject), resolve()));
    }).catch((error) => {
      udp.close();
      throw error;
    });
    const tcp = net.createServer((socket) => this.serveTcp(socket));
    await new Promise<void>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(port, host, () => (tcp.off("error", reject), resolve()));
    }).catch((error) => {
      udp.close();
      throw error;
    });
    // A bad datagram or a broken peer is that peer's business; the server stays.
    udp.on("error", (error) => this.log.warn("dns: udp error", { error: error.message }));
    udp.on("message", (query, peer) => {
      void this.answer(query).then((response) => {
        if (response) udp.send(response, peer.port, peer.address, () => undefined);
      });
    });
    this.udp = udp;
    this.tcp = tcp;
  }

  close(): void {
    this.udp?.close();
    this.tcp?.close();
  }

  private async answer(query: Buffer): Promise<Buffer | undefined> {
    const local = answerQuery(query, this.addressFor);
    if (local !== "forward") return local;
    return (await this.forward(query)) ?? serverFailure(query);
  }

  /** Asks the host's first resolver, over UDP; undefined when it does not answer in time. */
  private forward(query: Buffer): Promise<Buffer | undefined> {
    const upstream = this.upstreams[0];
    if (!upstream) return Promise.resolve(undefined);
    const { host, port } = splitHostPort(upstream);
    return new Promise((resolve) => {
      const socket = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
      const done = (response: Buffer | undefined) => {
        clearTimeout(timer);
        socket.close();
        resolve(response);
      };
      const timer = setTimeout(() => done(undefined), FORWARD_TIMEOUT_MS);
      socket.on("error", () => done(undefined));
      socket.on("message", (response) => done(response));
      socket.send(query, port, host, (error) => error && done(undefined));
    });
  }

  /** DNS over TCP: each message with a two-byte length before it (RFC 1035 §4.2.2). */
  private serveTcp(socket: net.Socket): void {
    let buffered = Buffer.alloc(0);
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const query = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        void this.answer(Buffer.from(query)).then((response) => {
          if (!response || socket.destroyed) return;
          const framed = Buffer.alloc(2 + response.length);
          framed.writeUInt16BE(response.length, 0);
          response.copy(framed, 2);
          socket.write(framed);
        });
      }
      if (buffered.length > 65_537) socket.destroy();
    });
  }
}

function splitHostPort(server: string): { host: string; port: number } {
  const bracketed = /^\[(.+)\](?::(\d+))?$/.exec(server);
  if (bracketed) return { host: bracketed[1], port: Number(bracketed[2] ?? 53) };
  const parts = server.split(":");
  if (parts.length === 2) return { host: parts[0], port: Number(parts[1]) };
  return { host: server, port: 53 };
}
