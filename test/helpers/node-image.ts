import * as path from "node:path";
import { buildHostImage } from "./host-image";

export { sharedLibrariesOf } from "./host-image";

/**
 * Images that run one Node.js script with the host's own node binary (at /node) and the shared
 * libraries it links against, `FROM scratch` (see host-image.ts).
 */

export interface NodeImageOptions {
  /** Absolute path of the script the image runs as `/node /<basename>`. */
  script: string;
  /** Repository part of the tag, e.g. `skiff-test/fixture`. */
  repository: string;
  labels?: Record<string, string>;
  /** More files beside the script, each at `/<basename>` (modules it requires). */
  alongside?: string[];
}

/** Builds the image unless a tag for the same content exists already; resolves with the tag. */
export function buildNodeImage(opts: NodeImageOptions): Promise<string> {
  const script = `/${path.basename(opts.script)}`;
  return buildHostImage({
    repository: opts.repository,
    binaries: [{ source: process.execPath, at: "/node" }],
    copies: [opts.script, ...(opts.alongside ?? [])].map((source) => ({ source, at: `/${path.basename(source)}` })),
    entrypoint: ["/node", script],
    labels: opts.labels,
  });
}

/**
 * The demo's sample image: scripts/hello/server.js (it serves, and acts out a migration when run
 * as a job's task), the image the examples' READMEs build with scripts/demo-image.js.
 */
export function demoImage(): Promise<string> {
  return buildNodeImage({
    script: path.resolve(__dirname, "..", "..", "..", "scripts", "hello", "server.js"),
    repository: "skiff-demo/hello",
    labels: { "skiff.demo": "true" },
  });
}
