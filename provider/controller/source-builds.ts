import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { Logger } from "../base/logger";
import { sourceImageTag } from "../model/derived-names";
import { SkiffError } from "../model/errors";
import { checkProject } from "../model/names";
import { missingDockerfileMessage, parseBuildRequest, type BuildPlan, type BuildResult } from "../model/source-build";
import { contextHash, readBuildContext } from "../base/build-context";
import { builtImageLabels, type ImageBuilder } from "../runtime/image-builder";
import { KeyedLock } from "./keyed-lock";

export interface SourceBuildDeps {
  builder: ImageBuilder;
  engineId: string;
  log: Logger;
}

/**
 * Builds a directory into `skiff.local/<project>/<name>:<content hash>`. The hash covers what the
 * build sends (after the ignore file) and its settings, so unchanged sources find their image
 * already there and build nothing; the template then names the same image and the deploy makes no
 * revision. Builds of one tag run one at a time (two `skiff dev` saves in a row, two programs).
 */
export class SourceBuilds {
  private readonly lock = new KeyedLock();

  constructor(private readonly deps: SourceBuildDeps) {}

  /** Checks the request and reads the context; what is wrong is an error before any output. */
  async prepare(project: string, body: unknown) {
    checkProject(project);
    const request = parseBuildRequest(body);
    const stat = await fs.stat(request.context).catch(() => undefined);
    if (!stat?.isDirectory()) {
      throw new SkiffError("INVALID_ARGUMENT", `context: ${request.context} is not a directory`, [
        { field: "context", reason: `${request.context} is not a directory` },
      ]);
    }
    const dockerfileStat = await fs.stat(path.join(request.context, request.dockerfile)).catch(() => undefined);
    if (!dockerfileStat?.isFile()) {
      const message = missingDockerfileMessage(request.context, request.dockerfile, await fs.readdir(request.context));
      throw new SkiffError("INVALID_ARGUMENT", message, [{ field: "source", reason: message }]);
    }
    const context = await readBuildContext(request.context);
    const hash = await contextHash(context, request);
    const tag = sourceImageTag(project, request.name, hash);
    return { project, request, context, hash, tag };
  }

  /** The image the sources name now, without building (a Pulumi preview asks it); its id when it exists. */
  async plan(project: string, body: unknown): Promise<BuildPlan> {
    const { tag, hash } = await this.prepare(project, body);
    return { image: tag, contentHash: hash, imageId: await this.deps.builder.imageId(tag) };
  }

  /**
   * Removes the images built for a service, job or Image resource (by the engine's labels). Its
   * containers may still be stopping (a service's delete returns once it is out of routing), and
   * Docker refuses to remove an image a running container uses: it is asked again for up to 30 s.
   */
  async removeImages(project: string, kind: "service" | "job" | "image", name: string): Promise<{ removed: number; inUse: number }> {
    checkProject(project);
    const labels = builtImageLabels(this.deps.engineId, project, kind, name);
    const deadline = Date.now() + 30_000;
    let removed = 0;
    for (;;) {
      const outcome = await this.deps.builder.removeImages(labels);
      removed += outcome.removed;
      if (outcome.inUse === 0 || Date.now() >= deadline) {
        this.deps.log.info("built images removed", { project, [kind]: name, removed, inUse: outcome.inUse });
        return { removed, inUse: outcome.inUse };
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Builds unless the tag exists; each output line goes to onLine and into the engine's log. */
  async build(prepared: Awaited<ReturnType<SourceBuilds["prepare"]>>, onLine: (line: string) => void): Promise<BuildResult> {
    const { project, request, context, hash, tag } = prepared;
    return this.lock.run(tag, async () => {
      const existing = await this.deps.builder.imageId(tag);
      if (existing) return { image: tag, imageId: existing, contentHash: hash, built: false };
      this.deps.log.info("build started", { image: tag, context: request.context, files: context.files.length });
      const started = Date.now();
      try {
        const imageId = await this.deps.builder.build(
          {
            context,
            tag,
            dockerfile: request.dockerfile,
            buildArgs: request.buildArgs,
            target: request.target,
            labels: builtImageLabels(this.deps.engineId, project, request.kind, request.name),
          },
          (line) => {
            this.deps.log.info("build", { image: tag, line });
            onLine(line);
          },
        );
        this.deps.log.info("build finished", { image: tag, imageId, ms: Date.now() - started });
        return { image: tag, imageId, contentHash: hash, built: true };
      } catch (error) {
        this.deps.log.warn("build failed", { image: tag, error: (error as Error).message });
        throw error;
      }
    });
  }
}
