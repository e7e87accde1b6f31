import test from "ava";
import { checkSecretInputs, checkSecretVersionInputs } from "../../sdk/check/secret";
import { checkGcpSecretInputs, checkGcpSecretVersionInputs } from "../../sdk/check/secretmanager";
import { diffSecret, diffSecretVersion } from "../../sdk/diff/secret";
import { diffGcpSecret, diffGcpSecretVersion } from "../../sdk/diff/secretmanager";
import { UNKNOWN } from "../../sdk/preview-values/unknowns";

// The Secret and SecretVersion resources (skiff's and pulumi-gcp's shapes) at preview: names are
// checked as the engine checks them, a new value is a new version (a replace), `enabled` changes
// in place, and values unknown at preview pass.

test("a secret's name is checked at preview, naming the property; a version's secret may be its id", (t) => {
  t.deepEqual(checkSecretInputs({ name: "db-pass", project: "dev" }).failures, []);
  t.deepEqual(
    checkSecretInputs({ name: "a/b", project: "dev" }).failures.map((f) => f.property),
    ["name"],
  );
  const v = checkSecretVersionInputs({ secret: "projects/p/secrets/db-pass", project: "dev", secretData: "x" });
  t.deepEqual(v.failures, []);
  t.like(v.inputs, { secret: "db-pass", enabled: true });
  t.deepEqual(checkSecretVersionInputs({ secret: UNKNOWN, project: "dev", secretData: UNKNOWN }).failures, []);
  t.deepEqual(
    checkGcpSecretInputs({ secretId: "..", skiffProject: "dev", replication: { auto: {} } }).failures.map((f) => f.property),
    ["secretId"],
  );
  t.deepEqual(
    checkGcpSecretVersionInputs({
      secret: "projects/p/secrets/s",
      skiffProject: "dev",
      secretData: "x",
      deletionPolicy: "KEEP",
    }).failures.map((f) => f.property),
    ["deletionPolicy"],
  );
  t.deepEqual(
    checkGcpSecretVersionInputs({ secret: "s", skiffProject: "dev", secretDataWo: "x" }).failures.map((f) => f.property),
    ["secretDataWo"],
  );
});

test("a new value replaces a version (a new version); enabled updates in place; labels update a secret in place", (t) => {
  const version = { secret: "s", project: "dev", secretData: "one", enabled: true };
  const state = { ...version, version: 1, state: "ENABLED", createTime: "t", __provider: "x" };
  t.false(diffSecretVersion(state, version).changes);
  t.deepEqual(diffSecretVersion(state, { ...version, secretData: "two" }).replaces, ["secretData"]);
  t.deepEqual(diffSecretVersion(state, { ...version, enabled: false }), {
    changes: true,
    replaces: [],
    stables: ["secret", "project", "secretData"],
    deleteBeforeReplace: false,
  });
  t.deepEqual(diffSecret({ name: "s", project: "dev", labels: {} }, { name: "s", project: "dev", labels: { a: "b" } }).replaces, []);
  t.deepEqual(diffSecret({ name: "s", project: "dev", labels: {} }, { name: "t", project: "dev", labels: {} }).replaces, ["name"]);
  const gcp = { secret: "projects/p/secrets/s", skiffProject: "dev", secretData: "one" };
  t.deepEqual(diffGcpSecretVersion({ ...gcp, version: "1" }, { ...gcp, secretData: "two" }).replaces, ["secretData"]);
  t.deepEqual(diffGcpSecretVersion({ ...gcp, version: "1" }, { ...gcp, deletionPolicy: "ABANDON" }).replaces, []);
  t.deepEqual(
    diffGcpSecret({ secretId: "s", skiffProject: "dev" }, { secretId: "s", skiffProject: "dev", replication: { auto: {} } }).replaces,
    [],
  );
});
