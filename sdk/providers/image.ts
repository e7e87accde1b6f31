import { BuildFailureError } from "../../provider/client/api-client";
import { checkImageInputs, type ImageInputs } from "../check/image";
import { diffImage } from "../diff/image";
import { isUnknown } from "../preview-values/unknowns";
import { configure, engine, explain, isNotFound, previewFacts, type ProviderConfig } from "./engine";

/** The Image resource's provider: the engine builds the directory; unchanged sources are not built again. */
export interface ImageOutputs extends ImageInputs {
  /** The image id Docker gave it (`sha256:…`): what a revision pins. */
  imageDigest: string;
}

async function build(inputs: ImageInputs): Promise<ImageOutputs> {
  const { name, project, context, dockerfile, buildArgs, target } = inputs;
  try {
    const client = await engine();
    const result = await client.buildSource(project, { name, kind: "image", context, dockerfile, buildArgs, target });
    // The directory may have changed since check: the outputs say what was built.
    return { ...inputs, contentHash: result.contentHash, ref: result.image, imageDigest: result.imageId };
  } catch (error) {
    if (error instanceof BuildFailureError) {
      const where = error.step ? ` at ${error.step}` : "";
      throw new Error(`building image "${name}" from ${context} failed${where}:\n${error.lastLines.join("\n")}\n${error.message}`, {
        cause: error,
      });
    }
    throw explain(`building image "${name}" from ${context}`, error);
  }
}

/**
 * The digest of the image the sources name, when Docker has it already (unchanged sources: the
 * state's; else asked of a running engine). Left out otherwise: check may not return an unknown
 * value during `up`, and an output missing from the checked inputs reads as unknown in a preview.
 */
async function digestAtPreview(olds: Record<string, unknown>, inputs: ImageInputs): Promise<{ imageDigest?: string }> {
  if (olds.ref === inputs.ref && typeof olds.imageDigest === "string" && !isUnknown(olds.imageDigest))
    return { imageDigest: olds.imageDigest };
  const imageId = (await previewFacts(inputs.ref)).imageId;
  return imageId ? { imageDigest: imageId } : {};
}

export const provider = {
  configure(config: ProviderConfig | undefined) {
    configure(config);
  },
  async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    const outcome = await checkImageInputs(news);
    if (outcome.failures.length > 0 || outcome.inputs.ref === undefined) return outcome;
    return { ...outcome, inputs: { ...outcome.inputs, ...(await digestAtPreview(olds, outcome.inputs)) } };
  },
  diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffImage(olds, news);
  },
  async create(inputs: ImageInputs) {
    return { id: `${inputs.project}/${inputs.name}`, outs: await build(inputs) };
  },
  async update(_id: string, _olds: ImageOutputs, news: ImageInputs) {
    return { outs: await build(news) };
  },
  async read(id: string, props: ImageOutputs) {
    try {
      const local = await (await engine()).localImage(props.ref);
      return { id, props: { ...props, imageDigest: local.id } };
    } catch (error) {
      if (isNotFound(error)) return { id: "", props: {} };
      throw explain(`reading image ${props.ref}`, error);
    }
  },
  /** Removes every image built for it (older ones too); one a running container still uses stays. */
  async delete(_id: string, props: ImageOutputs) {
    try {
      await (await engine()).removeBuiltImages(props.project, props.name, "image");
    } catch (error) {
      if (!isNotFound(error)) throw explain(`removing the images of "${props.name}"`, error);
    }
  },
};
