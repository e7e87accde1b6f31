import type { DomainMapping } from "../../provider/model/domain-mapping";
import { checkGcpDomainMappingInputs, type GcpDomainMappingInputs } from "../check/cloudrun-domain-mapping";
import { diffGcpDomainMapping } from "../diff/cloudrun-domain-mapping";
import { domainMappingStatuses } from "../gcp/conditions";
import { configure, engine, explain, isNotFound, type ProviderConfig } from "./engine";

/** skiff.cloudrun.DomainMapping's provider: requests whose Host is `name` go to `spec.routeName`. */
export type GcpDomainMappingOutputs = GcpDomainMappingInputs & Record<string, unknown>;

function outputsOf(inputs: GcpDomainMappingInputs, mapping: Pick<DomainMapping, "service">): GcpDomainMappingOutputs {
  return { ...inputs, statuses: domainMappingStatuses(mapping.service) };
}

export const provider = {
  configure(config: ProviderConfig | undefined) {
    configure(config);
  },

  check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    return checkGcpDomainMappingInputs(news);
  },

  diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffGcpDomainMapping(olds, news);
  },

  async create(inputs: GcpDomainMappingInputs) {
    const client = await engine();
    try {
      const mapping = await client.createDomainMapping(inputs.skiffProject, inputs.name, inputs.spec.routeName);
      return { id: inputs.name, outs: outputsOf(inputs, mapping) };
    } catch (error) {
      throw explain(`mapping domain "${inputs.name}" to service "${inputs.spec.routeName}"`, error);
    }
  },

  /** Only fields with no local meaning change in place (the domain and the service replace): the state takes them. */
  async update(_id: string, _olds: GcpDomainMappingOutputs, news: GcpDomainMappingInputs) {
    return { outs: outputsOf(news, { service: news.spec.routeName }) };
  },

  async read(id: string, props: GcpDomainMappingOutputs) {
    const client = await engine();
    try {
      const m = await client.getDomainMapping(props.skiffProject, props.name ?? id);
      const inputs = m.service === props.spec?.routeName ? props : { ...props, spec: { ...props.spec, routeName: m.service } };
      return { id, props: outputsOf(inputs, m) };
    } catch (error) {
      if (isNotFound(error)) return { id: "", props: {} };
      throw explain(`reading domain mapping "${props.name ?? id}"`, error);
    }
  },

  async delete(id: string, props: GcpDomainMappingOutputs) {
    const client = await engine();
    try {
      await client.deleteDomainMapping(props.skiffProject, props.name ?? id);
    } catch (error) {
      if (!isNotFound(error)) throw explain(`deleting domain mapping "${props.name ?? id}"`, error);
    }
  },
};
