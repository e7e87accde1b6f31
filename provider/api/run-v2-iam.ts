import type { PolicyController } from "../controller/policy-controller";
import { invalid, invalidFromViolations } from "../model/errors";
import type { Policy } from "../model/iam";
import { answer, googleRoute, readMessage } from "./google-http";
import type { Route } from "./server";

/**
 * getIamPolicy, setIamPolicy and testIamPermissions of services and jobs: the same policies
 * `skiff services get-iam-policy` and the SDK's IAM resources read and write. A google.iam.v1
 * Policy's etag is bytes (base64 in JSON); skiff's policy etag travels as those bytes. Only
 * roles/run.invoker of a service acts locally; testIamPermissions grants the caller everything
 * (whoever holds the engine's token owns the engine). The v1 API has the same three methods at
 * `/v1/projects/{p}/locations/{l}/...` (gcloud's add-iam-policy-binding and deploy
 * --allow-unauthenticated call them there), with the same messages.
 */
export function runV2IamRoutes(policies: PolicyController, version: "v1" | "v2" = "v2"): Route[] {
  return (["service", "job"] as const).flatMap((kind) => {
    const base = `/${version}/projects/{project}/locations/{location}/${kind}s/{name}`;
    return [
      googleRoute("GET", `${base}:getIamPolicy`, ({ params, query }) =>
        answer("google.iam.v1.Policy", policyToV2(policies.get(params.project, kind, params.name)), query),
      ),
      googleRoute("POST", `${base}:setIamPolicy`, ({ params, query, body }) => {
        const request = readMessage("google.iam.v1.SetIamPolicyRequest", body, "");
        const policy = (request.policy ?? {}) as { bindings?: unknown[]; etag?: string };
        const etag = policy.etag ? Buffer.from(policy.etag, "base64").toString("utf8") : undefined;
        if (
          request.updateMask !== undefined &&
          !String(request.updateMask)
            .split(",")
            .every((p) => ["bindings", "etag"].includes(p.trim()))
        )
          throw invalid("updateMask", "only bindings and etag of a policy are kept here");
        const bindings = (policy.bindings ?? []) as Record<string, unknown>[];
        // A condition is a rule about the request (time, resource, ...) that skiff has nothing to
        // evaluate with; kept, the binding would grant always what production grants sometimes.
        bindings.forEach((binding, i) => {
          if (binding.condition !== undefined && binding.condition !== null)
            throw invalid(
              `policy.bindings[${i}].condition`,
              "conditional role bindings are not evaluated here, so this one would always grant its role; remove the condition",
            );
        });
        const unconditional = bindings.map(({ condition: _none, ...binding }) => binding);
        const saved = policies.set(params.project, kind, params.name, { bindings: unconditional, ...(etag ? { etag } : {}) });
        return answer("google.iam.v1.Policy", policyToV2(saved), query);
      }),
      googleRoute("POST", `${base}:testIamPermissions`, ({ body }) => {
        // Answered for a service or job that does not exist yet too, as Cloud Run answers it (the
        // caller's permissions come from the project): gcloud's `run deploy` of a new service
        // without --[no-]allow-unauthenticated asks it before the service exists
        // (command_lib/run/flags.py GetAllowUnauthenticated → CanSetIamPolicyBinding).
        const permissions = (body as { permissions?: unknown } | undefined)?.permissions;
        const asked = Array.isArray(permissions) ? permissions.filter((p): p is string => typeof p === "string") : [];
        // google.iam.v1.TestIamPermissionsRequest: "Permissions with wildcards (such as '*' or
        // 'storage.*') are not allowed"; granted here, a check written that way would pass locally.
        const wildcards = asked.flatMap((p, i) => (p.includes("*") ? [i] : []));
        if (wildcards.length > 0)
          throw invalidFromViolations(
            wildcards.map((i) => ({
              field: `permissions[${i}]`,
              reason: `"${asked[i]}" has a wildcard, which testIamPermissions does not take: name each permission (run.services.get)`,
            })),
          );
        return { permissions: asked };
      }),
    ];
  });
}

function policyToV2(p: Policy): Record<string, unknown> {
  return { version: 1, bindings: p.bindings, etag: Buffer.from(p.etag, "utf8").toString("base64") };
}
