import { appendFileSync, existsSync, promises as fs, readdirSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  CommandResult,
  ContainerSummary,
  containersWithLabels,
  removeContainers,
  removeEngineImages,
  removeEngineNetworks,
  removeEngineVolumes,
  requireDocker,
  run,
} from "./docker";
import { HttpAnswer, RequestInit, httpRequest } from "./http";
import { EngineClient } from "../../provider/client/api-client";
import { engineHome } from "../../provider/base/home";

/**
 * One engine per test file, Miniflare style: `startEngine()` in `test.before`, `dispose()` in
 * `test.after.always`. Each engine has its own SKIFF_HOME and ephemeral ports, so test files run in
 * parallel without seeing each other; everything goes through the real CLI, as a user would drive it.
 */

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
/** The bundled CLI, as `npm install` users run it. */
export const CLI_ENTRY = path.join(REPO_ROOT, "dist", "provider", "cli", "skiff.js");

export interface EngineFileContents {
  pid: number;
  apiPort: number;
  ingressPort: number;
  engineId: string;
}

export interface SkiffOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** What the command reads on stdin (`--data-file -`). */
  input?: string;
}

export class TestEngine {
  /** Every engine id this home has had, so dispose() finds containers from each incarnation. */
  private readonly engineIds = new Set<string>();
  private current?: EngineFileContents;

  constructor(readonly home: string) {}

  get ingressPort(): number {
    return this.running().ingressPort;
  }
  get apiPort(): number {
    return this.running().apiPort;
  }
  get engineId(): string {
    return this.running().engineId;
  }
  get pid(): number {
    return this.running().pid;
  }

  private running(): EngineFileContents {
    if (!this.current) throw new Error(`the engine in ${this.home} has not been started`);
    return this.current;
  }
  get token(): string {
    return readFileSync(path.join(this.home, "token"), "utf8").trim();
  }

  /** Runs `skiff <args>` with this engine's home; resolves with the exit code, never throws on it. */
  skiff(args: string[], opts: SkiffOptions = {}): Promise<CommandResult> {
    return run(process.execPath, [CLI_ENTRY, ...args], {
      env: { ...process.env, ...opts.env, SKIFF_HOME: this.home },
      cwd: REPO_ROOT,
      timeoutMs: opts.timeoutMs ?? 180_000,
      input: opts.input,
    });
  }

  /** `skiff <args> --format json`, parsed; throws with the CLI's stderr when it exits non-zero. */
  async skiffJson<T = any>(args: string[], opts: SkiffOptions = {}): Promise<T> {
    const result = await this.skiff([...args, "--format", "json"], opts);
    if (result.code !== 0) {
      throw new Error(`skiff ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    }
    try {
      return JSON.parse(result.stdout) as T;
    } catch {
      throw new Error(`skiff ${args.join(" ")} --format json printed no JSON:\n${result.stdout}`);
    }
  }

  /**
   * The engine's admin API, as the SDK uses it: what the engine holds, in its own shapes (the CLI's
   * `--format json` prints Knative objects, as gcloud does; tests of the CLI's output use that).
   */
  api(): Promise<EngineClient> {
    return EngineClient.connect({ home: engineHome(this.home) });
  }

  /** An HTTP request to the ingress with the given Host header. */
  request(host: string, urlPath = "/", init: RequestInit = {}): Promise<HttpAnswer> {
    return httpRequest(this.ingressPort, host, urlPath, init);
  }

  /** `skiff engine start` with the given flags; waits for engine.json to name the new daemon. */
  async start(flags: string[] = ["--ingress-port", "0", "--api-port", "0"]): Promise<void> {
    const result = await this.skiff(["engine", "start", ...flags], { timeoutMs: 60_000 });
    if (result.code !== 0) {
      throw new Error(`skiff engine start exited ${result.code}:\n${result.stderr}${result.stdout}\n${this.logTail()}`);
    }
    const file = this.readEngineFile();
    if (!file) throw new Error(`skiff engine start succeeded but ${this.home}/engine.json is missing\n${this.logTail()}`);
    this.current = file;
    this.remember(file.engineId);
  }

  /**
   * Keeps the engine id for dispose(), and writes it to SKIFF_TEST_ENGINE_IDS when that is set, so
   * a CI run can remove what its own engines left behind without touching any other engine's.
   */
  private remember(engineId: string): void {
    if (this.engineIds.has(engineId)) return;
    this.engineIds.add(engineId);
    const file = process.env.SKIFF_TEST_ENGINE_IDS;
    if (file) appendFileSync(file, `${engineId}\n`);
  }

  /** Starts again on the same ports, so URLs the test already holds keep working. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start(this.samePortFlags());
  }

  samePortFlags(): string[] {
    return ["--ingress-port", String(this.ingressPort), "--api-port", String(this.apiPort)];
  }

  async stop(): Promise<CommandResult> {
    return this.skiff(["engine", "stop"], { timeoutMs: 60_000 });
  }

  /** kill -9 of the daemon, the way a crash or an OOM kill would end it; waits until it is gone. */
  async killDaemon(): Promise<void> {
    const pid = this.pid;
    try {
      process.kill(pid, "SIGKILL");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
    const deadline = Date.now() + 10_000;
    while (isAlive(pid)) {
      if (Date.now() > deadline) throw new Error(`daemon ${pid} survived SIGKILL for 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  readEngineFile(): EngineFileContents | undefined {
    try {
      return JSON.parse(readFileSync(path.join(this.home, "engine.json"), "utf8")) as EngineFileContents;
    } catch {
      return undefined;
    }
  }

  /** Every container (running or not) labelled with this engine's current id. */
  containers(): Promise<ContainerSummary[]> {
    return containersWithLabels({ "skiff.engine": this.engineId });
  }

  engineLog(): string {
    try {
      return readFileSync(path.join(this.home, "engine.log"), "utf8");
    } catch {
      return "";
    }
  }

  /** The last lines of engine.log, for failure messages. */
  logTail(lines = 40): string {
    try {
      const text = readFileSync(path.join(this.home, "engine.log"), "utf8");
      return `--- engine.log (last ${lines} lines) ---\n${text.split("\n").slice(-lines).join("\n")}`;
    } catch {
      return "(no engine.log)";
    }
  }

  /** Stops the daemon, removes every container it labelled and the temp home; safe to call twice. */
  async dispose(): Promise<void> {
    const errors: unknown[] = [];
    const file = this.readEngineFile();
    if (file) this.remember(file.engineId);
    if (this.current || file) {
      await this.stop().catch((error: unknown) => errors.push(error));
      for (const pid of new Set([this.current?.pid ?? 0, file?.pid ?? 0])) {
        if (pid > 0 && isAlive(pid)) process.kill(pid, "SIGKILL");
      }
    }
    for (const engineId of this.engineIds) {
      try {
        const leftovers = await containersWithLabels({ "skiff.engine": engineId });
        await removeContainers(leftovers.map((c) => c.id));
        await removeEngineVolumes(engineId);
        await removeEngineNetworks(engineId);
        await removeEngineImages(engineId);
      } catch (error) {
        errors.push(error);
      }
    }
    // The daemon logs what reached its last-resort handlers as "BUG:": always a failure.
    const bugs = this.engineLog()
      .split("\n")
      .filter((line) => line.includes("BUG:"));
    if (bugs.length > 0) errors.push(new Error(`engine.log has ${bugs.length} BUG line(s):\n${bugs.slice(0, 5).join("\n")}`));
    if (process.env.SKIFF_TEST_KEEP_HOME) console.log(`kept SKIFF_HOME ${this.home}`);
    else await fs.rm(this.home, { recursive: true, force: true });
    if (errors.length > 0) throw new Error(`dispose of ${this.home} had errors: ${errors.map(String).join("; ")}`);
  }
}

/** Makes a fresh SKIFF_HOME and starts a daemon in it on ephemeral ports. */
export async function startEngine(opts: { flags?: string[] } = {}): Promise<TestEngine> {
  await requireDocker();
  if (!existsSync(CLI_ENTRY)) throw new Error(`${CLI_ENTRY} is missing: run \`npm run build\` first`);
  const home = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-test-home-"));
  const engine = new TestEngine(home);
  try {
    await engine.start(["--ingress-port", "0", "--api-port", "0", ...(opts.flags ?? [])]);
  } catch (error) {
    // The caller never gets the engine to dispose, so clean up here.
    await engine.dispose().catch(() => undefined);
    throw error;
  }
  return engine;
}

/**
 * A killed daemon stays a zombie until init reaps it; that counts as gone, but only once every one
 * of its threads has exited: the main thread turns zombie first, and the process's sockets (its
 * listening ports) are closed only when the last of its other threads (libuv's pool, V8's helpers,
 * the log thread) is gone.
 */
export function isAlive(pid: number): boolean {
  try {
    const tasks = readdirSync(`/proc/${pid}/task`);
    return tasks.some((tid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
        return state !== "Z" && state !== "X";
      } catch {
        return false; // this thread is gone
      }
    });
  } catch {
    // No /proc entry: either gone, or not Linux; ask the kernel directly.
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
