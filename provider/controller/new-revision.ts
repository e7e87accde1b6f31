import { invalid, notFound, SkiffError } from "../model/errors";
import { imageReferenceProblem } from "../model/image-reference";
import { revisionNameSchema } from "../model/names";
import { templateFingerprint, type LocalImage } from "../model/revision";
import type { ServiceTemplate } from "../model/template";
import type { ContainerRuntime } from "../runtime/container-runtime";
import type { RevisionRow, ServiceRow } from "../state/store";

// What a new revision is made of, by a deploy or a candidate: the images it pins (or would: a
// preview's look-up), the name it may take, and its row, PENDING until revision-lifecycle.ts brings it up.

/** The image ids a new revision pins: the ingress container's and each sidecar's by name. */
export type PinnedImages = Pick<RevisionRow, "imageDigest" | "sidecarDigests">;

/** The image id of every container of the template (pulled when missing), which its revision runs. */
export async function pinImages(runtime: ContainerRuntime, template: ServiceTemplate): Promise<PinnedImages> {
  const imageDigest = await runtime.resolveImage(template.image);
  if (!template.sidecars?.length) return { imageDigest };
  const digests = await Promise.all(
    template.sidecars.map(async (s, i) => {
      try {
        return [s.name, await runtime.resolveImage(s.image)] as const;
      } catch (error) {
        throw sidecarImageError(error, i);
      }
    }),
  );
  return { imageDigest, sidecarDigests: Object.fromEntries(digests) };
}

/** The id of an image Docker has locally, without pulling it: what a revision would pin (previews ask). */
export async function lookUpLocalImage(runtime: ContainerRuntime, image: string | null): Promise<LocalImage> {
  if (image === null) throw invalid("ref", "is required: the image reference to look up");
  const problem = imageReferenceProblem(image);
  if (problem !== undefined) throw invalid("ref", problem);
  const id = await runtime.localImageId(image);
  if (id === undefined) throw notFound("image", image, undefined, "Docker does not have it locally (a deploy would pull it)");
  return { image, id };
}

/** A sidecar's image that cannot be had: the same reason, naming the sidecar's field. */
function sidecarImageError(error: unknown, index: number): unknown {
  if (!(error instanceof SkiffError)) return error;
  const field = `template.sidecars[${index}].image`;
  const reason = error.violations[0]?.reason ?? error.message;
  return new SkiffError(error.code, `${field}: ${reason}`, [{ field, reason }]);
}

/** A revision name asked for must be a valid name, and new unless it names this same template (as in Cloud Run). */
export function checkRevisionName(project: string, name: string, existing: RevisionRow | undefined, template: ServiceTemplate): void {
  const problem = revisionNameSchema.safeParse(name);
  if (!problem.success) throw invalid("revisionSuffix", `"${name}" ${problem.error.issues[0]?.message ?? "is not a valid revision name"}`);
  if (existing && existing.fingerprint !== templateFingerprint(template)) {
    throw new SkiffError(
      "ALREADY_EXISTS",
      `revision "${name}" already exists in project "${project}" with another template; revisions never change, so name the new one differently`,
      [{ field: "revisionSuffix", reason: `revision "${name}" already exists with another template` }],
    );
  }
}

/** The row of a revision `name` of `service`, made now from `template`: PENDING, at the service's next generation. */
export function newRevisionRow(
  service: ServiceRow,
  name: string,
  template: ServiceTemplate,
  images: PinnedImages,
  origin: RevisionRow["origin"],
  now: string,
): RevisionRow {
  return {
    project: service.project,
    name,
    service: service.name,
    generation: service.nextGeneration,
    origin,
    template,
    fingerprint: templateFingerprint(template),
    image: template.image,
    imageDigest: images.imageDigest,
    ...(images.sidecarDigests ? { sidecarDigests: images.sidecarDigests } : {}),
    status: "PENDING",
    createTime: now,
  };
}
