import * as path from "node:path";
import { z } from "zod";
import { invalidFromViolations, SkiffError, violationsOf } from "./errors";

/**
 * A build of a directory into an image (`--source DIR`, the SDK's Image): what is asked, what it
 * gives back. The engine reads the directory itself: it runs on the same machine as its clients
 * (its admin API listens on 127.0.0.1 only), so the context never crosses the API.
 */

export const buildRequestSchema = z
  .object({
    /** The service or job the image is for: part of its tag. */
    name: z.string().regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a lowercase name such as web"),
    kind: z.enum(["service", "job", "image"]).default("service"),
    /** Absolute path of the build context. */
    context: z.string().refine((p) => path.isAbsolute(p), "must be an absolute path"),
    /** The Dockerfile, relative to the context. */
    dockerfile: z
      .string()
      .min(1)
      .refine((p) => !path.isAbsolute(p) && !p.split(/[\\/]/).includes(".."), "must be a path inside the context")
      .default("Dockerfile"),
    buildArgs: z.record(z.string(), z.string()).default({}),
    target: z.string().min(1).optional(),
  })
  .strict();
export type BuildRequest = z.infer<typeof buildRequestSchema>;
export type BuildRequestInput = z.input<typeof buildRequestSchema>;

export const buildResultSchema = z.object({
  /** `skiff.local/<project>/<name>:<content hash>`: what a template names. */
  image: z.string(),
  /** The image id Docker gave it (`sha256:…`): what a revision pins. */
  imageId: z.string(),
  contentHash: z.string(),
  /** false when an image of the same content existed already. */
  built: z.boolean(),
});
export type BuildResult = z.infer<typeof buildResultSchema>;

/** What a build would make, without building: the tag its sources name and, when Docker has it already, its id. */
export const buildPlanSchema = z.object({ image: z.string(), contentHash: z.string(), imageId: z.string().optional() });
export type BuildPlan = z.infer<typeof buildPlanSchema>;

/** One line of a build's streamed answer: progress, then exactly one result or failure. */
export const buildEventSchema = z.union([
  z.object({ progress: z.string() }),
  z.object({ result: buildResultSchema }),
  z.object({
    failure: z.object({
      message: z.string(),
      /** The step that failed, e.g. `Step 2/3 : RUN npm test`, when the build got that far. */
      step: z.string().optional(),
      /** The build's last output lines before it failed. */
      lastLines: z.array(z.string()),
    }),
  }),
]);
export type BuildEvent = z.infer<typeof buildEventSchema>;

/** A build that ran and failed: a user error (their Dockerfile or code), with its step and last lines. */
export class BuildFailedError extends SkiffError {
  constructor(
    message: string,
    readonly step: string | undefined,
    readonly lastLines: string[],
  ) {
    super("FAILED_PRECONDITION", message, [{ field: "source", reason: message }]);
  }
}

/**
 * What the engine would suggest for a directory with no Dockerfile, from the files at its top:
 * a minimal Dockerfile per language, printed for the user to add, never written for them.
 */
export function suggestedDockerfile(topLevelFiles: string[]): string | undefined {
  const has = (name: string) => topLevelFiles.includes(name);
  if (has("package.json")) {
    return [
      "FROM node:22-slim",
      "WORKDIR /app",
      "COPY package*.json ./",
      "RUN npm ci --omit=dev",
      "COPY . .",
      "ENV PORT=8080",
      'CMD ["npm", "start"]',
    ].join("\n");
  }
  if (has("requirements.txt")) {
    return [
      "FROM python:3.12-slim",
      "WORKDIR /app",
      "COPY requirements.txt .",
      "RUN pip install --no-cache-dir -r requirements.txt",
      "COPY . .",
      "ENV PORT=8080",
      'CMD ["python", "main.py"]',
    ].join("\n");
  }
  if (has("go.mod")) {
    return [
      "FROM golang:1.26 AS build",
      "WORKDIR /src",
      "COPY . .",
      "RUN CGO_ENABLED=0 go build -o /server .",
      "FROM scratch",
      "COPY --from=build /server /server",
      'ENTRYPOINT ["/server"]',
    ].join("\n");
  }
  return undefined;
}

/** The error for a context without its Dockerfile: what to add, and a suggestion when the language is recognised. */
export function missingDockerfileMessage(context: string, dockerfile: string, topLevelFiles: string[]): string {
  const lines = [`${path.join(context, dockerfile)} does not exist; add a Dockerfile to ${context} (or name one with --dockerfile)`];
  const suggestion = suggestedDockerfile(topLevelFiles);
  if (suggestion) lines.push("A minimal Dockerfile for this directory (not written; save it as Dockerfile to use it):", "", suggestion);
  return lines.join("\n");
}

export function parseBuildRequest(input: unknown): BuildRequest {
  const result = buildRequestSchema.safeParse(input);
  if (!result.success) throw invalidFromViolations(violationsOf(result.error));
  return result.data;
}
