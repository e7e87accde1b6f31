import type { Service } from "../../provider/model/service";
import type { ServiceTemplate } from "../../provider/model/template";

/**
 * A stored service `web` in project `default` around `template`, as the engine hands one out:
 * what Knative export and the v2 translation read. `extra` sets anything else (name, url, ...).
 */
export function serviceObject(template: ServiceTemplate, extra: Partial<Service> = {}): Service {
  return {
    name: "web",
    project: "default",
    template,
    labels: {},
    ingress: "all",
    invokers: [],
    traffic: [],
    trafficStatuses: [],
    url: "http://web.localhost:8080",
    generation: 1,
    scaling: [],
    createTime: "t",
    updateTime: "t",
    ...extra,
  };
}
