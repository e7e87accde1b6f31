import test from "ava";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AccessGate, audienceHost, withSignatureRemoved, type ServiceAccess } from "../../provider/identity/access-gate";
import { jwks, loadOrCreateSigningKey } from "../../provider/identity/signing-key";
import { CLI_AUDIENCE, mintIdentityToken, TOKEN_ISSUER, verifyIdentityToken } from "../../provider/identity/tokens";

// Identity tokens and the ingress's access rule, on an injected clock: who gets 401, 403 and 404.

const dir = mkdtempSync(path.join(tmpdir(), "skiff-key-"));
const key = loadOrCreateSigningKey(path.join(dir, "signing-key.pem"));
const NOW = 1_800_000_000;
const API = "http://api.localhost:8080";

test("the signing key is made once, kept readable only by its owner, and the same after a reload", (t) => {
  const file = path.join(dir, "signing-key.pem");
  t.is(statSync(file).mode & 0o777, 0o600);
  const again = loadOrCreateSigningKey(file);
  t.is(again.kid, key.kid);
  const token = mintIdentityToken(key, "web@p.iam.gserviceaccount.com", API, NOW);
  t.true(verifyIdentityToken(again, token, NOW).ok, "a token minted before a restart verifies after it");
  t.deepEqual(
    jwks(key).keys.map((k) => [k.kid, k.alg, k.kty, k.use]),
    [[key.kid, "RS256", "RSA", "sig"]],
  );
});

test("a token carries Google's ID-token claims and verifies until it expires, an hour later", (t) => {
  const token = mintIdentityToken(key, "web@p.iam.gserviceaccount.com", API, NOW);
  const verified = verifyIdentityToken(key, token, NOW + 3599);
  t.true(verified.ok);
  if (verified.ok)
    t.deepEqual(verified.claims, {
      iss: TOKEN_ISSUER,
      aud: API,
      sub: "web@p.iam.gserviceaccount.com",
      email: "web@p.iam.gserviceaccount.com",
      email_verified: true,
      iat: NOW,
      exp: NOW + 3600,
    });
  t.deepEqual(verifyIdentityToken(key, token, NOW + 3600), { ok: false, reason: "the token has expired" });
});

test("a token signed by another key, or changed after signing, or not a JWT, does not verify", (t) => {
  const other = loadOrCreateSigningKey(path.join(mkdtempSync(path.join(tmpdir(), "skiff-key-")), "k.pem"));
  t.false(verifyIdentityToken(key, mintIdentityToken(other, "x@p.iam.gserviceaccount.com", API, NOW), NOW).ok);
  const [h, c, s] = mintIdentityToken(key, "x@p.iam.gserviceaccount.com", API, NOW).split(".");
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(c, "base64url").toString()), email: "owner@localhost" })).toString(
    "base64url",
  );
  t.deepEqual(verifyIdentityToken(key, `${h}.${forged}.${s}`, NOW), { ok: false, reason: "the token's signature is not valid" });
  t.deepEqual(verifyIdentityToken(key, "junk", NOW), { ok: false, reason: "the token is not a JWT" });
});

const PRIVATE: ServiceAccess = {
  internalOnly: false,
  public: false,
  anyAuthenticated: false,
  invokers: new Set(["serviceAccount:web@p.iam.gserviceaccount.com"]),
  customAudiences: new Set(["https://api.example.com"]),
};
const namesApi = (aud: string) => URL.canParse(aud) && new URL(aud).host.startsWith("api.localhost");

function gate() {
  return new AccessGate(key, new Set(["me@localhost"]), () => NOW);
}

test("a private service: no token or a bad one 401, a token for another audience 401, someone else's 403, an invoker's passes", (t) => {
  const g = gate();
  const check = (authorization?: string) => g.check(PRIVATE, true, authorization, "default/api", namesApi)?.status;
  t.is(check(undefined), 401);
  t.is(check("Basic abc"), 401);
  t.is(check("Bearer junk"), 401);
  t.is(check(`Bearer ${mintIdentityToken(key, "web@p.iam.gserviceaccount.com", "http://web.localhost:8080", NOW)}`), 401);
  t.is(check(`Bearer ${mintIdentityToken(key, "other@p.iam.gserviceaccount.com", API, NOW)}`), 403);
  t.is(check(`Bearer ${mintIdentityToken(key, "web@p.iam.gserviceaccount.com", API, NOW)}`), undefined);
  t.is(
    check(`bearer   ${mintIdentityToken(key, "web@p.iam.gserviceaccount.com", `${API}/`, NOW)}`),
    undefined,
    "the scheme is case-insensitive; a trailing slash names the same URL",
  );
  t.is(check(`Bearer ${mintIdentityToken(key, "web@p.iam.gserviceaccount.com", API, NOW - 3600)}`), 401, "expired");
});

test("the owner may call every service, also with the CLI's token that names no audience; no one else may use that audience", (t) => {
  const g = gate();
  t.is(g.check(PRIVATE, false, `Bearer ${mintIdentityToken(key, "me@localhost", API, NOW)}`, "default/api", namesApi), undefined);
  t.is(g.check(PRIVATE, false, `Bearer ${mintIdentityToken(key, "me@localhost", CLI_AUDIENCE, NOW)}`, "default/api", namesApi), undefined);
  t.is(
    g.check(PRIVATE, false, `Bearer ${mintIdentityToken(key, "web@p.iam.gserviceaccount.com", CLI_AUDIENCE, NOW)}`, "default/api", namesApi)
      ?.status,
    401,
  );
});

test("a custom audience lets a token in when it is exactly the audience; removing it from the published access stops the same token at once", (t) => {
  const g = gate();
  const token = (aud: string, email = "web@p.iam.gserviceaccount.com") => `Bearer ${mintIdentityToken(key, email, aud, NOW)}`;
  const check = (access: ServiceAccess, authorization: string) => g.check(access, false, authorization, "default/api", namesApi);
  t.is(check(PRIVATE, token("https://api.example.com")), undefined);
  t.is(
    check(PRIVATE, token("https://api.example.com/"))?.status,
    401,
    "compared exactly, as Cloud Run does: a trailing slash is another string",
  );
  const refused = check(PRIVATE, token("https://api.example.com/v1"));
  t.is(refused?.status, 401, "exactly: no path, no prefix match");
  t.regex(refused?.message ?? "", /nor one of its custom audiences/);
  t.is(check(PRIVATE, token("https://API.example.com"))?.status, 401, "exactly: case counts");
  t.is(
    check(PRIVATE, token("https://api.example.com", "other@p.iam.gserviceaccount.com"))?.status,
    403,
    "the audience passes, the invoker check still applies",
  );
  // The same token, now checked (and remembered) once: the route republished without the audience refuses it.
  t.is(check({ ...PRIVATE, customAudiences: new Set() }, token("https://api.example.com"))?.status, 401);
  t.is(check(PRIVATE, token("https://api.example.com")), undefined, "and takes it again when it is back");
});

test("public and internal: allUsers needs no token; an internal service answers only containers (404 from the host, token or not)", (t) => {
  const g = gate();
  const open: ServiceAccess = {
    internalOnly: false,
    public: true,
    anyAuthenticated: false,
    invokers: new Set(),
    customAudiences: new Set(),
  };
  t.is(g.check(open, false, undefined, "default/api", namesApi), undefined);
  const internal = { ...open, internalOnly: true };
  t.is(g.check(internal, false, undefined, "default/api", namesApi)?.status, 404);
  t.is(g.check(internal, false, `Bearer ${mintIdentityToken(key, "me@localhost", API, NOW)}`, "default/api", namesApi)?.status, 404);
  t.is(g.check(internal, true, undefined, "default/api", namesApi), undefined);
  const anyone: ServiceAccess = { ...PRIVATE, anyAuthenticated: true, invokers: new Set() };
  t.is(
    g.check(anyone, true, `Bearer ${mintIdentityToken(key, "who@p.iam.gserviceaccount.com", API, NOW)}`, "default/api", namesApi),
    undefined,
    "allAuthenticatedUsers: any valid token",
  );
});

test("a verified token is checked once: the next request with it costs a map lookup, also for its audience", (t) => {
  let audienceChecks = 0;
  const g = gate();
  const token = `Bearer ${mintIdentityToken(key, "web@p.iam.gserviceaccount.com", API, NOW)}`;
  const names = (aud: string) => (audienceChecks++, namesApi(aud));
  const started = process.hrtime.bigint();
  for (let i = 0; i < 10_000; i++) g.check(PRIVATE, true, token, "default/api", names);
  const perCheckNs = Number(process.hrtime.bigint() - started) / 10_000;
  t.is(audienceChecks, 1);
  t.log(`${(perCheckNs / 1000).toFixed(2)} µs per check of a known token`);
});

test("a known token for a custom audience costs a map lookup and a set look-up, not another verification (bench/router.ts measures the private check's cost)", (t) => {
  let audienceChecks = 0;
  const g = gate();
  const token = `Bearer ${mintIdentityToken(key, "web@p.iam.gserviceaccount.com", "https://api.example.com", NOW)}`;
  const names = (aud: string) => (audienceChecks++, namesApi(aud));
  for (let i = 0; i < 1_000; i++) g.check(PRIVATE, true, token, "default/api", names);
  const started = process.hrtime.bigint();
  let denied = 0;
  for (let i = 0; i < 10_000; i++) if (g.check(PRIVATE, true, token, "default/api", names) !== undefined) denied++;
  const perCheckNs = Number(process.hrtime.bigint() - started) / 10_000;
  t.is(denied, 0);
  t.is(audienceChecks, 1, "the URL check is made once; the custom audiences are a set look-up each time");
  t.log(`${(perCheckNs / 1000).toFixed(2)} µs per check of a known token for a custom audience`);
});

test("a verified token reaches the instance with its signature replaced by SIGNATURE_REMOVED_BY_GOOGLE, as Cloud Run passes it on", (t) => {
  t.is(withSignatureRemoved("Bearer aGVhZA.cGF5bG9hZA.c2lnbmF0dXJl"), "Bearer aGVhZA.cGF5bG9hZA.SIGNATURE_REMOVED_BY_GOOGLE");
  // The scheme as the client wrote it, and the spaces around it, stay.
  t.is(withSignatureRemoved("bearer \taGVhZA.cGF5bG9hZA.c2ln-_0 "), "bearer \taGVhZA.cGF5bG9hZA.SIGNATURE_REMOVED_BY_GOOGLE ");
  // Not a three-part token: nothing to remove (the gate refused it anyway).
  for (const other of ["Bearer abc", "Bearer a.b", "Bearer a.b.c.d", "Basic dXNlcjpwdw==", "Bearer a.b.", ""])
    t.is(withSignatureRemoved(other), other);
});

test("an audience names a service by its URL's origin, with or without a trailing slash; a URL with a path or query does not (Cloud Run: 401)", (t) => {
  t.is(audienceHost("http://api.localhost:8080"), "api.localhost:8080");
  t.is(audienceHost("http://api.localhost:8080/"), "api.localhost:8080");
  t.is(audienceHost("https://beta---api.team.localhost:8080/"), "beta---api.team.localhost:8080");
  for (const other of [
    "http://api.localhost:8080/v1/items",
    "http://api.localhost:8080/?x=1",
    "http://api.localhost:8080?",
    "http://api.localhost:8080/#top",
    "http://me:pw@api.localhost:8080",
    "ftp://api.localhost:8080",
    "api.localhost:8080",
    "32555940559.apps.googleusercontent.com",
  ])
    t.is(audienceHost(other), undefined, other);
});
