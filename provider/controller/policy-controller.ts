import { parsePolicy, policyEtag, type Binding, type Policy } from "../model/iam";
import { SkiffError } from "../model/errors";
import type { PolicyKind } from "../state/policy-store";
import type { Store } from "../state/store";
import type { JobController } from "./job-controller";
import type { RoutePublisher } from "./route-publisher";
import type { SecretController } from "./secret-controller";
import type { ServiceController } from "./service-controller";
import { serviceBindings } from "./service-access";

/**
 * IAM policies of services, jobs and secrets (gcloud's get-iam-policy / set-iam-policy, and what
 * add/remove-iam-policy-binding and the SDK's IAM resources read and write). Only a service's has
 * a local effect (who may call it); a job's and a secret's are kept as set, for the scripts and
 * tools that write and read them (gcloud secrets add-iam-policy-binding ... secretAccessor). A policy is set whole;
 * one set from a stale read (its etag no longer matches) is refused with 409 and changes nothing.
 * A service's change takes effect on the ingress's next request.
 */
export class PolicyController {
  constructor(
    private readonly deps: {
      store: Store;
      services: ServiceController;
      jobs: JobController;
      secrets: SecretController;
      publisher: RoutePublisher;
    },
  ) {}

  get(project: string, kind: PolicyKind, name: string): Policy {
    this.requireResource(project, kind, name);
    return withEtag(this.bindingsOf(project, kind, name));
  }

  set(project: string, kind: PolicyKind, name: string, body: unknown): Policy {
    this.requireResource(project, kind, name);
    const policy = parsePolicy(body);
    const current = this.bindingsOf(project, kind, name);
    if (policy.etag !== undefined && policy.etag !== policyEtag(current)) {
      throw new SkiffError(
        "CONFLICT",
        `the IAM policy of ${kind} "${name}" was changed by someone else since it was read; read it again and retry`,
        [{ field: "policy.etag", reason: "the policy changed since it was read" }],
      );
    }
    this.deps.store.policies.put(project, kind, name, policy.bindings);
    if (kind === "service") this.deps.publisher.publish(project, name);
    return withEtag(policy.bindings);
  }

  private bindingsOf(project: string, kind: PolicyKind, name: string): Binding[] {
    return kind === "service" ? serviceBindings(this.deps.store, project, name) : (this.deps.store.policies.get(project, kind, name) ?? []);
  }

  /** 404 naming the service, job or secret when it does not exist. */
  private requireResource(project: string, kind: PolicyKind, name: string): void {
    if (kind === "service") this.deps.services.getService(project, name);
    else if (kind === "job") this.deps.jobs.get(project, name);
    else this.deps.secrets.get(project, name);
  }
}

function withEtag(bindings: Binding[]): Policy {
  return { bindings, etag: policyEtag(bindings) };
}
