import type { DomainMapping } from "../../provider/model/domain-mapping";
import { checkDomainMappingInputs, type DomainMappingInputs } from "../check/domain-mapping";
import { diffDomainMapping } from "../diff/domain-mapping";
import { configure, engine, explain, isNotFound, type ProviderConfig } from "./engine";

/** The DomainMapping resource's provider: requests with this Host go to the service. */
export interface DomainMappingOutputs extends DomainMappingInputs {
  url: string;
  status: DomainMapping["status"];
}

function outputsOf(inputs: DomainMappingInputs, mapping: DomainMapping): DomainMappingOutputs {
  return { ...inputs, url: mapping.url, status: mapping.status };
}

export const provider = {
  configure(config: ProviderConfig | undefined) {
    configure(config);
  },

  check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    return checkDomainMappingInputs(news);
  },

  diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffDomainMapping(olds, news);
  },

  async create(inputs: DomainMappingInputs) {
    const client = await engine();
    try {
      const mapping = await client.createDomainMapping(inputs.project, inputs.domain, inputs.service);
      return { id: inputs.domain, outs: outputsOf(inputs, mapping) };
    } catch (error) {
      throw explain(`mapping domain "${inputs.domain}" to service "${inputs.service}"`, error);
    }
  },

  async read(id: string, props: DomainMappingOutputs) {
    const client = await engine();
    try {
      const m = await client.getDomainMapping(props.project, props.domain ?? id);
      return { id, props: outputsOf({ domain: m.domain, service: m.service, project: m.project }, m) };
    } catch (error) {
      if (isNotFound(error)) return { id: "", props: {} };
      throw explain(`reading domain mapping "${props.domain ?? id}"`, error);
    }
  },

  async delete(id: string, props: DomainMappingOutputs) {
    const client = await engine();
    try {
      await client.deleteDomainMapping(props.project, props.domain ?? id);
    } catch (error) {
      if (!isNotFound(error)) throw explain(`deleting domain mapping "${props.domain ?? id}"`, error);
    }
  },
};
