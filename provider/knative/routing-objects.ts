import type { Revision } from "../model/revision";
import type { Service } from "../model/service";
import { serviceToKnative, type KnativeObject } from "./objects";

/**
 * A service's Knative Route and Configuration, the two children Knative splits a Service into and
 * gcloud's v1 API serves beside it: the Route holds its traffic and URL, the Configuration its
 * template and revisions. Both are cut from the Service object, so the three always agree.
 */

export function routeToKnative(s: Service, latestCreated?: Revision): KnativeObject {
  const service = serviceToKnative(s, latestCreated);
  const status = service.status as KnativeObject;
  const routes = (status.conditions as KnativeObject[]).find((c) => c.type === "RoutesReady")!;
  return {
    apiVersion: service.apiVersion,
    kind: "Route",
    metadata: childMetadata(service, s),
    spec: { traffic: (service.spec as KnativeObject).traffic },
    status: {
      observedGeneration: status.observedGeneration,
      conditions: [{ ...routes, type: "Ready" }],
      traffic: status.traffic,
      url: status.url,
      address: status.address,
    },
  };
}

export function configurationToKnative(s: Service, latestCreated?: Revision): KnativeObject {
  const service = serviceToKnative(s, latestCreated);
  const status = service.status as KnativeObject;
  const configured = (status.conditions as KnativeObject[]).find((c) => c.type === "ConfigurationsReady")!;
  return {
    apiVersion: service.apiVersion,
    kind: "Configuration",
    metadata: childMetadata(service, s),
    spec: { template: (service.spec as KnativeObject).template },
    status: {
      observedGeneration: status.observedGeneration,
      conditions: [{ ...configured, type: "Ready" }],
      latestCreatedRevisionName: status.latestCreatedRevisionName,
      latestReadyRevisionName: status.latestReadyRevisionName,
    },
  };
}

function childMetadata(service: KnativeObject, s: Service): KnativeObject {
  const metadata = service.metadata as KnativeObject;
  return {
    name: s.name,
    namespace: s.project,
    generation: metadata.generation,
    creationTimestamp: metadata.creationTimestamp,
    labels: { ...s.labels, "serving.knative.dev/service": s.name },
  };
}
