import { z } from "zod";
import type { PolicyController } from "../controller/policy-controller";
import { CLI_AUDIENCE, mintIdentityToken } from "../identity/tokens";
import type { SigningKey } from "../identity/signing-key";
import { invalidFromViolations, violationsOf } from "../model/errors";
import { serviceAccountSchema } from "../model/iam";
import { route, type Route } from "./server";

export interface IdentityDeps {
  policies: PolicyController;
  key: SigningKey;
  /** Who the person at the terminal is: tokens the CLI asks for are theirs unless they impersonate an account. */
  ownerEmail: string;
}

const P = "/v1/projects/:project";

const tokenRequestSchema = z
  .object({
    /** The URL of the service the token is for; without it, a token only the owner's own calls accept (as gcloud's). */
    audience: z.string().min(1, "must not be empty").optional(),
    /** Mint the token for this service account instead (gcloud's --impersonate-service-account). */
    serviceAccount: serviceAccountSchema.optional(),
  })
  .strict();

/** IAM policies and identity tokens (docs/API.md). */
export function identityRoutes(d: IdentityDeps): Route[] {
  return [
    route("GET", `${P}/services/:service/iamPolicy`, ({ params }) => d.policies.get(params.project, "service", params.service)),
    route("PUT", `${P}/services/:service/iamPolicy`, ({ params, body }) => d.policies.set(params.project, "service", params.service, body)),
    route("GET", `${P}/jobs/:job/iamPolicy`, ({ params }) => d.policies.get(params.project, "job", params.job)),
    route("PUT", `${P}/jobs/:job/iamPolicy`, ({ params, body }) => d.policies.set(params.project, "job", params.job, body)),
    route("GET", `${P}/secrets/:secret/iamPolicy`, ({ params }) => d.policies.get(params.project, "secret", params.secret)),
    route("PUT", `${P}/secrets/:secret/iamPolicy`, ({ params, body }) => d.policies.set(params.project, "secret", params.secret, body)),
    route("POST", "/v1/identityTokens", ({ body }) => {
      const parsed = tokenRequestSchema.safeParse(body ?? {});
      if (!parsed.success) throw invalidFromViolations(violationsOf(parsed.error));
      const email = parsed.data.serviceAccount ?? d.ownerEmail;
      return { email, token: mintIdentityToken(d.key, email, parsed.data.audience ?? CLI_AUDIENCE, Math.floor(Date.now() / 1000)) };
    }),
  ];
}
