import type { Service } from "../../provider/model/service";
import { checkServiceInputs, type ServiceInputs } from "../check/service";
import { diffService } from "../diff/service";
import { knownAtPreview, serviceAtPreview } from "../check/known-at-preview";
import { configure, engine, explain, isNotFound, previewFacts, type ProviderConfig } from "./engine";
import { compact, initFailed } from "./errors";
import { alreadyExistsMessage, putService, staleUpdateMessage, StaleUpdateError } from "./put-service";
import { refreshed } from "./refreshed";
import { keptName } from "../check/kept-name";

/**
 * The Service resource's provider. The Service never sends `traffic`: the engine then keeps traffic
 * as it is, which is 100 % to the latest ready revision until a TrafficTarget takes over, and
 * whatever the TrafficTarget set afterwards. It sends `invokers` only when the program sets them,
 * so without them the service's IAM policy is left to IAM resources (a new service is public).
 */
export interface ServiceOutputs extends ServiceInputs {
  url: string;
  /** The engine's generation of the spec this state last saw: an update names it, so a change made behind Pulumi's back is not silently undone. */
  generation: number;
  latestCreatedRevision?: string;
  latestReadyRevision?: string;
  trafficStatuses: Service["trafficStatuses"];
}

function outputsOf(inputs: ServiceInputs, service: Service): ServiceOutputs {
  return compact({
    ...inputs,
    url: service.url,
    generation: service.generation,
    latestCreatedRevision: service.latestCreatedRevision,
    latestReadyRevision: service.latestReadyRevision,
    trafficStatuses: service.trafficStatuses,
  });
}

async function deploy(inputs: ServiceInputs, action: string, expectedGeneration?: number): Promise<ServiceOutputs> {
  const client = await engine();
  let answer;
  try {
    // `invokers`, `customAudiences` and the service-level settings only when the program sets them: otherwise they
    // belong to whoever else manages them (gcloud, the console), and an older state gains no diff.
    const spec = {
      template: inputs.template,
      labels: inputs.labels,
      ingress: inputs.ingress,
      invokers: inputs.invokers,
      customAudiences: inputs.customAudiences,
      description: inputs.description,
      defaultUriDisabled: inputs.defaultUriDisabled,
      serviceScaling: inputs.scaling,
    };
    answer = await putService(client, inputs.project, inputs.name, spec, { expectedGeneration });
  } catch (error) {
    if (error instanceof StaleUpdateError) {
      throw new Error(`${action} service "${inputs.name}" in project "${inputs.project}": ${staleUpdateMessage(error)}`, { cause: error });
    }
    throw explain(`${action} service "${inputs.name}" in project "${inputs.project}"`, error);
  }
  const outs = outputsOf(inputs, answer.service);
  if (answer.revision?.status === "FAILED") {
    throw initFailed(
      `revision ${answer.revision.name} of service "${inputs.name}" failed: ${answer.revision.error ?? "no reason given"}`,
      inputs.name,
      outs,
    );
  }
  return outs;
}

export const provider = {
  configure(config: ProviderConfig | undefined) {
    configure(config);
  },

  async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    const outcome = checkServiceInputs(keptName(olds, news));
    if (outcome.failures.length > 0) return outcome;
    return { ...outcome, inputs: { ...outcome.inputs, ...serviceAtPreview(olds, outcome.inputs, await previewFacts()) } };
  },

  diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffService(olds, news);
  },

  async create(inputs: ServiceInputs) {
    const client = await engine();
    const existing = await client.getService(inputs.project, inputs.name).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw explain(`looking up service "${inputs.name}"`, error);
    });
    if (existing) {
      throw new Error(alreadyExistsMessage(inputs.name, inputs.project));
    }
    return { id: inputs.name, outs: await deploy(inputs, "creating", 0) };
  },

  async update(_id: string, olds: ServiceOutputs, news: ServiceInputs) {
    // State written before generations existed has none: then there is nothing to compare.
    return { outs: await deploy(news, "updating", typeof olds.generation === "number" ? olds.generation : undefined) };
  },

  async read(id: string, props: ServiceOutputs) {
    const client = await engine();
    try {
      const s = await client.getService(props.project, props.name ?? id);
      const inputs: ServiceInputs = { name: s.name, project: s.project, template: s.template, labels: s.labels, ingress: s.ingress };
      // Invokers the program sets are read back (someone may have changed the policy since); unset, they stay unset.
      if (props.invokers !== undefined) inputs.invokers = s.invokers;
      if (props.customAudiences !== undefined) inputs.customAudiences = s.customAudiences ?? [];
      if (props.description !== undefined) inputs.description = s.description ?? "";
      if (props.defaultUriDisabled !== undefined) inputs.defaultUriDisabled = s.defaultUriDisabled ?? false;
      if (props.scaling !== undefined) inputs.scaling = s.serviceScaling ?? { scalingMode: "AUTOMATIC" };
      return refreshed(id, inputs, outputsOf(inputs, s), knownAtPreview.Service);
    } catch (error) {
      if (isNotFound(error)) return { id: "", props: {} };
      throw explain(`reading service "${props.name ?? id}"`, error);
    }
  },

  async delete(id: string, props: ServiceOutputs) {
    const client = await engine();
    try {
      await client.deleteService(props.project, props.name ?? id);
    } catch (error) {
      if (!isNotFound(error)) throw explain(`deleting service "${props.name ?? id}"`, error);
    }
  },
};
