import { ChildProcess, spawn } from "node:child_process";

/**
 * Docker's own record of what happened to containers, with Docker's timestamps: `docker events`
 * filtered by label, started with --since so nothing between "start watching" and the first
 * streamed line is lost. Tests read create/start/kill/die/oom/destroy times from here instead of
 * polling `docker ps`, which is slow and coarse on a busy machine.
 */

export interface DockerEvent {
  /** create, start, kill, die, oom, stop, destroy, ... */
  action: string;
  /** Full container id. */
  id: string;
  /** Docker's time of the event, epoch milliseconds (from timeNano). */
  atMs: number;
  /** Labels plus Docker's attributes: name, exitCode (die), signal (kill), image. */
  attributes: Record<string, string>;
}

export class DockerEventLog {
  readonly events: DockerEvent[] = [];
  private readonly child: ChildProcess;
  private pending = "";
  private readonly waiters: (() => void)[] = [];
  private stderr = "";

  /** Starts `docker events --since <sinceMs> --filter label=K=V ...`; stop() ends it. */
  constructor(labels: Record<string, string>, sinceMs = Date.now() - 1000) {
    const filters = Object.entries(labels).flatMap(([k, v]) => ["--filter", `label=${k}=${v}`]);
    const since = (sinceMs / 1000).toFixed(3);
    this.child = spawn("docker", ["events", "--since", since, "--filter", "type=container", ...filters, "--format", "{{json .}}"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout!.setEncoding("utf8");
    this.child.stdout!.on("data", (chunk: string) => this.onData(chunk));
    this.child.stderr!.setEncoding("utf8");
    this.child.stderr!.on("data", (chunk: string) => (this.stderr += chunk));
    this.child.on("error", (error) => (this.stderr += String(error)));
  }

  private onData(chunk: string): void {
    this.pending += chunk;
    let newline: number;
    while ((newline = this.pending.indexOf("\n")) >= 0) {
      const line = this.pending.slice(0, newline).trim();
      this.pending = this.pending.slice(newline + 1);
      if (!line) continue;
      try {
        const raw = JSON.parse(line) as {
          Action: string;
          id?: string;
          Actor?: { ID: string; Attributes?: Record<string, string> };
          timeNano: number;
        };
        this.events.push({
          action: raw.Action,
          id: raw.Actor?.ID ?? raw.id ?? "",
          atMs: raw.timeNano / 1e6,
          attributes: raw.Actor?.Attributes ?? {},
        });
      } catch {
        // Not an event line: ignore.
      }
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Events of one action, optionally for one container, in the order Docker reported them. */
  of(action: string, containerId?: string): DockerEvent[] {
    return this.events.filter((e) => e.action === action && (containerId === undefined || e.id === containerId));
  }

  /** Resolves with the first event matching `match` (past or future); rejects after timeoutMs. */
  async waitFor(what: string, match: (e: DockerEvent) => boolean, timeoutMs: number): Promise<DockerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no Docker event for ${what} within ${timeoutMs} ms; seen: ${this.summary()}${this.stderr ? `\ndocker events stderr: ${this.stderr}` : ""}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  /** One line per event, for assertion messages. */
  summary(): string {
    return this.events
      .map(
        (e) =>
          `${new Date(e.atMs).toISOString()} ${e.action} ${e.id.slice(0, 12)}${e.attributes.exitCode ? ` exit=${e.attributes.exitCode}` : ""}${e.attributes.signal ? ` signal=${e.attributes.signal}` : ""}`,
      )
      .join("\n");
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.pid !== undefined) this.child.kill("SIGTERM");
  }
}
