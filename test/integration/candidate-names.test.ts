import test from "ava";
import { EngineError } from "../../provider/client/api-client";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";

// What previews ask the engine so that `pulumi preview` and `skiff review` can name things before
// `pulumi up` makes them: a candidate revision named by its program (revisionSuffix), and the id an
// image has locally (the digest a revision made now would pin), found without pulling.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  const api = await engine.api();
  await api.putService("default", "named", { template: { image } });
});

test.after.always(async () => {
  await engine?.dispose();
});

test.serial(
  "a candidate with a revisionSuffix is named <service>-<suffix>; asked again with the same template it is the same one",
  async (t) => {
    const api = await engine.api();
    const made = await api.createRevision("default", "named", { image, env: { COLOR: "blue" } }, { revisionSuffix: "blue" });
    t.is(made.name, "named-blue");
    t.is(made.origin, "candidate");
    t.is(made.status, "READY");
    const again = await api.createRevision("default", "named", { image, env: { COLOR: "blue" } }, { revisionSuffix: "blue" });
    t.is(again.name, "named-blue");
    t.is(again.createTime, made.createTime);
    t.deepEqual(
      (await api.listRevisions("default", "named")).map((r) => r.name).filter((n) => n === "named-blue"),
      ["named-blue"],
    );
  },
);

test.serial("a revisionSuffix taken by another template, or by the service's own revision, is a 409 naming revisionSuffix", async (t) => {
  const api = await engine.api();
  const other = await t.throwsAsync(api.createRevision("default", "named", { image, env: { COLOR: "green" } }, { revisionSuffix: "blue" }));
  t.true(other instanceof EngineError && other.status === 409, String(other));
  t.deepEqual(
    (other as EngineError).violations.map((v) => v.field),
    ["revisionSuffix"],
  );
  t.regex(other?.message ?? "", /revision "named-blue" already exists .* with another template/);

  const own = (await api.getService("default", "named")).latestCreatedRevision ?? "";
  const suffix = own.slice("named-".length);
  const taken = await t.throwsAsync(api.createRevision("default", "named", { image }, { revisionSuffix: suffix }));
  t.true(taken instanceof EngineError && taken.status === 409, String(taken));
  t.deepEqual(
    (taken as EngineError).violations.map((v) => v.field),
    ["revisionSuffix"],
  );
});

test.serial("an invalid revisionSuffix is a 400 naming it", async (t) => {
  const api = await engine.api();
  const error = await t.throwsAsync(api.createRevision("default", "named", { image }, { revisionSuffix: "Not_A_Label" }));
  t.true(error instanceof EngineError && error.status === 400, String(error));
  t.deepEqual(
    (error as EngineError).violations.map((v) => v.field),
    ["revisionSuffix"],
  );
});

test.serial(
  "GET /v1/images gives a local image's id, the digest a revision pins; an image Docker lacks is a 404 and is not pulled",
  async (t) => {
    const api = await engine.api();
    const local = await api.localImage(image);
    const revision = await api.getRevision("default", "named-blue");
    t.deepEqual(local, { image, id: revision.imageDigest });

    const missing = "skiff-test/never-built:nowhere";
    const error = await t.throwsAsync(api.localImage(missing));
    t.true(error instanceof EngineError && error.status === 404, String(error));
    t.regex(error?.message ?? "", /image "skiff-test\/never-built:nowhere" not found: Docker does not have it locally/);

    const bad = await t.throwsAsync(api.localImage("Not A Reference"));
    t.true(bad instanceof EngineError && bad.status === 400, String(bad));
    t.deepEqual(
      (bad as EngineError).violations.map((v) => v.field),
      ["ref"],
    );
  },
);
