import type { Service } from "../../provider/model/service";
import { normalizeTraffic } from "../../provider/model/traffic";
import { checkTrafficTargetInputs, type TrafficTargetInputs } from "../check/traffic-target";
import { diffTrafficTarget } from "../diff/traffic-target";
import { refreshed } from "./refreshed";
import { configure, engine, explain, isNotFound, type ProviderConfig } from "./engine";

/**
 * The TrafficTarget resource's provider: it owns the traffic list of one service while it exists,
 * and hands the service back to "100 % latest ready" (an empty list) when it is deleted.
 */
export interface TrafficTargetOutputs extends TrafficTargetInputs {
  statuses: Service["trafficStatuses"];
}

async function setTraffic(inputs: TrafficTargetInputs, action: string): Promise<TrafficTargetOutputs> {
  const client = await engine();
  try {
    const service = await client.setTraffic(inputs.project, inputs.service, inputs.traffic);
    return { ...inputs, statuses: service.trafficStatuses };
  } catch (error) {
    throw explain(`${action} the traffic of service "${inputs.service}" in project "${inputs.project}"`, error);
  }
}

export const provider = {
  configure(config: ProviderConfig | undefined) {
    configure(config);
  },

  check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    return checkTrafficTargetInputs(news);
  },

  diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return diffTrafficTarget(olds, news);
  },

  async create(inputs: TrafficTargetInputs) {
    return { id: inputs.service, outs: await setTraffic(inputs, "setting") };
  },

  async update(_id: string, _olds: TrafficTargetOutputs, news: TrafficTargetInputs) {
    return { outs: await setTraffic(news, "updating") };
  },

  async read(id: string, props: TrafficTargetOutputs) {
    const client = await engine();
    try {
      const s = await client.getService(props.project, props.service ?? id);
      const inputs: TrafficTargetInputs = { service: s.name, project: s.project, traffic: normalizeTraffic(s.traffic) };
      return refreshed(id, inputs, { ...inputs, statuses: s.trafficStatuses });
    } catch (error) {
      if (isNotFound(error)) return { id: "", props: {} };
      throw explain(`reading the traffic of service "${props.service ?? id}"`, error);
    }
  },

  async delete(id: string, props: TrafficTargetOutputs) {
    const client = await engine();
    try {
      await client.setTraffic(props.project, props.service ?? id, []);
    } catch (error) {
      // The service is gone, and its traffic with it.
      if (!isNotFound(error)) throw explain(`resetting the traffic of service "${props.service ?? id}"`, error);
    }
  },
};
