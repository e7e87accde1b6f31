import type { SigningKey } from "./signing-key";
import { CLI_AUDIENCE, verifyIdentityToken } from "./tokens";

/**
 * Who may call a service, as the ingress checks it before a request is queued or an instance
 * started (Cloud Run's order): an internal service answers only the engine's own containers of its project (404
 * to anyone else, as Cloud Run does); a private one needs `Authorization: Bearer <identity
 * token>` whose signature verifies against the engine's key, whose audience is the service's URL
 * (or a tag's or mapped domain's; its origin alone, audienceHost) or exactly one of its custom
 * audiences, and whose identity is an invoker: 401 without a valid token,
 * 403 for a valid token of someone else.
 */
export interface ServiceAccess {
  /** ingress internal (or internal-and-cloud-load-balancing: there is no load balancer here). */
  internalOnly: boolean;
  /** allUsers is an invoker: no token is checked. */
  public: boolean;
  /** allAuthenticatedUsers is an invoker: any valid token will do. */
  anyAuthenticated: boolean;
  /** `user:EMAIL` and `serviceAccount:EMAIL` members that may call. */
  invokers: ReadonlySet<string>;
  /** Token audiences taken besides the service's URLs, compared exactly (custom-audiences.ts). */
  customAudiences: ReadonlySet<string>;
}

/** `challenge`: a 401's WWW-Authenticate value (RFC 6750 §3), sent as the response's header. */
export type Denial = { status: 401 | 403 | 404; message: string; challenge?: string };

/**
 * Cloud Run's challenge when the token it was sent is refused (not an ID token, another audience,
 * expired, a bad signature): the header its front end sends with such a 401, word for word.
 */
export const INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token" error_description="The access token could not be verified"';
/** No credential at all: RFC 6750 §3.1's challenge without an error code ("SHOULD NOT include an error code"). */
export const NO_TOKEN_CHALLENGE = "Bearer";

/** A verified token, kept until it expires so a request with a known token costs a map lookup. */
interface VerifiedToken {
  exp: number;
  aud: string;
  email: string;
  members: readonly [string, string];
  /** Checks of the audience against the service's URLs already made, by the service asked for. */
  audienceFor: Map<string, boolean>;
}

const MAX_CACHED_TOKENS = 10_000;

export class AccessGate {
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    private readonly key: SigningKey,
    /** Identities that may call every service: the engine's own user (the project's owner, as on Cloud Run). */
    private readonly owners: ReadonlySet<string>,
    private readonly nowSeconds: () => number = () => Date.now() / 1000,
  ) {}

  /**
   * Undefined when the request may go on. `service` keys the audience check; `audienceNames`
   * says whether a token's audience (a URL) names that service.
   */
  check(
    access: ServiceAccess,
    /** From one of the engine's containers of the service's project (what internal ingress takes). */
    internalCaller: boolean,
    authorization: string | undefined,
    service: string,
    audienceNames: (aud: string) => boolean,
  ): Denial | undefined {
    if (access.internalOnly && !internalCaller)
      return {
        status: 404,
        message: "not found: this service takes requests only from the engine's containers of its own project (ingress internal)",
      };
    if (access.public) return undefined;
    const token = bearer(authorization);
    if (token === undefined)
      return unauthorized(
        "the service is private: send an identity token as Authorization: Bearer TOKEN (skiff auth print-identity-token --audiences URL)",
        NO_TOKEN_CHALLENGE,
      );
    const entry = this.verify(token);
    if (typeof entry === "string") return unauthorized(entry, INVALID_TOKEN_CHALLENGE);
    let audienceOk = entry.audienceFor.get(service);
    if (audienceOk === undefined) {
      // The owner's CLI token without an audience works for all of their services, as gcloud's does on Cloud Run.
      audienceOk = audienceNames(entry.aud) || (entry.aud === CLI_AUDIENCE && this.owners.has(entry.email));
      entry.audienceFor.set(service, audienceOk);
    }
    // The custom audiences are read from the published route each time, not remembered with the
    // token: one that is removed stops working on the next request. A set look-up, no allocation.
    if (!audienceOk && !access.customAudiences.has(entry.aud))
      return unauthorized(
        `the token's audience "${entry.aud}" is not this service's URL (its origin, such as http://NAME.localhost:PORT, with no path) nor one of its custom audiences`,
        INVALID_TOKEN_CHALLENGE,
      );
    if (
      access.anyAuthenticated ||
      this.owners.has(entry.email) ||
      access.invokers.has(entry.members[0]) ||
      access.invokers.has(entry.members[1])
    )
      return undefined;
    return { status: 403, message: `forbidden: ${entry.email} is not an invoker of this service (roles/run.invoker)` };
  }

  private verify(token: string): VerifiedToken | string {
    const now = this.nowSeconds();
    const known = this.verified.get(token);
    if (known) {
      if (known.exp > now) return known;
      this.verified.delete(token);
      return "the token has expired";
    }
    const result = verifyIdentityToken(this.key, token, now);
    if (!result.ok) return result.reason;
    const { email, aud, exp } = result.claims;
    // Bounded: a client inventing tokens costs verifications, not memory.
    if (this.verified.size >= MAX_CACHED_TOKENS) this.verified.clear();
    const entry: VerifiedToken = { exp, aud, email, members: [`serviceAccount:${email}`, `user:${email}`], audienceFor: new Map() };
    this.verified.set(token, entry);
    return entry;
  }
}

/**
 * A verified `Bearer <header>.<payload>.<signature>` as the instance gets it: the signature
 * replaced by SIGNATURE_REMOVED_BY_GOOGLE, which is what Cloud Run does to the ID token it checked
 * before passing it on (its troubleshooting page, "signature removed"), so the app can read the
 * token's claims (who called) but cannot replay it, nor verify it itself. Anything else unchanged.
 */
export function withSignatureRemoved(credential: string): string {
  return credential.replace(/^(\s*bearer[ \t]+[^.\s]*\.[^.\s]*\.)[^.\s]+(\s*)$/i, "$1SIGNATURE_REMOVED_BY_GOOGLE$2");
}

/**
 * The host an audience names when it is a URL of a service as Cloud Run takes it: the URL's
 * origin, with or without a trailing `/` (Cloud Run's samples: "https://my-service.run.app/";
 * Google's clients use `new URL(url).origin`), never a URL with a path, query or credentials, which
 * Cloud Run answers 401 (a token minted for the full URL of one request is a common mistake).
 * Either scheme, since the engine serves http where Cloud Run serves https. Undefined otherwise.
 */
export function audienceHost(aud: string): string | undefined {
  let url: URL;
  try {
    url = new URL(aud);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") return undefined;
  if (/[?#]/.test(aud)) return undefined;
  return url.host;
}

function bearer(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^bearer[ \t]+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

function unauthorized(message: string, challenge: string): Denial {
  return { status: 401, message: `unauthorized: ${message}`, challenge };
}
