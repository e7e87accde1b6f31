import { chmodSync, existsSync, mkdirSync, realpathSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import type { EngineHome } from "../base/home";
import { invalid, SkiffError } from "../model/errors";
import type { Store } from "../state/store";

/**
 * The host folders a bucket or an NFS export is: one the user mapped, or the engine's own under
 * its home. A mapped folder must be one a container may see without reaching anything else of
 * the host: not the root, not a system folder, not the engine's home (its token, keys and other
 * containers' secrets) nor a folder holding it, not a folder holding Docker's socket.
 */

/** Folders whose contents are the host's own: never mounted, nor anything inside them. */
const SYSTEM_FOLDERS = [
  "/proc",
  "/sys",
  "/dev",
  "/boot",
  "/etc",
  "/run",
  "/var/run",
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib64",
  "/var/lib/docker",
];

const inside = (path: string, folder: string) => path === folder || path.startsWith(folder === "/" ? "/" : `${folder}${sep}`);

/** Why the real folder `path` must not be mapped, or undefined. */
export function mappedFolderProblem(path: string, home: EngineHome): string | undefined {
  if (path === "/") return "must not be / (every file of the host)";
  const system = SYSTEM_FOLDERS.find((f) => inside(path, f));
  if (system) return `must not be ${system} or inside it: it is the host's own`;
  const homeRoot = realOr(home.root);
  if (inside(path, homeRoot) || inside(homeRoot, path))
    return `must not be the engine's home (${homeRoot}), inside it or a folder holding it: its keys and secrets would be seen`;
  for (const socket of dockerSockets())
    if (inside(socket, path)) return `must not hold Docker's socket (${socket}): whoever reaches it owns the host`;
  return undefined;
}

/** The folder a user maps, checked: it exists, is a folder, and may be mapped; answers its real path. */
export function checkMappableFolder(path: string, home: EngineHome, field = "path"): string {
  if (!path.startsWith("/")) throw invalid(field, `must be an absolute path, got "${path}"`);
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw invalid(field, `"${path}" does not exist; make the folder first`);
  }
  if (!statSync(real).isDirectory()) throw invalid(field, `"${path}" is not a folder`);
  const problem = mappedFolderProblem(real, home);
  if (problem) throw invalid(field, `"${path}" ${problem}`);
  return real;
}

/** A bucket's folder: where it is mapped, else `<home>/buckets/<bucket>`, made on first use. */
export function bucketFolder(store: Store, home: EngineHome, bucket: string): string {
  const mapped = store.mappings.get("bucket", bucket);
  if (mapped?.path) return stillMappable(mapped.path, home, `bucket "${bucket}"`, `skiff buckets map ${bucket} --path DIR`);
  return ownFolder(join(home.bucketsDir, bucket));
}

/** An NFS export's folder: where `server:path` is mapped, else `<home>/nfs/<server>/<path>`, made on first use. */
export function nfsFolder(store: Store, home: EngineHome, server: string, path: string): string {
  const location = `${server}:${path}`;
  const mapped = store.mappings.get("nfs", location);
  if (mapped?.path) return stillMappable(mapped.path, home, `NFS export "${location}"`, `skiff nfs map ${location} --path DIR`);
  return ownFolder(join(home.nfsDir, server, ...path.split("/").filter(Boolean)));
}

/** A mapped folder is checked again when mounted: it may have been removed or replaced since. */
function stillMappable(path: string, home: EngineHome, what: string, command: string): string {
  try {
    return checkMappableFolder(path, home);
  } catch (error) {
    const reason = error instanceof SkiffError ? (error.violations[0]?.reason ?? error.message) : String(error);
    throw new SkiffError(
      "FAILED_PRECONDITION",
      `${what} is mapped to ${path}, which cannot be mounted: ${reason}; map it again with: ${command}`,
    );
  }
}

/**
 * The engine's own folder for a bucket or export. Anyone may write in it (the container may run
 * as any user); the folders above it are the engine user's alone, so no other host user reaches it.
 */
function ownFolder(path: string): string {
  if (!existsSync(path)) {
    mkdirSync(path, { recursive: true });
    chmodSync(path, 0o777);
  }
  return path;
}

function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function dockerSockets(): string[] {
  const fromEnv = /^unix:\/\/(.+)$/.exec(process.env.DOCKER_HOST ?? "")?.[1];
  return [...new Set([fromEnv, "/var/run/docker.sock", "/run/docker.sock"].filter((p): p is string => !!p && existsSync(p)).map(realOr))];
}
