import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildHostImage } from "./host-image";

/**
 * Source directories for `--source` builds. No registry is reachable, so their Dockerfiles start
 * FROM a base image made here: the host's node at /node, `FROM scratch` (host-image.ts), with
 * /node as its entrypoint. Apps are one server.js each.
 */

export function nodeBaseImage(): Promise<string> {
  return buildHostImage({
    repository: "skiff-test/node-base",
    binaries: [{ source: process.execPath, at: "/node" }],
    entrypoint: ["/node"],
  });
}

/** A server answering `message` on $PORT (and its revision on /revision). */
export function serverSource(message: string): string {
  return [
    `const http = require("node:http");`,
    `http.createServer((req, res) => res.end(req.url === "/revision" ? String(process.env.K_REVISION) : ${JSON.stringify(message)}))`,
    `  .listen(Number(process.env.PORT || 8080));`,
    "",
  ].join("\n");
}

export interface SourceAppOptions {
  message: string;
  /** Lines after FROM and before CMD, e.g. a failing RUN step. */
  extraSteps?: string[];
  dockerignore?: string;
  gcloudignore?: string;
  files?: Record<string, string>;
}

/** Makes a temp directory with a Dockerfile FROM the base image, server.js and the given files. */
export async function makeSourceApp(base: string, opts: SourceAppOptions): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-source-"));
  const dockerfile = [`FROM ${base}`, "WORKDIR /app", "COPY . /app/", ...(opts.extraSteps ?? []), 'CMD ["/app/server.js"]', ""];
  await fs.writeFile(path.join(dir, "Dockerfile"), dockerfile.join("\n"));
  await fs.writeFile(path.join(dir, "server.js"), serverSource(opts.message));
  if (opts.dockerignore !== undefined) await fs.writeFile(path.join(dir, ".dockerignore"), opts.dockerignore);
  if (opts.gcloudignore !== undefined) await fs.writeFile(path.join(dir, ".gcloudignore"), opts.gcloudignore);
  for (const [name, content] of Object.entries(opts.files ?? {})) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), content);
  }
  return dir;
}
