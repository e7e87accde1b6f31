import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CommandResult, containersWithLabels, run } from "../helpers/docker";
import { CLI_ENTRY, REPO_ROOT } from "../helpers/engine";
import { eventually, httpRequest } from "../helpers/http";

/**
 * Drives the real Pulumi CLI the way a user does: `pulumi up` in a project folder, with a local
 * file backend and a PULUMI_HOME of its own per test file. An example is copied to a temp folder
 * whose node_modules links skiff-run (this repository, built) and @pulumi/pulumi (the pinned dev
 * dependency) — what `npm install` of the example's `file:../..` dependency gives, without a network.
 */

export const PULUMI_HOW_TO =
  "the e2e tests drive the real Pulumi CLI: put it first on PATH with " +
  '`export PATH="$(../shared/tools/install-pulumi):$PATH"` (from the repository root; it builds pulumi, ' +
  "pulumi-language-nodejs and pulumi-resource-pulumi-nodejs, a few minutes the first time)";

const BINARIES = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs"];

/** Fails, saying how to get it, when the CLI or its Node.js plugins are not on PATH. */
export async function requirePulumi(): Promise<void> {
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  for (const name of BINARIES) {
    const found = await Promise.all(
      dirs.map((d) =>
        fs.access(path.join(d, name), fs.constants.X_OK).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (!found.includes(true)) throw new Error(`${name} is not on PATH: ${PULUMI_HOW_TO}`);
  }
}

/** A short random suffix for stack names, so a leftover of a crashed run never collides. */
export function suffix(): string {
  return randomBytes(3).toString("hex");
}

export class PulumiProject {
  private readonly stacks = new Set<string>();

  private constructor(
    readonly dir: string,
    private readonly scratch: string,
    private readonly skiffHome: string,
  ) {}

  /** A copy of examples/<name> (or any folder) ready for `pulumi`, using the engine in `skiffHome`. */
  static async create(source: string, skiffHome: string): Promise<PulumiProject> {
    await requirePulumi();
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-e2e-"));
    const dir = path.join(scratch, path.basename(source));
    await fs.cp(source, dir, {
      recursive: true,
      filter: (src) => !/(^|\/)(node_modules|bin)$/.test(src) && !/Pulumi\.[^/]+\.yaml$/.test(src),
    });
    await fs.mkdir(path.join(dir, "node_modules", "@pulumi"), { recursive: true });
    await fs.symlink(REPO_ROOT, path.join(dir, "node_modules", "skiff-run"), "dir");
    await fs.symlink(path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi"), path.join(dir, "node_modules", "@pulumi", "pulumi"), "dir");
    await fs.mkdir(path.join(scratch, "backend"));
    await fs.mkdir(path.join(scratch, "pulumi-home"));
    return new PulumiProject(dir, scratch, skiffHome);
  }

  static example(name: string, skiffHome: string): Promise<PulumiProject> {
    return PulumiProject.create(path.join(REPO_ROOT, "examples", name), skiffHome);
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PULUMI_HOME: path.join(this.scratch, "pulumi-home"),
      PULUMI_BACKEND_URL: `file://${path.join(this.scratch, "backend")}`,
      PULUMI_CONFIG_PASSPHRASE: "",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      SKIFF_HOME: this.skiffHome,
      ...extra,
    };
  }

  /** `pulumi <args> --stack S --non-interactive`; resolves with the exit code, never throws on it. */
  pulumi(stack: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandResult> {
    return run("pulumi", [...args, "--stack", stack, "--non-interactive", "--color", "never"], {
      cwd: this.dir,
      env: this.env(opts.env),
      timeoutMs: opts.timeoutMs ?? 280_000,
    });
  }

  /** Like pulumi(), but throws with the whole output when the command fails. */
  async ok(stack: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
    const result = await this.pulumi(stack, args, opts);
    if (result.code !== 0) throw new Error(transcript(`pulumi ${args.join(" ")} --stack ${stack}`, result));
    return result;
  }

  async initStack(stack: string, config: Record<string, string> = {}): Promise<void> {
    await this.ok(stack, ["stack", "init"]);
    this.stacks.add(stack);
    for (const [key, value] of Object.entries(config)) await this.ok(stack, ["config", "set", key, value]);
  }

  up(stack: string): Promise<CommandResult> {
    return this.ok(stack, ["up", "--yes"]);
  }

  async outputs(stack: string): Promise<Record<string, any>> {
    const result = await this.ok(stack, ["stack", "output", "--json", "--show-secrets"]);
    return JSON.parse(result.stdout) as Record<string, any>;
  }

  /** The resources in the stack's state (`pulumi stack export`), skiff's only (`skiff:Service`, `skiff/cloudrunv2:Job`, ...). */
  async resources(stack: string): Promise<{ urn: string; type: string; id?: string; inputs: any; outputs: any }[]> {
    const result = await this.ok(stack, ["stack", "export"]);
    const state = JSON.parse(result.stdout) as { deployment: { resources?: any[] } };
    return (state.deployment.resources ?? []).filter((r) => /^pulumi-nodejs:dynamic\/skiff[:/]/.test(String(r.type)));
  }

  /** `pulumi preview --json`: the steps Pulumi would take. */
  async previewSteps(stack: string): Promise<PreviewStep[]> {
    const result = await this.ok(stack, ["preview", "--json"]);
    const parsed = JSON.parse(result.stdout) as { steps?: PreviewStep[] };
    return parsed.steps ?? [];
  }

  /** `skiff review` of this program's stack, as a user runs it (it runs `pulumi preview --json` itself); its stdout. */
  async review(stack: string, args: string[] = []): Promise<string> {
    const result = await run(process.execPath, [CLI_ENTRY, "review", "--cwd", this.dir, "--stack", stack, ...args], {
      env: this.env(),
      timeoutMs: 280_000,
    });
    if (result.code !== 0) throw new Error(transcript(`skiff review --stack ${stack} ${args.join(" ")}`, result));
    return result.stdout;
  }

  /** Destroys and removes every stack this project made, then its folder; safe to call twice. */
  async dispose(): Promise<void> {
    const errors: string[] = [];
    for (const stack of this.stacks) {
      const destroyed = await this.pulumi(stack, ["destroy", "--yes", "--skip-preview"]).catch((e: unknown) => ({
        code: -1,
        stdout: "",
        stderr: String(e),
      }));
      if (destroyed.code !== 0) errors.push(transcript(`pulumi destroy --stack ${stack}`, destroyed));
      await this.pulumi(stack, ["stack", "rm", "--yes", "--force"]).catch(() => undefined);
    }
    this.stacks.clear();
    if (process.env.SKIFF_TEST_KEEP_HOME) console.log(`kept Pulumi project ${this.dir}`);
    else await fs.rm(this.scratch, { recursive: true, force: true });
    if (errors.length > 0) throw new Error(`cleanup of ${this.dir} had errors:\n${errors.join("\n")}`);
  }
}

export interface PreviewStep {
  op: string;
  urn: string;
  oldState?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  newState?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  diffReasons?: string[];
  replaceReasons?: string[];
}

/** The steps about one resource, by its logical name (the end of its URN). */
export function stepsFor(steps: PreviewStep[], kind: string, name: string): PreviewStep[] {
  return steps.filter((s) => s.urn.endsWith(`skiff:${kind}::${name}`));
}

/** Leaf paths whose values differ between two input objects, e.g. `template.scaling.maxInstanceCount`. */
export function changedLeaves(a: unknown, b: unknown, at = ""): string[] {
  const isObj = (v: unknown) => v !== null && typeof v === "object";
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys]
      .filter((k) => k !== "__provider")
      .flatMap((k) => changedLeaves((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
}

export function transcript(command: string, result: CommandResult): string {
  return `$ ${command}\n(exit ${result.code})\n${result.stdout}\n${result.stderr}`;
}

/** `http://hello.dev.localhost:1234` → the Host header a browser would send for it. */
export function hostOfUrl(url: string): string {
  return new URL(url).host;
}

/** Counts which revision answered each of `n` requests to a fixture service (`GET /` says `K_REVISION=...`). */
export async function revisionsServed(port: number, host: string, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const answer = await httpRequest(port, host, "/");
    const key = answer.status === 200 ? answer.body.trim().replace(/^K_REVISION=/, "") : `HTTP ${answer.status}: ${answer.body.trim()}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The ingress port a service URL names. */
export function portOfUrl(url: string): number {
  return Number(new URL(url).port);
}

/**
 * Waits (at most 15 s) until no container carries the labels. A delete answers once the service or
 * revision is out of routing; its instances drain and stop right after, in the background (SPEC 8:
 * `services delete` returns at once), so its containers and instance rows go a moment later.
 */
export async function containersGone(labels: Record<string, string>): Promise<void> {
  await eventually(
    `no container labelled ${JSON.stringify(labels)}`,
    async () => (await containersWithLabels(labels)).length === 0,
    15_000,
  );
}
