import { watch, type FSWatcher } from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { BuildFailureError, EngineError, type EngineClient } from "../client/api-client";
import type { Revision } from "../model/revision";
import type { Service } from "../model/service";
import { readBuildContext } from "../base/build-context";
import { commonOptions, connect, withCommon } from "./common";
import { intFlag, nameArg } from "./flags";
import { UsageError } from "./output";
import { startDebugForwarder } from "./debug-forwarder";

interface DevFlags {
  source: string;
  dockerfile?: string;
  port?: number;
  keep?: boolean;
  debugPort?: number;
}

/** Saves closer together than this are one change (an editor writes a file in several steps). */
const SETTLE_MS = 100;

export function devCommand(): Command {
  return withCommon(new Command("dev"))
    .description("build DIR and run it as SERVICE; print its logs, and on every change rebuild and serve the new code, until Ctrl-C")
    .argument("<service>", "service name", nameArg("service"))
    .requiredOption("--source <dir>", "the directory to build (its Dockerfile)")
    .option("--dockerfile <file>", "the Dockerfile to build, relative to the directory (default Dockerfile)")
    .option("--port <n>", "port the container listens on (default 8080)", intFlag("--port"))
    .option("--keep", "on Ctrl-C, keep the service and its images instead of deleting them")
    .option(
      "--debug-port <n>",
      "forward 127.0.0.1:N to port N of the serving instance, for a debugger (bypasses the router)",
      intFlag("--debug-port"),
    )
    .action(async (service: string, flags: DevFlags & Record<string, unknown>) => {
      const { project } = commonOptions(flags);
      const session = new DevSession(await connect(), project, service, flags);
      await session.run();
    });
}

/**
 * One `skiff dev`: deploy, then a rebuild and a new revision per change. A new revision takes the
 * traffic only once it is READY (the service routes to its latest ready revision), so a failed build
 * or a revision that does not start leaves the one before serving; that is said, with why.
 */
class DevSession {
  private readonly dir: string;
  private ignores: (relative: string) => boolean = () => false;
  private created = false;
  private serving?: string;
  private image?: string;
  private tailing = false;
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private busy = false;
  private pending = false;
  /** When the first change of the next rebuild was seen: edit-to-serving time starts there. */
  private changedAt?: number;

  constructor(
    private readonly client: EngineClient,
    private readonly project: string,
    private readonly service: string,
    private readonly flags: DevFlags,
  ) {
    this.dir = path.resolve(flags.source);
  }

  async run(): Promise<void> {
    const existing = await this.client.getService(this.project, this.service).catch((error: unknown) => {
      if (error instanceof EngineError && error.status === 404) return undefined;
      throw error;
    });
    if (existing && this.flags.port !== undefined && existing.template.port !== this.flags.port) {
      throw new UsageError(`--port: service ${this.service} exists with port ${existing.template.port}; deploy it with --port first`);
    }
    this.created = !existing;
    this.serving = existing?.latestReadyRevision;
    this.image = existing?.template.image;
    await this.refreshIgnores();
    this.watcher = watch(this.dir, { recursive: true }, (_event, filename) => this.changed(filename));
    this.watcher.on("error", (error) => say(`watching ${this.dir} stopped: ${error.message}`));
    const stop = () => void this.stop().then((code) => process.exit(code));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    if (this.flags.debugPort !== undefined) {
      await startDebugForwarder(this.client, this.project, this.flags.debugPort, () => this.serving, say);
    }
    await this.rebuild(Date.now());
    say(
      `watching ${this.dir} (Ctrl-C to stop${this.flags.keep ? "" : ` and delete ${this.created ? "the service" : "what this run built"}`})`,
    );
    await new Promise(() => undefined);
  }

  private changed(filename: string | Buffer | null): void {
    const relative = filename === null ? undefined : String(filename).split(path.sep).join("/");
    if (relative !== undefined && this.ignores(relative)) return;
    this.changedAt ??= Date.now();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.rebuildWhenFree(), SETTLE_MS);
  }

  private async rebuildWhenFree(): Promise<void> {
    if (this.busy) {
      this.pending = true;
      return;
    }
    const since = this.changedAt ?? Date.now();
    this.changedAt = undefined;
    await this.rebuild(since);
    if (this.pending) {
      this.pending = false;
      this.changedAt ??= Date.now();
      await this.rebuildWhenFree();
    }
  }

  /** Build, deploy, wait until READY or FAILED; every failure is reported and the loop goes on. */
  private async rebuild(since: number): Promise<void> {
    this.busy = true;
    try {
      say(`building ${this.dir}`);
      const result = await this.client.buildSource(
        this.project,
        { name: this.service, kind: "service", context: this.dir, dockerfile: this.flags.dockerfile },
        (line) => process.stderr.write(`  ${line}\n`),
      );
      await this.refreshIgnores();
      if (result.image === this.image && this.serving) {
        say(`no change to what the build sends: ${this.serving} keeps serving`);
        return;
      }
      const revision = await this.deploy(result.image);
      if (revision.status === "READY") {
        this.image = result.image;
        this.serving = revision.name;
        const seconds = ((Date.now() - since) / 1000).toFixed(2);
        say(`${revision.name} serves 100 % at ${(await this.current()).url} (edit to serving: ${seconds} s)`);
        this.startTail();
      } else {
        say(`${revision.name} did not start: ${revision.error ?? "no reason given"}`);
        say(this.keepsServing());
      }
    } catch (error) {
      if (error instanceof BuildFailureError) {
        say(`the build failed${error.step ? ` at ${error.step}` : ""}: ${error.message}`);
        for (const line of error.lastLines) process.stderr.write(`  ${line}\n`);
        say(this.keepsServing());
      } else if (error instanceof EngineError) {
        say(`${error.message}`);
        say(this.keepsServing());
      } else throw error;
    } finally {
      this.busy = false;
    }
  }

  private keepsServing(): string {
    return this.serving ? `${this.serving} keeps serving; fix it and save again` : "nothing serves yet; fix it and save again";
  }

  private async deploy(image: string): Promise<Revision> {
    const existing = await this.current().catch(() => undefined);
    const template = existing ? { ...existing.template, image } : { image, ...(this.flags.port ? { port: this.flags.port } : {}) };
    const answer = await this.client.putService(
      this.project,
      this.service,
      { template, labels: existing?.labels, ingress: existing?.ingress, invokers: existing?.invokers },
      { expectedGeneration: existing?.generation ?? 0, async: true },
    );
    let revision = answer.revision;
    if (!revision) throw new EngineError(500, "INTERNAL", "the engine made no revision for a new image");
    while (revision.status === "PENDING") revision = await this.client.getRevision(this.project, revision.name, 300);
    return revision;
  }

  private current(): Promise<Service> {
    return this.client.getService(this.project, this.service);
  }

  private startTail(): void {
    if (this.tailing) return;
    this.tailing = true;
    this.client
      .logs(this.project, this.service, { follow: true, limit: 20, onChunk: (text) => process.stdout.write(text) })
      .catch((error: unknown) => say(`the log tail ended: ${(error as Error).message}`));
  }

  private async refreshIgnores(): Promise<void> {
    try {
      this.ignores = (await readBuildContext(this.dir)).ignores;
    } catch (error) {
      say(`cannot read ${this.dir}: ${(error as Error).message}`);
    }
  }

  /** Ctrl-C: stop watching; unless --keep, delete the service this run created and the images built for it. */
  private async stop(): Promise<number> {
    this.watcher?.close();
    clearTimeout(this.timer);
    process.stderr.write("\n");
    if (this.flags.keep) {
      say(`stopped; service ${this.service} and its images are kept (--keep)`);
      return 0;
    }
    try {
      if (this.created) {
        await this.client.deleteService(this.project, this.service).catch((error: unknown) => {
          if (!(error instanceof EngineError && error.status === 404)) throw error;
        });
        const images = await this.client.removeBuiltImages(this.project, this.service);
        say(`stopped; deleted service ${this.service} and ${images.removed} image(s) built for it`);
      } else {
        say(`stopped; service ${this.service} existed before this run and is kept`);
      }
      return 0;
    } catch (error) {
      say(`stopped, but the cleanup failed: ${(error as Error).message}`);
      return 2;
    }
  }
}

function say(text: string): void {
  process.stderr.write(`skiff dev: ${text}\n`);
}
