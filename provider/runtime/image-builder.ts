import Docker from "dockerode";
import { SkiffError } from "../model/errors";
import { BuildFailedError } from "../model/source-build";
import type { BuildContext } from "../base/build-context";
import { LABEL } from "./labels";

/** How many of a failed build's last output lines its error shows. */
const LAST_LINES = 12;

export interface ImageBuildSpec {
  context: BuildContext;
  tag: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
}

/** Builds images and answers about them; only this file and docker-runtime.ts drive dockerode. */
export interface ImageBuilder {
  /** The image id of `tag`, undefined when Docker does not have it. */
  imageId(tag: string): Promise<string | undefined>;
  /** Builds and tags; each output line goes to onLine; a failed build rejects with a BuildFailedError. */
  build(spec: ImageBuildSpec, onLine: (line: string) => void): Promise<string>;
  /** Removes images carrying all these labels (an engine's own): how many went, how many a running container still uses. */
  removeImages(labels: Record<string, string>): Promise<{ removed: number; inUse: number }>;
}

export class DockerImageBuilder implements ImageBuilder {
  constructor(private readonly docker: Docker = new Docker()) {}

  async imageId(tag: string): Promise<string | undefined> {
    try {
      return (await this.docker.getImage(tag).inspect()).Id;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async build(spec: ImageBuildSpec, onLine: (line: string) => void): Promise<string> {
    const lines: string[] = [];
    let step: string | undefined;
    const seen = (text: string) => {
      for (const line of text.split("\n")) {
        const trimmed = line.trimEnd();
        if (!trimmed) continue;
        if (/^Step \d+\/\d+ : /.test(trimmed)) step = trimmed;
        lines.push(trimmed);
        if (lines.length > 200) lines.splice(0, lines.length - 200);
        onLine(trimmed);
      }
    };
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.buildImage(
        { context: spec.context.dir, src: spec.context.files },
        {
          t: spec.tag,
          dockerfile: spec.dockerfile,
          buildargs: spec.buildArgs,
          target: spec.target,
          labels: spec.labels,
          rm: true,
          forcerm: true,
        },
      );
    } catch (error) {
      throw new BuildFailedError(`the build could not start: ${(error as Error).message}`, undefined, []);
    }
    const failure = await new Promise<string | undefined>((resolve, reject) => {
      let error: string | undefined;
      this.docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve(error)),
        (event: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }) => {
          if (event.stream) seen(event.stream);
          else if (event.status) seen(event.status);
          if (event.error) error = event.errorDetail?.message ?? event.error;
        },
      );
    });
    if (failure !== undefined) {
      const where = step ? ` at ${step}` : "";
      throw new BuildFailedError(`the build failed${where}: ${failure}`, step, lines.slice(-LAST_LINES));
    }
    const id = await this.imageId(spec.tag);
    if (!id) throw new SkiffError("INTERNAL", `the build ended but Docker has no image ${spec.tag}`);
    return id;
  }

  async removeImages(labels: Record<string, string>): Promise<{ removed: number; inUse: number }> {
    const images = await this.docker.listImages({
      filters: JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) }),
    });
    let removed = 0;
    let inUse = 0;
    for (const image of images) {
      try {
        await this.docker.getImage(image.Id).remove({ force: true });
        removed++;
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status === 409) inUse++;
        else if (status !== 404) throw error;
      }
    }
    return { removed, inUse };
  }
}

/** The labels on an image the engine built: whose it is, so cleanup finds it by label. */
export function builtImageLabels(
  engineId: string,
  project: string,
  kind: "service" | "job" | "image",
  name: string,
): Record<string, string> {
  const owner = kind === "job" ? LABEL.job : kind === "service" ? LABEL.service : LABEL.image;
  return { [LABEL.managed]: "true", [LABEL.engine]: engineId, [LABEL.project]: project, [owner]: name };
}
