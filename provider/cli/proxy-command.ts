import { Command } from "commander";
import type * as http from "node:http";
import type { EngineClient } from "../client/api-client";
import { commonOptions, connect, withCommon } from "./common";
import { intFlag, nameArg } from "./flags";
import { UsageError } from "./output";

/** gcloud's default, then the next ports up when it is taken (skiff's own ingress listens on 8080 by default). */
const DEFAULT_PORT = 8080;
const DEFAULT_PORT_TRIES = 20;
/** A token is minted again this long before it expires (the engine's last an hour). */
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * `skiff services proxy S` (gcloud run services proxy): a server on 127.0.0.1 that forwards every
 * request to the service (or one of its tags) with an identity token for it in
 * X-Serverless-Authorization, so a browser or a tool without tokens can call a private service
 * while its own Authorization header still reaches the app. Bodies stream both ways; runs until
 * Ctrl-C.
 */
export function proxyCommand(): Command {
  return withCommon(new Command("proxy"))
    .argument("<service>", "service name", nameArg("service"))
    .description("serve the service on 127.0.0.1 with your identity token attached, for calling a private service from a browser")
    .option("--port <n>", `port to listen on (default ${DEFAULT_PORT}, or the next free one)`, intFlag("--port"))
    .option("--tag <tag>", "proxy to this tag's URL instead of the service's")
    .action(async (name: string, options: Record<string, unknown> & { port?: number; tag?: string }) => {
      const { project } = commonOptions(options);
      const client = await connect();
      const service = await client.getService(project, name);
      if (service.defaultUriDisabled)
        throw new UsageError(`service "${name}" has its default URL disabled (--no-default-url): reach it through a domain mapping`);
      let url = service.url;
      if (options.tag !== undefined) {
        const tagged = service.trafficStatuses.find((s) => s.tag === options.tag);
        if (!tagged?.url) {
          const tags = service.trafficStatuses.flatMap((s) => (s.tag ? [s.tag] : []));
          throw new UsageError(
            `--tag: "${options.tag}" is not a tag of ${name}; ${tags.length ? `its tags are: ${tags.join(", ")}` : "it has no tags"}`,
          );
        }
        url = tagged.url;
      }
      const target = new URL(url);
      const tokens = new TokenSource(client, url);
      await tokens.current(); // a service we may not call fails here, not on the first request
      const server = await listen(options.port, (request, response) => forward(request, response, target, tokens));
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : options.port;
      process.stderr.write(
        `Proxying to ${options.tag ? `tag ${options.tag} of ` : ""}service ${name} (${url}) on http://127.0.0.1:${port}\n`,
      );
      process.stderr.write("Stop it with Ctrl-C.\n");
      await new Promise<void>((resolve) => {
        for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => server.close(() => resolve()));
      });
    });
}

/** Identity tokens for one audience, minted again shortly before each expires. */
class TokenSource {
  private token: Promise<{ value: string; renewAt: number }> | undefined;

  constructor(
    private readonly client: EngineClient,
    private readonly audience: string,
  ) {}

  async current(): Promise<string> {
    const held = this.token && (await this.token.catch(() => undefined));
    if (held && Date.now() < held.renewAt) return held.value;
    this.token = this.client
      .identityToken({ audience: this.audience })
      .then(({ token }) => ({ value: token, renewAt: expiryOf(token) - RENEW_BEFORE_MS }));
    return (await this.token).value;
  }
}

/** A JWT's exp, in ms (its payload is base64url JSON); a token without one is minted again each minute. */
function expiryOf(token: string): number {
  try {
    const exp = (JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as { exp?: unknown }).exp;
    if (typeof exp === "number") return exp * 1000;
  } catch {
    // not a JWT: fall through
  }
  return Date.now() + RENEW_BEFORE_MS + 60_000;
}

/** Listens on the given port, or on the default one or the next free one after it. */
async function listen(port: number | undefined, handle: http.RequestListener): Promise<http.Server> {
  const { createServer } = process.getBuiltinModule("node:http");
  const candidates = port !== undefined ? [port] : Array.from({ length: DEFAULT_PORT_TRIES }, (_, i) => DEFAULT_PORT + i);
  for (const candidate of candidates) {
    const server = createServer(handle);
    const failure = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      server.once("error", resolve);
      server.listen(candidate, "127.0.0.1", () => resolve(undefined));
    });
    if (!failure) return server;
    if (failure.code !== "EADDRINUSE" || port !== undefined)
      throw new UsageError(
        `--port: cannot listen on 127.0.0.1:${candidate}: ${failure.code === "EADDRINUSE" ? "the port is in use" : failure.message}`,
      );
  }
  throw new UsageError(`--port: ports ${DEFAULT_PORT}-${DEFAULT_PORT + DEFAULT_PORT_TRIES - 1} are all in use; give a free one`);
}

/** One request to the service, with the token; the service's answer streamed back as it comes. */
function forward(request: http.IncomingMessage, response: http.ServerResponse, target: URL, tokens: TokenSource): void {
  const fail = (status: number, message: string) => {
    if (response.headersSent) return void response.destroy();
    response.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(`skiff services proxy: ${message}\n`);
  };
  request.on("error", () => response.destroy());
  tokens.current().then(
    (token) => {
      // X-Serverless-Authorization, as Google's cloud-run-proxy sends it: the client's own Authorization reaches the app.
      const headers = { ...request.headers, host: target.host, "x-serverless-authorization": `Bearer ${token}` };
      const upstream = process
        .getBuiltinModule("node:http")
        .request({ host: "127.0.0.1", port: Number(target.port || 80), method: request.method, path: request.url, headers }, (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
          answer.pipe(response);
          answer.on("error", () => response.destroy());
        });
      upstream.on("error", (error) => fail(502, `the engine did not answer: ${error.message}`));
      response.on("close", () => upstream.destroy());
      request.pipe(upstream);
    },
    (error: Error) => fail(502, `no identity token: ${error.message}`),
  );
}
