import { randomBytes } from "node:crypto";
import http from "node:http";
import type { Logger } from "../base/logger";
import { lookupMetadata, ON_REQUEST, type MetadataDirectory } from "./metadata-tree";

/**
 * Google's metadata server (computeMetadata/v1), as Cloud Run serves it to its containers, for
 * the engine's own containers: project id and number, region, zone, instance id, and the
 * container's service account with its tokens (an access token that is opaque and useless against
 * Google, and an identity token signed by the engine). Google's client libraries find it through
 * GCE_METADATA_HOST, which every container gets, or through metadata.google.internal, which the
 * engine's DNS answers. Like Google's, it wants `Metadata-Flavor: Google` (403 without) and refuses
 * requests that carry X-Forwarded-For (a proxy relaying someone else's request).
 *
 * Who asks is told by the request's source address: the engine's container at that address on its
 * network, and the project and service account on that container's labels.
 */

/** The container a request came from, as the metadata server needs it. */
export interface Caller {
  project: string;
  serviceAccount: string;
  /** A per-instance id (Cloud Run's instance/id). */
  instanceId: string;
}

export interface MetadataSource {
  /** The engine's container at this address, or undefined for anyone else. */
  callerAt(address: string): Promise<Caller | undefined>;
  projectNumber(project: string): string;
  /** The region the engine says it runs in (Cloud Run's `instance/region`). */
  region: string;
  /** An identity token for `email` with `audience`, signed by the engine. */
  identityToken(email: string, audience: string): string;
}

/** Access tokens live an hour, as Google's do; a container asking again gets the same one until it is nearly spent. */
const ACCESS_TOKEN_SECONDS = 3600;
const PREFIX = "/computeMetadata/v1/";

type Answer = { status: number; body: string; json?: boolean; location?: string };

export class MetadataServer {
  private readonly servers: http.Server[] = [];
  private readonly accessTokens = new Map<string, { token: string; expires: number }>();

  constructor(
    private readonly source: MetadataSource,
    private readonly log: Logger,
  ) {}

  /** Serves on host:port (0: an ephemeral port); resolves with the port, rejects (EACCES, EADDRINUSE) with nothing left open. */
  listen(host: string, port: number): Promise<number> {
    const server = http.createServer((req, res) => {
      this.handle(req).then(
        (answer) => send(res, answer),
        (error) => {
          this.log.error("BUG: the metadata server failed a request", { error: (error as Error).stack });
          send(res, { status: 500, body: "internal error" });
        },
      );
    });
    // A broken client connection is that client's business.
    server.on("clientError", (_error, socket) => socket.destroy());
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        this.servers.push(server);
        const address = server.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  }

  close(): void {
    for (const server of this.servers.splice(0)) {
      server.close();
      server.closeAllConnections();
    }
  }

  private async handle(req: http.IncomingMessage): Promise<Answer> {
    if (req.headers["x-forwarded-for"] !== undefined) return { status: 403, body: "Forbidden: requests with X-Forwarded-For are refused" };
    const url = new URL(req.url ?? "/", "http://metadata.google.internal");
    if (url.pathname === "/" || url.pathname === "/computeMetadata/") return { status: 200, body: "computeMetadata/\n" };
    // A directory named without its trailing slash is redirected to it, as Compute Engine's server does.
    if (url.pathname === "/computeMetadata/v1") return { status: 301, body: `${PREFIX}\n`, location: `${PREFIX}${url.search}` };
    if (req.headers["metadata-flavor"] !== "Google")
      return { status: 403, body: "Forbidden: the request needs the header Metadata-Flavor: Google" };
    if (req.method !== "GET") return { status: 405, body: "Method not allowed" };
    const caller = await this.source.callerAt((req.socket.remoteAddress ?? "").replace(/^::ffff:/, ""));
    if (!caller) return { status: 403, body: "Forbidden: the metadata server answers only the engine's own containers" };
    if (!url.pathname.startsWith(PREFIX)) return notFound();
    return this.answer(url.pathname.slice(PREFIX.length), url.searchParams, caller);
  }

  private answer(path: string, query: URLSearchParams, caller: Caller): Answer {
    const found = lookupMetadata(this.treeFor(caller), path, query, PREFIX);
    switch (found.kind) {
      case "text":
        return { status: 200, body: found.body };
      case "json":
        return { status: 200, json: true, body: found.body };
      case "redirect":
        return { status: 301, body: `${found.location}\n`, location: found.location };
      case "not-found":
        return notFound();
      case "on-request":
        if (found.name === "token") return { status: 200, json: true, body: JSON.stringify(this.accessToken(caller.serviceAccount)) };
        {
          const audience = query.get("audience");
          if (!audience) return { status: 400, body: "non-empty audience parameter required" };
          return { status: 200, body: this.source.identityToken(caller.serviceAccount, audience) };
        }
    }
  }

  /** What the caller may read, as Cloud Run's metadata server has it: `default` and the account's own email name the same account. */
  private treeFor(caller: Caller): MetadataDirectory {
    const number = this.source.projectNumber(caller.project);
    const region = this.source.region;
    const account: MetadataDirectory = {
      aliases: ["default"],
      email: caller.serviceAccount,
      identity: ON_REQUEST,
      scopes: ["https://www.googleapis.com/auth/cloud-platform"],
      token: ON_REQUEST,
    };
    return {
      project: { "project-id": caller.project, "numeric-project-id": Number(number) },
      instance: {
        id: caller.instanceId,
        region: `projects/${number}/regions/${region}`,
        zone: `projects/${number}/zones/${region}-1`,
        "service-accounts": { default: account, [caller.serviceAccount]: account },
      },
    };
  }

  /** An opaque token, the same for an account until it is nearly spent: it names nothing Google knows. */
  private accessToken(email: string): { access_token: string; expires_in: number; token_type: string } {
    const now = Date.now() / 1000;
    let entry = this.accessTokens.get(email);
    if (!entry || entry.expires - now < 300) {
      entry = { token: `skiff-local.${randomBytes(24).toString("base64url")}`, expires: now + ACCESS_TOKEN_SECONDS };
      this.accessTokens.set(email, entry);
    }
    return { access_token: entry.token, expires_in: Math.floor(entry.expires - now), token_type: "Bearer" };
  }
}

function notFound(): Answer {
  return { status: 404, body: "Not Found" };
}

function send(res: http.ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, {
    "metadata-flavor": "Google",
    "content-type": answer.json ? "application/json" : "application/text",
    "content-length": Buffer.byteLength(answer.body),
    ...(answer.location === undefined ? {} : { location: answer.location }),
  });
  res.end(answer.body);
}
