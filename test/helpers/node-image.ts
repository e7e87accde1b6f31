import { createHash } from "node:crypto";
import { promises as fs, statSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { docker, requireDocker, run } from "./docker";

/**
 * Builds `FROM scratch` images that run one Node.js script with the host's own node binary and the
 * shared libraries it links against. No registry is reachable from the test machines, so every
 * image the tests and the demo use is made here, from files already on the machine.
 */

export interface NodeImageOptions {
  /** Absolute path of the script the image runs as `/node /<basename>`. */
  script: string;
  /** Repository part of the tag, e.g. `skiff-test/fixture`. */
  repository: string;
  labels?: Record<string, string>;
}

/** Builds the image unless a tag for the same content exists already; resolves with the tag. */
export async function buildNodeImage(opts: NodeImageOptions): Promise<string> {
  await requireDocker();
  const libraries = await sharedLibrariesOf(process.execPath);
  const script = await fs.readFile(opts.script);
  const labels = opts.labels ?? {};
  const tag = `${opts.repository}:${contentHash(script, libraries, labels)}`;
  if (await imageExists(tag)) return tag;
  return withBuildLock(tag, async () => {
    // Another test process may have built it while this one waited for the lock.
    if (await imageExists(tag)) return tag;
    await buildFromContext(tag, opts.script, libraries, labels);
    return tag;
  });
}

/**
 * The libraries the dynamic loader resolves for a binary, including the loader itself. Each is
 * copied to the same absolute path inside the image, so the binary finds them without an ld cache.
 */
export async function sharedLibrariesOf(binary: string): Promise<string[]> {
  const result = await run("ldd", [binary]);
  if (result.code !== 0) {
    // A statically linked node has nothing to copy; ldd says "not a dynamic executable".
    if (/not a dynamic executable|statically linked/.test(result.stderr + result.stdout)) return [];
    throw new Error(`ldd ${binary} failed: ${result.stderr.trim()}`);
  }
  const paths: string[] = [];
  for (const line of result.stdout.split("\n")) {
    const resolved = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (resolved) paths.push(resolved[1]);
    else if (/not found/.test(line)) throw new Error(`ldd ${binary}: a library is missing: ${line.trim()}`);
  }
  return paths;
}

/** Keyed on what ends up in the image: node's identity (size, mtime, version), the libs, the script. */
function contentHash(script: Buffer, libraries: string[], labels: Record<string, string>): string {
  const hash = createHash("sha256");
  const node = statSync(process.execPath);
  hash.update(`${process.execPath}:${node.size}:${node.mtimeMs}:${process.version}\n`);
  for (const lib of libraries) {
    const stat = statSync(lib);
    hash.update(`${lib}:${stat.size}:${stat.mtimeMs}\n`);
  }
  hash.update(JSON.stringify(labels));
  hash.update(script);
  return hash.digest("hex").slice(0, 12);
}

async function imageExists(tag: string): Promise<boolean> {
  const result = await run("docker", ["image", "inspect", "--format", "{{.Id}}", tag]);
  return result.code === 0;
}

async function buildFromContext(tag: string, script: string, libraries: string[], labels: Record<string, string>) {
  const context = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-image-"));
  try {
    await placeFile(process.execPath, path.join(context, "node"));
    await placeFile(script, path.join(context, path.basename(script)));
    const copies: string[] = [];
    for (const [index, lib] of libraries.entries()) {
      // Flat names in the context; the Dockerfile puts each one back at its real path.
      const name = `lib${index}-${path.basename(lib)}`;
      await placeFile(lib, path.join(context, name));
      copies.push(`COPY ${name} ${lib}`);
    }
    const labelLines = Object.entries(labels).map(([k, v]) => `LABEL ${JSON.stringify(k)}=${JSON.stringify(v)}`);
    const dockerfile = [
      "FROM scratch",
      ...copies,
      "COPY node /node",
      `COPY ${path.basename(script)} /${path.basename(script)}`,
      ...labelLines,
      `ENTRYPOINT ["/node", "/${path.basename(script)}"]`,
      "",
    ].join("\n");
    await fs.writeFile(path.join(context, "Dockerfile"), dockerfile);
    await docker(["build", "--quiet", "--tag", tag, context], { timeoutMs: 300_000 });
  } finally {
    await fs.rm(context, { recursive: true, force: true });
  }
}

/** A hard link when the temp dir shares a filesystem with the source (node is ~100 MB), else a copy. */
async function placeFile(source: string, target: string): Promise<void> {
  const real = await fs.realpath(source);
  try {
    await fs.link(real, target);
  } catch {
    await fs.copyFile(real, target);
  }
}

/**
 * Test files run in parallel processes; one build at a time saves sending node to the daemon twice.
 * The lock is a directory (mkdir is atomic); a lock older than the build timeout is stale.
 */
async function withBuildLock<T>(tag: string, body: () => Promise<T>): Promise<T> {
  const lock = path.join(os.tmpdir(), `skiff-image-${tag.replace(/[^a-z0-9]/gi, "_")}.lock`);
  const deadline = Date.now() + 360_000;
  for (;;) {
    try {
      await fs.mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const age = Date.now() - (await fs.stat(lock).then((s) => s.mtimeMs, () => Date.now()));
      if (age > 300_000) await fs.rm(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for the image build lock ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await body();
  } finally {
    await fs.rm(lock, { recursive: true, force: true });
  }
}
