import { execFile } from "node:child_process";

/**
 * Docker as a user sees it, through its CLI and never through the engine's runtime module, so a test
 * checks what the engine did from outside it, the way `docker ps` would show it. What is here:
 * - `run` (any command: its exit code and output, never a rejection for a non-zero exit; the test
 *   engine runs the skiff CLI with it, other helpers and tests python, psql and gcloud) and `docker`
 *   (rejects with Docker's own message); `requireDocker` fails saying how to get Docker.
 * - Looking: `containersWithLabels` (`docker ps` by label), `inspectContainer`, `engineVolumes`.
 * - Removing: `removeContainers` by id (TestEngine.dispose's leftovers; a test's container made to
 *   vanish), and what one engine made, found by its `skiff.engine` label and never another's:
 *   `removeEngineVolumes`, `removeEngineImages`, `removeEngineNetworks` (TestEngine.dispose).
 * Used by engine.ts, the image and tool helpers and the integration and e2e tests. Docker's event
 * stream is docker-events.ts (`docker events`). A test that acts on a container inside a window it
 * measures (sidecars.test.ts kills a process) calls Docker's API with dockerode itself: the CLI's
 * start-up would fall inside the window.
 */

export const DOCKER_HOW_TO =
  "the integration tests need a running Docker engine: on Debian as root run " +
  "`apt-get install -y docker.io && (dockerd >/var/log/dockerd.log 2>&1 &)`; elsewhere install Docker " +
  "and make sure `docker info` works for this user";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command and resolves with its exit code and output; never rejects on a non-zero exit. */
export function run(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { env: opts.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          // ENOENT, a timeout or a signal: there is no exit code to report.
          reject(new Error(`${file} ${args.join(" ")} failed: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** `docker <args>`; rejects with Docker's own message on a non-zero exit. */
export async function docker(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  let result: CommandResult;
  try {
    result = await run("docker", args, opts);
  } catch (error) {
    if (String(error).includes("ENOENT")) throw new Error(`the docker CLI is not installed: ${DOCKER_HOW_TO}`, { cause: error });
    throw error;
  }
  if (result.code !== 0) throw new Error(`docker ${args.join(" ")} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

let reachable: Promise<void> | undefined;

/** Fails loudly, saying how to get Docker, when its engine does not answer. */
export function requireDocker(): Promise<void> {
  reachable ??= docker(["info", "--format", "{{.ServerVersion}}"], { timeoutMs: 30_000 }).then(
    () => undefined,
    (error: unknown) => {
      reachable = undefined;
      throw new Error(`Docker is not reachable (${(error as Error).message.split("\n")[0]}): ${DOCKER_HOW_TO}`);
    },
  );
  return reachable;
}

export interface ContainerSummary {
  id: string;
  name: string;
  state: string;
  labels: Record<string, string>;
}

/** Every container (running or not) that carries all the given labels. */
export async function containersWithLabels(labels: Record<string, string>): Promise<ContainerSummary[]> {
  const filters = Object.entries(labels).flatMap(([k, v]) => ["--filter", `label=${k}=${v}`]);
  const out = await docker(["ps", "-a", "--no-trunc", ...filters, "--format", "{{json .}}"]);
  return out
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const row = JSON.parse(line) as { ID: string; Names: string; State: string; Labels: string };
      return { id: row.ID, name: row.Names, state: row.State, labels: parseLabels(row.Labels) };
    });
}

/** `docker ps` prints labels as "k=v,k=v"; values with commas are not ours to worry about. */
function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const at = pair.indexOf("=");
    if (at > 0) labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

/** Force-removes containers by id; ignores ones that are already gone. */
export async function removeContainers(ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await run("docker", ["rm", "-f", "-v", ...ids]);
}

/** The names of the Docker volumes labelled with this engine id (instances' shared in-memory volumes). */
export async function engineVolumes(engineId: string): Promise<string[]> {
  return (await docker(["volume", "ls", "-q", "--filter", `label=skiff.engine=${engineId}`])).split("\n").filter(Boolean);
}

/** Removes the Docker volumes labelled with this engine id (after its containers are gone). */
export async function removeEngineVolumes(engineId: string): Promise<void> {
  const names = await engineVolumes(engineId);
  if (names.length > 0) await docker(["volume", "rm", "-f", ...names]);
}

/** Removes the images this engine built (labelled with its id): a test's own, never another's. */
export async function removeEngineImages(engineId: string): Promise<void> {
  const ids = (await docker(["image", "ls", "-q", "--filter", `label=skiff.engine=${engineId}`])).split("\n").filter(Boolean);
  if (ids.length > 0) await run("docker", ["image", "rm", "-f", ...new Set(ids)]);
}

/** Removes the Docker networks labelled with this engine id (its own network; after its containers are gone). */
export async function removeEngineNetworks(engineId: string): Promise<void> {
  const ids = (await docker(["network", "ls", "-q", "--filter", `label=skiff.engine=${engineId}`])).split("\n").filter(Boolean);
  if (ids.length > 0) await docker(["network", "rm", ...ids]);
}

/** `docker inspect` of one container, parsed (the fields the tests read). */
export async function inspectContainer(id: string): Promise<DockerContainerInspect> {
  const [info] = JSON.parse(await docker(["inspect", id])) as DockerContainerInspect[];
  return info;
}

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface DockerContainerInspect {
  Id: string;
  State: { Status: string; Running: boolean };
  Config: { Env: string[] | null; Labels: Record<string, string> };
  HostConfig: { PortBindings: Record<string, PortBinding[] | null> | null; NetworkMode?: string };
  NetworkSettings: { Ports: Record<string, PortBinding[] | null> | null };
}
