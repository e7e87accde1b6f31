import test from "ava";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AccessGate, INVALID_TOKEN_CHALLENGE, NO_TOKEN_CHALLENGE, type ServiceAccess } from "../../provider/identity/access-gate";
import { loadOrCreateSigningKey } from "../../provider/identity/signing-key";
import { mintIdentityToken } from "../../provider/identity/tokens";

// A 401 carries a WWW-Authenticate challenge: Cloud Run's own words for a token it refuses, and
// RFC 6750 §3.1's bare "Bearer" when no credential came at all; a 403 or 404 carries none.

const key = loadOrCreateSigningKey(path.join(mkdtempSync(path.join(tmpdir(), "skiff-key-")), "signing-key.pem"));
const NOW = 1_800_000_000;
const API = "http://api.localhost:8080";
const PRIVATE: ServiceAccess = {
  internalOnly: false,
  public: false,
  anyAuthenticated: false,
  invokers: new Set(["serviceAccount:web@p.iam.gserviceaccount.com"]),
  customAudiences: new Set(),
};
const namesApi = (aud: string) => URL.canParse(aud) && new URL(aud).host.startsWith("api.localhost");

test("each 401 names its challenge; a refused token gets Cloud Run's header word for word", (t) => {
  const gate = new AccessGate(key, new Set(["me@localhost"]), () => NOW);
  const check = (authorization?: string) => gate.check(PRIVATE, false, authorization, "default/api", namesApi);
  t.is(INVALID_TOKEN_CHALLENGE, 'Bearer error="invalid_token" error_description="The access token could not be verified"');
  t.like(check(undefined), { status: 401, challenge: NO_TOKEN_CHALLENGE });
  t.is(NO_TOKEN_CHALLENGE, "Bearer");
  t.like(check("Bearer junk"), { status: 401, challenge: INVALID_TOKEN_CHALLENGE });
  const token = (email: string, aud: string, iat = NOW) => `Bearer ${mintIdentityToken(key, email, aud, iat)}`;
  t.like(check(token("web@p.iam.gserviceaccount.com", "http://web.localhost:8080")), { status: 401, challenge: INVALID_TOKEN_CHALLENGE });
  t.like(check(token("web@p.iam.gserviceaccount.com", API, NOW - 3600)), { status: 401, challenge: INVALID_TOKEN_CHALLENGE }, "expired");
  const forbidden = check(token("other@p.iam.gserviceaccount.com", API));
  t.is(forbidden?.status, 403);
  t.is(forbidden?.challenge, undefined, "a 403 has no challenge");
});
