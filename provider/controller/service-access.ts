import type { ServiceAccess } from "../identity/access-gate";
import { ALL_AUTHENTICATED_USERS, ALL_USERS, DEFAULT_SERVICE_BINDINGS, invokersOf, type Binding } from "../model/iam";
import type { Ingress } from "../model/service";
import type { Store } from "../state/store";

/** A service's bindings: those set, or the default (public) where none ever were. */
export function serviceBindings(store: Store, project: string, service: string): Binding[] {
  return store.policies.get(project, "service", service) ?? [...DEFAULT_SERVICE_BINDINGS];
}

/** What the ingress checks for a service, from its ingress setting, its invokers and its custom audiences. */
export function serviceAccess(ingress: Ingress, bindings: readonly Binding[], customAudiences: readonly string[] = []): ServiceAccess {
  const invokers = invokersOf(bindings);
  return {
    // There is no load balancer here: "internal-and-cloud-load-balancing" answers what "internal" does.
    internalOnly: ingress !== "all",
    public: invokers.includes(ALL_USERS),
    anyAuthenticated: invokers.includes(ALL_AUTHENTICATED_USERS),
    invokers: new Set(invokers.filter((m) => m.startsWith("user:") || m.startsWith("serviceAccount:"))),
    customAudiences: new Set(customAudiences),
  };
}
