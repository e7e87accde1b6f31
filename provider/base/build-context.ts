import { promises as fs } from "node:fs";
import * as path from "node:path";
import dockerignore from "@balena/dockerignore";
import gitignore from "ignore";

/**
 * The files of a build context, as Docker would send them: `.dockerignore` applied with Docker's
 * own matching rules (@balena/dockerignore is a port of moby's fileutils: patterns anchored at the
 * context's root, `**`, `!` exceptions, in order), or, when there is none, `.gcloudignore` with
 * gitignore's rules (the `ignore` package, which follows git's documented semantics), as
 * `gcloud run deploy --source` does. The two syntaxes differ (`foo` matches only at the root in a
 * .dockerignore, at any depth in a .gitignore), hence two libraries rather than one.
 */

export interface BuildContext {
  dir: string;
  /** Relative paths with forward slashes, sorted: the files and symlinks sent to Docker. */
  files: string[];
  /** Which ignore file applied, if any. */
  ignoreFile?: ".dockerignore" | ".gcloudignore";
  /** Whether a path (relative, forward slashes) is left out of the context: what `skiff dev` does not watch. */
  ignores: (relativePath: string) => boolean;
}

export async function readBuildContext(dir: string): Promise<BuildContext> {
  const { ignores, ignoreFile, hasExceptions } = await ignoreRules(dir);
  const files: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, relative), { withFileTypes: true });
    for (const entry of entries) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      // An ignored folder is walked only when an exception (`!keep/this`) may bring a file back.
      if (entry.isDirectory()) {
        if (hasExceptions || !(ignores(child) || ignores(`${child}/`))) await walk(child);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && !ignores(child)) files.push(child);
    }
  };
  await walk("");
  files.sort();
  return { dir, files, ignoreFile, ignores };
}

async function ignoreRules(dir: string): Promise<Pick<BuildContext, "ignores" | "ignoreFile"> & { hasExceptions: boolean }> {
  const docker = await readOptional(path.join(dir, ".dockerignore"));
  if (docker !== undefined) {
    const keep = dockerignore({ ignorecase: false }).add(docker).createFilter();
    return { ignoreFile: ".dockerignore", ignores: (p) => !keep(p), hasExceptions: /^\s*!/m.test(docker) };
  }
  const gcloud = await readOptional(path.join(dir, ".gcloudignore"));
  if (gcloud !== undefined) {
    const rules = gitignore().add(gcloud);
    return { ignoreFile: ".gcloudignore", ignores: (p) => rules.ignores(p), hasExceptions: /^\s*!/m.test(gcloud) };
  }
  return { ignores: () => false, hasExceptions: false };
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * The content hash in the image's tag: every file sent (path, whether executable, bytes; a symlink
 * by its target) and the build's settings. Times are left out, so a checkout of the same sources
 * elsewhere, or a touch, names the same image and makes no new revision.
 */
export async function contextHash(
  context: BuildContext,
  settings: { dockerfile: string; buildArgs: Record<string, string>; target?: string },
): Promise<string> {
  // node:crypto is loaded here, not with the module, which every `skiff deploy` loads (CLI start-up, SPEC §8).
  const hash = process.getBuiltinModule("node:crypto").createHash("sha256");
  for (const file of context.files) {
    const full = path.join(context.dir, file);
    const stat = await fs.lstat(full);
    hash.update(`${file}\0${stat.isSymbolicLink() ? "l" : stat.mode & 0o111 ? "x" : "f"}\0`);
    hash.update(stat.isSymbolicLink() ? await fs.readlink(full) : await fs.readFile(full));
    hash.update("\0");
  }
  const args = Object.fromEntries(Object.entries(settings.buildArgs).sort(([a], [b]) => (a < b ? -1 : 1)));
  hash.update(JSON.stringify({ dockerfile: settings.dockerfile, args, target: settings.target ?? null }));
  return hash.digest("hex").slice(0, 16);
}
