import { spawn, type ChildProcess } from "node:child_process";
import { CLI_ENTRY, REPO_ROOT, type TestEngine } from "./engine";

/** `skiff dev` as a long-running process: its output collected, waited on by pattern, stopped with a signal. */
export class DevProcess {
  stdout = "";
  stderr = "";
  readonly exited: Promise<number>;
  private readonly child: ChildProcess;
  private waiters: (() => void)[] = [];

  constructor(engine: TestEngine, args: string[]) {
    this.child = spawn(process.execPath, [CLI_ENTRY, "dev", ...args], {
      env: { ...process.env, SKIFF_HOME: engine.home },
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout!.on("data", (chunk: Buffer) => this.got("stdout", chunk));
    this.child.stderr!.on("data", (chunk: Buffer) => this.got("stderr", chunk));
    this.exited = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 0))));
  }

  private got(stream: "stdout" | "stderr", chunk: Buffer): void {
    this[stream] += chunk.toString("utf8");
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves with the match once stderr (from `from` on) matches, or rejects after timeoutMs with what was printed. */
  async waitFor(pattern: RegExp, from = 0, timeoutMs = 120_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.stderr.slice(from));
      if (match) return match;
      if (this.child.exitCode !== null) throw new Error(`skiff dev exited ${this.child.exitCode} before ${pattern}:\n${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`skiff dev did not print ${pattern} within ${timeoutMs} ms:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null) this.child.kill(signal);
  }
}
