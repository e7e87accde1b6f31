import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { contextHash, readBuildContext } from "../../provider/base/build-context";
import { sourceImageTag } from "../../provider/model/derived-names";
import { projectNameSchema, serviceNameSchema } from "../../provider/model/names";
import { buildRequestSchema, missingDockerfileMessage } from "../../provider/model/source-build";
import { containsUnknown } from "../preview-values/unknowns";
import { validate } from "../preview-values/validate";
import { CheckOutcome, InputsBuilder } from "./result";

/** An Image's inputs after `check`: `contentHash` and `ref` are computed here, from the directory. */
export interface ImageInputs {
  name: string;
  project: string;
  context: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  target?: string;
  /** What the build sends, hashed (base/build-context.ts): the diff compares this, not the path or times. */
  contentHash: string;
  /** `skiff.local/<project>/<name>:<contentHash>`, known at preview. */
  ref: string;
}

const shape = buildRequestSchema.shape;

/**
 * Checks an Image and hashes its directory. Hashing here, in the program's own provider process,
 * is what lets a preview of unchanged sources show no change, with no engine and nothing built.
 */
export async function checkImageInputs(news: Record<string, unknown>): Promise<CheckOutcome<ImageInputs>> {
  const b = new InputsBuilder();
  b.field("name", news.name, validate(serviceNameSchema, news.name, ["name"]));
  b.field("project", news.project, validate(projectNameSchema, news.project, ["project"]));
  b.field("context", news.context, validate(shape.context, news.context, ["context"]));
  b.field("dockerfile", news.dockerfile, validate(shape.dockerfile, news.dockerfile, ["dockerfile"]));
  b.field("buildArgs", news.buildArgs, validate(shape.buildArgs, news.buildArgs, ["buildArgs"]));
  b.field("target", news.target, validate(shape.target, news.target ?? undefined, ["target"]));
  const outcome = b.done<ImageInputs>();
  const inputs = outcome.inputs;
  if (outcome.failures.length > 0 || containsUnknown(inputs)) return outcome;
  if (!existsSync(inputs.context)) {
    b.fail("context", `${inputs.context} does not exist`);
    return b.done();
  }
  if (!existsSync(path.join(inputs.context, inputs.dockerfile))) {
    b.fail("dockerfile", missingDockerfileMessage(inputs.context, inputs.dockerfile, readdirSync(inputs.context)));
    return b.done();
  }
  const contentHash = await contextHash(await readBuildContext(inputs.context), inputs);
  return { inputs: { ...inputs, contentHash, ref: sourceImageTag(inputs.project, inputs.name, contentHash) }, failures: [] };
}
