import { canonicalJson } from "../../provider/base/canonical-json";
import type { Service } from "../../provider/model/service";
import { NO_SERVICE_SCALING } from "../../provider/model/service-scaling";
import type { ServiceSpecInput } from "../../provider/model/service";
import { serviceTemplateSchema } from "../../provider/model/template";
import { normalizeTraffic, type TrafficTarget } from "../../provider/model/traffic";
import { checkGcpServiceInputs, type GcpServiceInputs } from "../check/cloudrunv2-service";
import { diffGcpService, gcpServiceDiffTable } from "../diff/cloudrunv2-service";
import { serviceConditions } from "../gcp/conditions";
import { gcpIngress, gcpServiceTemplate, gcpTraffics } from "../gcp/render";
import { translateService } from "../gcp/service-spec";
import { withoutUnwrittenDefaults } from "../gcp/unwritten-defaults";
import { gcpTrafficStatuses } from "../gcp/traffic";
import { gcpServiceAtPreview, knownAtPreview } from "../check/known-at-preview";
import { configure, engine, explain, isNotFound, previewFacts, type ProviderConfig } from "./engine";
import { compact, initFailed } from "./errors";
import { keptName } from "../check/kept-name";
import { alreadyExistsMessage, putService, staleUpdateMessage, StaleUpdateError } from "./put-service";

/**
 * skiff.cloudrunv2.Service's provider: pulumi-gcp's arguments in, the engine's service out, and
 * pulumi-gcp's outputs (uri, urls, trafficStatuses[].uri, conditions, ...) back. Each deploy
 * sends the whole spec, traffic included: `traffics` owns the service's traffic, as on Cloud Run.
 * Who may call it is not in the spec, as on Cloud Run: a service it creates is private (no
 * invokers), and from then on the cloudrunv2.ServiceIam* resources own its policy.
 */
export type GcpServiceOutputs = GcpServiceInputs & Record<string, unknown>;

/** The engine's spec for known inputs (check has run, so a failure here is a bug or a changed secret). */
function engineSpec(inputs: GcpServiceInputs): { spec: ServiceSpecInput; revisionSuffix?: string } {
  const t = translateService(inputs);
  if (t.failures.length > 0) throw new Error(t.failures.map((f) => `${f.property}: ${f.reason}`).join("; "));
  return { spec: t.spec as ServiceSpecInput, revisionSuffix: t.revisionSuffix as string | undefined };
}

function outputsOf(inputs: GcpServiceInputs, service: Service, failure?: string): GcpServiceOutputs {
  return compact({
    ...inputs,
    // Its own URLs off (defaultUriDisabled): no uri and no urls.
    uri: service.url || undefined,
    urls: service.url ? [service.url] : [],
    latestCreatedRevision: service.latestCreatedRevision,
    latestReadyRevision: service.latestReadyRevision,
    trafficStatuses: gcpTrafficStatuses(service.trafficStatuses),
    ...serviceConditions({ ...service, failure, routed: service.trafficStatuses.length > 0 }),
    createTime: service.createTime,
    updateTime: service.updateTime,
    // Cloud Run's generation is a string; it is also what an update names, so a change made
    // outside the stack is not silently undone.
    generation: String(service.generation),
    observedGeneration: String(service.generation),
    reconciling: false,
  });
}

async function deploy(inputs: GcpServiceInputs, action: "creating" | "updating", expectedGeneration?: number): Promise<GcpServiceOutputs> {
  const { spec, revisionSuffix } = engineSpec(inputs);
  // Created private, as pulumi-gcp's service is until an IAM resource grants roles/run.invoker;
  // an update leaves the policy to those resources.
  if (action === "creating") spec.invokers = [];
  const where = `service "${inputs.name}" in project "${inputs.skiffProject}"`;
  const client = await engine();
  let answer;
  try {
    answer = await putService(client, inputs.skiffProject, inputs.name, spec, { expectedGeneration, revisionSuffix });
  } catch (error) {
    if (error instanceof StaleUpdateError) throw new Error(`${action} ${where}: ${staleUpdateMessage(error)}`, { cause: error });
    throw explain(`${action} ${where}`, error);
  }
  if (answer.revision?.status === "FAILED") {
    const message = `revision ${answer.revision.name} of service "${inputs.name}" failed: ${answer.revision.error ?? "no reason given"}`;
    throw initFailed(message, inputs.name, outputsOf(inputs, answer.service, message));
  }
  return outputsOf(inputs, answer.service);
}

/**
 * The inputs as the engine now has them: each part (template, labels, ingress, traffics) kept as
 * written while the engine still runs what it says, else read back in pulumi-gcp's shape, so a
 * refresh records only what was changed outside the stack.
 */
function readBack(inputs: GcpServiceInputs, s: Service): GcpServiceInputs {
  const t = translateService(inputs);
  const spec =
    t.failures.length > 0
      ? undefined
      : (t.spec as {
          template: unknown;
          labels: unknown;
          ingress: unknown;
          traffic: TrafficTarget[];
          customAudiences: unknown;
          description: unknown;
          defaultUriDisabled: unknown;
          serviceScaling: unknown;
        });
  const same = (a: unknown, b: unknown) => spec !== undefined && canonicalJson(a) === canonicalJson(b);
  const runsTemplate = (template: unknown) => {
    const candidate = translateService({ ...inputs, template } as GcpServiceInputs);
    if (candidate.failures.length > 0) return false;
    const parsed = serviceTemplateSchema.safeParse((candidate.spec as { template: unknown }).template);
    return parsed.success && canonicalJson(parsed.data) === canonicalJson(s.template);
  };
  return {
    ...inputs,
    template: runsTemplate(inputs.template)
      ? inputs.template
      : (withoutUnwrittenDefaults(
          gcpServiceTemplate(s.template, inputs.template),
          inputs.template,
          runsTemplate,
        ) as GcpServiceInputs["template"]),
    labels: same(spec?.labels, s.labels) ? inputs.labels : s.labels,
    ingress: same(spec?.ingress, s.ingress) ? inputs.ingress : gcpIngress(s.ingress),
    customAudiences: same(spec?.customAudiences, s.customAudiences ?? []) ? inputs.customAudiences : s.customAudiences,
    description: same(spec?.description, s.description ?? "") ? inputs.description : s.description,
    defaultUriDisabled: same(spec?.defaultUriDisabled, s.defaultUriDisabled ?? false) ? inputs.defaultUriDisabled : s.defaultUriDisabled,
    scaling: same(spec?.serviceScaling, s.serviceScaling ?? NO_SERVICE_SCALING) ? inputs.scaling : gcpServiceScaling(s.serviceScaling),
    traffics: same(spec && normalizeTraffic(spec.traffic), s.traffic) ? inputs.traffics : gcpTraffics(normalizeTraffic(s.traffic)),
  };
}

/** The service's own scaling in pulumi-gcp's shape (Service.scaling); none: left out. */
function gcpServiceScaling(s: Service["serviceScaling"]): GcpServiceInputs["scaling"] {
  if (!s || (s.scalingMode === "AUTOMATIC" && !s.minInstanceCount && !s.maxInstanceCount)) return undefined;
  return s as GcpServiceInputs["scaling"];
}

/** The input keys (every input is in the diff table) and the outputs `check` writes beside them. */
const inputKeys = [...Object.keys(gcpServiceDiffTable), ...knownAtPreview["cloudrunv2.Service"]];

export const provider = {
  configure(config: ProviderConfig | undefined) {
    configure(config);
  },

  async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    const outcome = checkGcpServiceInputs(keptName(olds, news));
    if (outcome.failures.length > 0) return outcome;
    return { ...outcome, inputs: { ...outcome.inputs, ...gcpServiceAtPreview(olds, outcome.inputs, await previewFacts()) } };
  },

  diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffGcpService(olds, news);
  },

  async create(inputs: GcpServiceInputs) {
    const client = await engine();
    const existing = await client.getService(inputs.skiffProject, inputs.name).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw explain(`looking up service "${inputs.name}"`, error);
    });
    if (existing) {
      throw new Error(alreadyExistsMessage(inputs.name, inputs.skiffProject));
    }
    return { id: inputs.name, outs: await deploy(inputs, "creating", 0) };
  },

  async update(_id: string, olds: GcpServiceOutputs, news: GcpServiceInputs) {
    const generation = Number(olds.generation);
    return { outs: await deploy(news, "updating", Number.isInteger(generation) ? generation : undefined) };
  },

  async read(id: string, props: GcpServiceOutputs) {
    const client = await engine();
    try {
      const s = await client.getService(props.skiffProject, props.name ?? id);
      const outs = outputsOf(readBack(props, s), s);
      const inputs = Object.fromEntries(inputKeys.filter((key) => key in outs).map((key) => [key, outs[key]]));
      return { id, props: outs, inputs };
    } catch (error) {
      if (isNotFound(error)) return { id: "", props: {} };
      throw explain(`reading service "${props.name ?? id}"`, error);
    }
  },

  async delete(id: string, props: GcpServiceOutputs) {
    const client = await engine();
    try {
      await client.deleteService(props.skiffProject, props.name ?? id);
    } catch (error) {
      if (!isNotFound(error)) throw explain(`deleting service "${props.name ?? id}"`, error);
    }
  },
};
