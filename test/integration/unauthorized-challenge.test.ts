import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, skiffOk } from "../helpers/cli";

// The 401 of a private service on the wire, as curl sees it: Cloud Run's WWW-Authenticate header
// for a refused token, a bare "Bearer" challenge with no token; the owner's token still passes.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

test("a private service's 401 carries WWW-Authenticate: Cloud Run's invalid_token challenge for a refused token, 'Bearer' for none", async (t) => {
  await deploy(engine, "locked", ["--image", image, "--no-allow-unauthenticated"]);
  const none = await engine.request("locked.localhost", "/");
  t.is(none.status, 401);
  t.is(none.headers["www-authenticate"], "Bearer");
  const bad = await engine.request("locked.localhost", "/", { headers: { authorization: "Bearer not-a-token" } });
  t.is(bad.status, 401);
  t.is(bad.headers["www-authenticate"], 'Bearer error="invalid_token" error_description="The access token could not be verified"');
  const other = (await skiffOk(engine, ["auth", "print-identity-token", "--audiences", "https://elsewhere.example.com"])).stdout.trim();
  const wrongAudience = await engine.request("locked.localhost", "/", { headers: { authorization: `Bearer ${other}` } });
  t.is(wrongAudience.status, 401);
  t.is(
    wrongAudience.headers["www-authenticate"],
    'Bearer error="invalid_token" error_description="The access token could not be verified"',
  );
  const owner = (await skiffOk(engine, ["auth", "print-identity-token"])).stdout.trim();
  const ok = await engine.request("locked.localhost", "/", { headers: { authorization: `Bearer ${owner}` } });
  t.is(ok.status, 200);
  t.is(ok.headers["www-authenticate"], undefined);
});
