import { closeSync, openSync, readFileSync, statSync } from "node:fs";
import { EngineHome, EngineFile, ensureHome, processAlive, readEngineFile } from "../base/home";
import { cliEntry } from "../base/version";

/**
 * The daemon exited before it was up; the message is its own (e.g. a busy port naming the flag to
 * change). `userFault` when it exited with code 1, the CLI's code for the user's mistake.
 */
export class EngineStartError extends Error {
  override name = "EngineStartError";

  constructor(
    message: string,
    readonly userFault: boolean,
  ) {
    super(message);
  }
}

export interface StartOptions {
  /** Extra `skiff engine start` flags, e.g. ["--ingress-port", "8080"]. */
  flags?: string[];
  /** How long to wait for the daemon to come up. */
  timeoutMs?: number;
}

/** The running engine described by engine.json, if its process is alive. */
export function runningEngine(home: EngineHome): EngineFile | undefined {
  const file = readEngineFile(home);
  return file && processAlive(file.pid) ? file : undefined;
}

/**
 * Starts the daemon detached from the caller (the CLI or a Pulumi provider) and waits until it has
 * written engine.json. If it exits first, its own error (e.g. a busy port) becomes this error.
 */
export async function startDetached(home: EngineHome, options: StartOptions = {}): Promise<EngineFile> {
  ensureHome(home);
  const logOffset = fileSize(home.engineLog);
  const logFd = openSync(home.engineLog, "a");
  // node:child_process is loaded here, not with the module: only a call that starts the engine needs it (CLI start-up, SPEC §8).
  const child = process
    .getBuiltinModule("node:child_process")
    .spawn(process.execPath, [cliEntry, "engine", "start", "--foreground", ...(options.flags ?? [])], {
      detached: true,
      stdio: ["ignore", logFd, logFd],
      env: { ...process.env, SKIFF_HOME: home.root },
    });
  closeSync(logFd);
  let exitCode: number | null = null;
  child.on("exit", (code) => (exitCode = code ?? 1));
  child.unref();

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (exitCode !== null) {
      const output = readFrom(home.engineLog, logOffset).trim();
      const reason =
        output
          .split("\n")
          .filter((l) => /error/i.test(l))
          .pop() ?? output.split("\n").pop();
      throw new EngineStartError(
        reason ? reason.replace(/^.*?error:\s*/i, "") : `the engine exited with code ${String(exitCode)}`,
        exitCode === 1,
      );
    }
    const file = readEngineFile(home);
    if (file && file.pid === child.pid) return file;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the engine did not start within ${(options.timeoutMs ?? 30_000) / 1000} s; see ${home.engineLog}`);
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readFrom(path: string, offset: number): string {
  try {
    return readFileSync(path).subarray(offset).toString("utf8");
  } catch {
    return "";
  }
}
