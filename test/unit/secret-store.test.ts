import test from "ava";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SecretController } from "../../provider/controller/secret-controller";
import { SkiffError } from "../../provider/model/errors";
import { checkTemplateSecrets } from "../../provider/platform/secret-values";
import { SecretCipher } from "../../provider/state/secret-cipher";
import { Store } from "../../provider/state/store";

// The local Secret Manager on a real state.db: numbered versions, latest, disable/enable/destroy,
// and values that are never in state.db (or its WAL) in plain text, only sealed with the 0600 key.

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-secrets-"));
  const store = Store.open(path.join(dir, "state.db"));
  const changed: string[] = [];
  const secrets = new SecretController(store, (project, name) => changed.push(`${project}/${name}`));
  return { dir, store, secrets, changed, dispose: () => (store.close(), rmSync(dir, { recursive: true, force: true })) };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return "none";
  } catch (error) {
    return (error as SkiffError).code;
  }
};

test("versions are numbered, latest is the newest, and only access gives a value", (t) => {
  const { secrets, changed, dispose } = setup();
  t.teardown(dispose);
  t.like(secrets.create("default", { name: "api-key", data: b64("one") }), { name: "api-key", latestVersion: 1, versionCount: 1 });
  t.like(secrets.addVersion("default", "api-key", { data: b64("two") }), { version: 2, state: "ENABLED" });
  t.deepEqual(changed, ["default/api-key"]);
  t.is(Buffer.from(secrets.access("default", "api-key", "latest").data, "base64").toString(), "two");
  t.is(Buffer.from(secrets.access("default", "api-key", "1").data, "base64").toString(), "one");
  t.false(JSON.stringify([secrets.get("default", "api-key"), secrets.listVersions("default", "api-key")]).includes(b64("two")));
  t.is(
    codeOf(() => secrets.create("default", { name: "api-key" })),
    "ALREADY_EXISTS",
  );
  t.is(
    codeOf(() => secrets.access("default", "api-key", "3")),
    "NOT_FOUND",
  );
  t.is(
    codeOf(() => secrets.access("other", "api-key", "1")),
    "NOT_FOUND",
    "projects never see each other's secrets",
  );
});

test("a disabled version cannot be read until enabled; a destroyed one never again, and latest names it still", (t) => {
  const { secrets, dispose } = setup();
  t.teardown(dispose);
  secrets.create("default", { name: "s", data: b64("v1") });
  secrets.addVersion("default", "s", { data: b64("v2") });
  t.like(secrets.changeVersion("default", "s", "2", "disable"), { state: "DISABLED" });
  t.is(
    codeOf(() => secrets.access("default", "s", "latest")),
    "FAILED_PRECONDITION",
    "latest is the newest version, as in Secret Manager",
  );
  secrets.changeVersion("default", "s", "latest", "enable");
  t.is(Buffer.from(secrets.access("default", "s", "latest").data, "base64").toString(), "v2");
  t.like(secrets.changeVersion("default", "s", "1", "destroy"), { state: "DESTROYED" });
  t.truthy(secrets.getVersion("default", "s", "1").destroyTime);
  t.is(
    codeOf(() => secrets.access("default", "s", "1")),
    "FAILED_PRECONDITION",
  );
  t.is(
    codeOf(() => secrets.changeVersion("default", "s", "1", "enable")),
    "FAILED_PRECONDITION",
  );
  t.like(secrets.addVersion("default", "s", { data: b64("v3") }), { version: 3 }, "a destroyed number is never reused");
});

test("names are checked: a name with / or .. is a 400 naming the field", (t) => {
  const { secrets, dispose } = setup();
  t.teardown(dispose);
  for (const name of ["a/b", "..", "../x"]) {
    const error = t.throws(() => secrets.create("default", { name, data: b64("x") })) as SkiffError;
    t.is(error.code, "INVALID_ARGUMENT");
    t.is(error.violations[0].field, "name");
  }
  t.is(
    codeOf(() => secrets.get("default", "a/b")),
    "INVALID_ARGUMENT",
  );
});

test("values are sealed: neither state.db nor its WAL holds one in plain text; the key is the engine user's alone (0600)", (t) => {
  const { dir, store, secrets, dispose } = setup();
  t.teardown(dispose);
  const value = "plain-text-needle-4f1c";
  secrets.create("default", { name: "db-pass", data: b64(value) });
  secrets.addVersion("default", "db-pass", { data: b64(`${value}-2`) });
  for (const file of readdirSync(dir).filter((f) => f.startsWith("state.db"))) {
    const bytes = readFileSync(path.join(dir, file));
    t.false(bytes.includes(value), file);
    t.false(bytes.includes(b64(value)), `${file} (base64)`);
  }
  t.is(statSync(path.join(dir, "secrets.key")).mode & 0o777, 0o600);
  t.is(store.secrets.value("default", "db-pass", 1)?.toString(), value);
});

test("a sealed value opens only as the version it was sealed for, and only with its key", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-cipher-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cipher = SecretCipher.loadOrCreate(path.join(dir, "k"));
  const sealed = cipher.seal(Buffer.from("v"), "default/s/1");
  t.is(cipher.open(sealed, "default/s/1").toString(), "v");
  t.throws(() => cipher.open(sealed, "default/s/2"));
  t.throws(() => SecretCipher.loadOrCreate(path.join(dir, "other")).open(sealed, "default/s/1"));
  t.is(SecretCipher.loadOrCreate(path.join(dir, "k")).open(sealed, "default/s/1").toString(), "v", "the key is kept, not made again");
});

test("a template naming a missing secret or version is refused at deploy naming the field; a disabled version passes (its instance fails)", (t) => {
  const { store, secrets, dispose } = setup();
  t.teardown(dispose);
  secrets.create("default", { name: "api-key", data: b64("one") });
  secrets.addVersion("default", "api-key", { data: b64("two") });
  secrets.changeVersion("default", "api-key", "1", "disable");
  secrets.create("default", { name: "empty" });
  const refused = (template: Parameters<typeof checkTemplateSecrets>[2]) => {
    try {
      checkTemplateSecrets(store.secrets, "default", template);
      return "none";
    } catch (error) {
      const e = error as SkiffError;
      return `${e.code} ${e.violations.map((v) => `${v.field}: ${v.reason}`).join("; ")}`;
    }
  };
  t.is(refused({ secretEnv: { A: { secret: "api-key", version: "1" }, B: { secret: "api-key", version: "latest" } } }), "none");
  t.regex(
    refused({ secretEnv: { A: { secret: "nope", version: "latest" } } }),
    /^NOT_FOUND template\.secretEnv\.A: secret "nope" not found/,
  );
  t.regex(
    refused({ secretEnv: { A: { secret: "api-key", version: "3" } } }),
    /^NOT_FOUND template\.secretEnv\.A: secret "api-key" has no version 3/,
  );
  t.regex(
    refused({ secretEnv: { A: { secret: "empty", version: "latest" } } }),
    /^NOT_FOUND template\.secretEnv\.A: secret "empty" has no versions yet/,
  );
  t.regex(
    refused({ sidecars: [{ secretEnv: { T: { secret: "nope", version: "1" } } }] }),
    /^NOT_FOUND template\.sidecars\[0\]\.secretEnv\.T: /,
  );
  t.regex(refused({ volumes: [{ name: "s", secret: { secret: "nope" } }] }), /^NOT_FOUND template\.volumes\[0\]\.secret: secret "nope"/);
  t.regex(
    refused({
      volumes: [
        {
          name: "s",
          secret: {
            secret: "api-key",
            items: [
              { path: "a", version: "2" },
              { path: "b", version: "7" },
            ],
          },
        },
      ],
    }),
    /^NOT_FOUND template\.volumes\[0\]\.secret\.items\[1\]\.version: secret "api-key" has no version 7/,
  );
});
