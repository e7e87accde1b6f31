import { createSign, createVerify } from "node:crypto";
import { userInfo } from "node:os";
import type { SigningKey } from "./signing-key";

/**
 * Identity tokens: JWTs (RFC 7519) signed RS256 by the engine, shaped like the Google-signed ID
 * tokens Cloud Run's metadata server gives (iss, aud, sub, email, email_verified, iat, exp). They
 * are useless anywhere but this engine: only its JWKS verifies them.
 */

/** Who signs: the engine's tokens say so, and a verifier checks it. */
export const TOKEN_ISSUER = "https://skiff.localhost";
/**
 * The audience of a token the CLI mints when none is named (gcloud's are for its own OAuth client):
 * accepted only from the engine's owner, by any of their services.
 */
export const CLI_AUDIENCE = "skiff-cli";
/** Google's ID tokens last an hour. */
export const TOKEN_LIFETIME_SECONDS = 3600;

export interface IdentityClaims {
  iss: string;
  aud: string;
  sub: string;
  email: string;
  email_verified: boolean;
  iat: number;
  exp: number;
}

const b64 = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/** A token for `email`, valid for `audience` from `nowSeconds` for an hour. */
export function mintIdentityToken(key: SigningKey, email: string, audience: string, nowSeconds: number): string {
  const header = { alg: "RS256", typ: "JWT", kid: key.kid };
  const claims: IdentityClaims = {
    iss: TOKEN_ISSUER,
    aud: audience,
    sub: email,
    email,
    email_verified: true,
    iat: nowSeconds,
    exp: nowSeconds + TOKEN_LIFETIME_SECONDS,
  };
  const signed = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  const signature = createSign("RSA-SHA256").update(signed).sign(key.privateKey);
  return `${signed}.${b64(signature)}`;
}

export type Verified = { ok: true; claims: IdentityClaims } | { ok: false; reason: string };

/** Checks signature, issuer and lifetime (not the audience: that is the caller's, per service). */
export function verifyIdentityToken(key: SigningKey, token: string, nowSeconds: number): Verified {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "the token is not a JWT" };
  const [headerPart, claimsPart, signaturePart] = parts as [string, string, string];
  let header: { alg?: string; kid?: string };
  let claims: Partial<IdentityClaims>;
  try {
    header = JSON.parse(Buffer.from(headerPart, "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(claimsPart, "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "the token is not a JWT" };
  }
  if (header.alg !== "RS256" || header.kid !== key.kid) return { ok: false, reason: "the token was not signed by this engine" };
  const valid = createVerify("RSA-SHA256")
    .update(`${headerPart}.${claimsPart}`)
    .verify(key.publicKey, Buffer.from(signaturePart, "base64url"));
  if (!valid) return { ok: false, reason: "the token's signature is not valid" };
  if (claims.iss !== TOKEN_ISSUER) return { ok: false, reason: "the token was not issued by this engine" };
  if (typeof claims.exp !== "number" || claims.exp <= nowSeconds) return { ok: false, reason: "the token has expired" };
  if (typeof claims.email !== "string" || typeof claims.aud !== "string")
    return { ok: false, reason: "the token names no identity or audience" };
  return { ok: true, claims: claims as IdentityClaims };
}

/** The person at the terminal, as a member `user:<email>`: the engine's owner, an invoker of every service. */
export function ownerEmail(): string {
  let name = "user";
  try {
    name = userInfo().username || name;
  } catch {
    // No passwd entry (a container with an arbitrary uid): keep the generic name.
  }
  return `${name}@localhost`;
}
