import { spawn } from "node:child_process";
import { CLI_ENTRY, REPO_ROOT } from "./engine";

/**
 * The CLI as a person at a terminal sees it, and as a script piping it sees it, with the time each
 * piece of output arrived: `skiffOnTerminal` runs it under a pseudo-terminal (util-linux `script`),
 * so stdin, stdout and stderr are a TTY and the CLI draws spinners and asks before deleting;
 * `skiffStreamed` runs it with pipes. Both resolve with the exit code, never throw on it.
 */

export interface Chunk {
  /** Milliseconds since the command was started. */
  at: number;
  stream: "stdout" | "stderr";
  text: string;
}

export interface StreamedResult {
  code: number;
  stdout: string;
  stderr: string;
  chunks: Chunk[];
  elapsedMs: number;
}

export interface TerminalResult {
  code: number;
  /** What the terminal showed (stdout and stderr together, and the echo of what was typed), with \r\n turned into \n. */
  output: string;
  /** As the terminal received it, \r and escape sequences included. */
  raw: string;
  chunks: Chunk[];
  elapsedMs: number;
}

export interface RunOptions {
  home: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface TerminalOptions extends RunOptions {
  /** Typed once the output contains `when` (e.g. a prompt), e.g. "n\r". */
  answer?: { when: string; send: string };
}

/** `'it'\''s'`: one argument for sh -c. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `node <bundled CLI> <args>` as one sh command line. */
export function skiffCommandLine(args: string[]): string {
  return [process.execPath, CLI_ENTRY, ...args].map(shellQuote).join(" ");
}

/** The chunk (of `stream`, or of either) with which `text` had arrived in full, or undefined. */
export function firstChunkWith(chunks: Chunk[], text: string, stream?: Chunk["stream"]): Chunk | undefined {
  // A needle may straddle two chunks: look at the text seen so far, chunk by chunk.
  let seen = "";
  for (const chunk of chunks.filter((c) => stream === undefined || c.stream === stream)) {
    seen += chunk.text;
    if (seen.includes(text)) return chunk;
  }
  return undefined;
}

/** Runs `skiff <args>` on a pseudo-terminal; `answer` types into it once a prompt shows. */
export function skiffOnTerminal(args: string[], opts: TerminalOptions): Promise<TerminalResult> {
  // -q no banner, -f flush every write (chunk times are real), -e the command's exit code, -c the command.
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn("script", ["-qfec", skiffCommandLine(args), "/dev/null"], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...opts.env, SKIFF_HOME: opts.home, SHELL: "/bin/sh", TERM: "xterm" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const chunks: Chunk[] = [];
    let raw = "";
    let scriptErrors = "";
    let answered = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`skiff ${args.join(" ")} on a terminal did not finish within ${opts.timeoutMs ?? 60_000} ms; it showed:\n${raw}`));
    }, opts.timeoutMs ?? 60_000);
    child.stdout.on("data", (data: Buffer) => {
      const text = data.toString("utf8");
      raw += text;
      chunks.push({ at: Date.now() - started, stream: "stdout", text });
      if (opts.answer && !answered && raw.includes(opts.answer.when)) {
        answered = true;
        child.stdin.write(opts.answer.send);
      }
    });
    child.stderr.on("data", (data: Buffer) => (scriptErrors += data.toString("utf8")));
    child.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === "ENOENT"
          ? new Error("`script` (util-linux) is needed to run the CLI on a pseudo-terminal: apt-get install -y util-linux")
          : error,
      );
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      // The command ended: nothing more to type.
      child.stdin.destroy();
      if (scriptErrors.trim() !== "") return reject(new Error(`script printed errors: ${scriptErrors}`));
      resolve({ code: code ?? -1, output: raw.replace(/\r\n/g, "\n"), raw, chunks, elapsedMs: Date.now() - started });
    });
  });
}

/** Runs `skiff <args>` with pipes (not a terminal), recording when each chunk of output arrived. */
export function skiffStreamed(args: string[], opts: RunOptions): Promise<StreamedResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...opts.env, SKIFF_HOME: opts.home },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: Chunk[] = [];
    const out = { stdout: "", stderr: "" };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`skiff ${args.join(" ")} did not finish within ${opts.timeoutMs ?? 60_000} ms:\n${out.stderr}${out.stdout}`));
    }, opts.timeoutMs ?? 60_000);
    for (const stream of ["stdout", "stderr"] as const) {
      child[stream].on("data", (data: Buffer) => {
        const text = data.toString("utf8");
        out[stream] += text;
        chunks.push({ at: Date.now() - started, stream, text });
      });
    }
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, ...out, chunks, elapsedMs: Date.now() - started });
    });
  });
}
