import { createHash } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { docker, run, type CommandResult } from "./docker";
import type { TestEngine } from "./engine";
import { fixturePath } from "./fixture-image";

/**
 * Clients run inside the engine's own containers (`docker exec`), so they see what the app in the
 * container sees: its resolver, its network, its address (which the metadata server knows it by).
 */

/** A running container of the engine's service (or job task), by label. */
export async function containerOf(engine: TestEngine, labels: Record<string, string>): Promise<string> {
  const filters = Object.entries({ "skiff.engine": engine.engineId, ...labels }).flatMap(([k, v]) => ["--filter", `label=${k}=${v}`]);
  const [id] = (await docker(["ps", "-q", ...filters])).split("\n").filter(Boolean);
  if (!id) throw new Error(`no running container with ${JSON.stringify(labels)}`);
  return id;
}

/** Runs a Node.js script with the container's own node (the fixture images have /node); resolves with its output. */
export function nodeIn(containerId: string, script: string, args: string[] = [], env: Record<string, string> = {}): Promise<CommandResult> {
  const envFlags = Object.entries(env).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
  return run("docker", ["exec", ...envFlags, containerId, "/node", "-e", script, "--", ...args], { timeoutMs: 120_000 });
}

/** Copies a host file or folder into the container at `target`. */
export async function copyInto(containerId: string, source: string, target: string): Promise<void> {
  await docker(["cp", source, `${containerId}:${target}`], { timeoutMs: 120_000 });
}

let muslGet: Promise<string> | undefined;

/** test/fixtures/musl-get.c built statically with musl (Debian's musl-tools), cached by content. */
export function muslGetBinary(): Promise<string> {
  muslGet ??= (async () => {
    const source = fixturePath("musl-get.c");
    const hash = createHash("sha256")
      .update(await fs.readFile(source))
      .digest("hex")
      .slice(0, 12);
    const binary = path.join(os.tmpdir(), `skiff-musl-get-${hash}`);
    if (existsSync(binary)) return binary;
    const built = await run("musl-gcc", ["-static", "-O2", "-o", `${binary}.tmp`, source]).catch((error: Error) => {
      throw new Error(`musl-gcc is missing: install Debian's musl-tools (apt-get install -y musl-tools) (${error.message.split("\n")[0]})`);
    });
    if (built.code !== 0) throw new Error(`musl-gcc failed: ${built.stderr}`);
    await fs.rename(`${binary}.tmp`, binary);
    return binary;
  })();
  return muslGet;
}

/**
 * Packages from the npm registry installed into a cache folder of their own (by their exact
 * versions), for copying into a container: Google's own client libraries, as a user's app has them.
 */
export async function npmPackages(specs: string[]): Promise<string> {
  const dir = path.join(os.tmpdir(), `skiff-npm-${createHash("sha256").update(specs.join(" ")).digest("hex").slice(0, 12)}`);
  const modules = path.join(dir, "node_modules");
  if (existsSync(path.join(dir, ".complete"))) return modules;
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "skiff-test-clients", private: true }));
  const result = await run("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock", ...specs], {
    cwd: dir,
    timeoutMs: 300_000,
  });
  if (result.code !== 0)
    throw new Error(`npm install ${specs.join(" ")} failed (the npm registry must be reachable): ${result.stderr.slice(-2000)}`);
  await fs.writeFile(path.join(dir, ".complete"), "");
  return modules;
}
