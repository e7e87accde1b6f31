import { createHash } from "node:crypto";
import { promises as fs, statSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { docker, requireDocker, run } from "./docker";

/**
 * Builds `FROM scratch` images from programs already on this machine: each binary with the shared
 * libraries the dynamic loader resolves for it, at their own paths, plus files and whole folders
 * (a language's standard library). No registry is reachable from the test machines, so every image
 * the tests and the demo use is made here. Built once per content (the tag carries a hash).
 */

export interface HostImageOptions {
  /** Repository part of the tag, e.g. `skiff-test/fixture`. */
  repository: string;
  /** Host binaries (and shared objects) whose libraries go into the image at their real paths; each binary itself at `at` or its own path. */
  binaries?: { source: string; at?: string }[];
  /** Shared objects already among the copies whose libraries the image needs too (a language's native modules). */
  librariesOf?: string[];
  /** Files and folders copied to `at` (a folder's whole tree). */
  copies?: { source: string; at: string }[];
  entrypoint: string[];
  env?: Record<string, string>;
  labels?: Record<string, string>;
}

/** Builds the image unless a tag for the same content exists already; resolves with the tag. */
export async function buildHostImage(opts: HostImageOptions): Promise<string> {
  await requireDocker();
  const libraries = new Set<string>();
  for (const binary of [...(opts.binaries ?? []).map((b) => b.source), ...(opts.librariesOf ?? [])]) {
    for (const lib of await sharedLibrariesOf(binary)) libraries.add(lib);
  }
  const tag = `${opts.repository}:${await contentHash(opts, [...libraries])}`;
  if (await imageExists(tag)) return tag;
  return withBuildLock(tag, async () => {
    // Another test process may have built it while this one waited for the lock.
    if (await imageExists(tag)) return tag;
    await buildFromContext(tag, opts, [...libraries]);
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
    // A statically linked binary has nothing to copy; ldd says "not a dynamic executable".
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

/** Keyed on what ends up in the image: each file's identity (path, size, mtime), small files' bytes, and the image's settings. */
async function contentHash(opts: HostImageOptions, libraries: string[]): Promise<string> {
  const hash = createHash("sha256");
  const identify = async (file: string) => {
    const stat = statSync(file);
    hash.update(`${file}:${stat.size}:${stat.mtimeMs}\n`);
    if (stat.isFile() && stat.size < 1024 * 1024) hash.update(await fs.readFile(file));
  };
  for (const binary of opts.binaries ?? []) await identify(binary.source);
  for (const lib of libraries) await identify(lib);
  for (const copy of opts.copies ?? []) await identify(copy.source);
  hash.update(
    JSON.stringify([
      opts.binaries?.map((b) => b.at),
      opts.copies?.map((c) => c.at),
      opts.entrypoint,
      opts.env ?? {},
      opts.labels ?? {},
      process.version,
    ]),
  );
  return hash.digest("hex").slice(0, 12);
}

async function imageExists(tag: string): Promise<boolean> {
  const result = await run("docker", ["image", "inspect", "--format", "{{.Id}}", tag]);
  return result.code === 0;
}

async function buildFromContext(tag: string, opts: HostImageOptions, libraries: string[]): Promise<void> {
  const context = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-image-"));
  try {
    const lines = ["FROM scratch"];
    let index = 0;
    // Flat names in the context; the Dockerfile puts each one back at its path.
    const place = async (source: string, at: string) => {
      const name = `f${index++}-${path.basename(source)}`;
      await placeTree(source, path.join(context, name));
      lines.push(`COPY ${name} ${at}`);
    };
    for (const lib of libraries) await place(lib, lib);
    for (const binary of opts.binaries ?? []) await place(binary.source, binary.at ?? binary.source);
    for (const copy of opts.copies ?? []) await place(copy.source, copy.at);
    for (const [key, value] of Object.entries(opts.env ?? {})) lines.push(`ENV ${key}=${JSON.stringify(value)}`);
    for (const [key, value] of Object.entries(opts.labels ?? {})) lines.push(`LABEL ${JSON.stringify(key)}=${JSON.stringify(value)}`);
    lines.push(`ENTRYPOINT ${JSON.stringify(opts.entrypoint)}`, "");
    await fs.writeFile(path.join(context, "Dockerfile"), lines.join("\n"));
    await docker(["build", "--quiet", "--tag", tag, context], { timeoutMs: 300_000 });
  } finally {
    await fs.rm(context, { recursive: true, force: true });
  }
}

/** Hard links when the temp dir shares a filesystem with the source (node is ~100 MB), else copies; folders whole. */
async function placeTree(source: string, target: string): Promise<void> {
  const real = await fs.realpath(source);
  if ((await fs.stat(real)).isDirectory()) {
    const linked = await run("cp", ["-al", real, target]);
    if (linked.code !== 0) await fs.cp(real, target, { recursive: true });
    return;
  }
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
      const age =
        Date.now() -
        (await fs.stat(lock).then(
          (s) => s.mtimeMs,
          () => Date.now(),
        ));
      if (age > 300_000) await fs.rm(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for the image build lock ${lock}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await body();
  } finally {
    await fs.rm(lock, { recursive: true, force: true });
  }
}
