import test from "ava";
import { envNameProblem, envSchema, RESERVED_ENV } from "../../provider/model/template";

// Cloud Run's rule for environment variable names: any printable ASCII but "=", not X_GOOGLE_*,
// not a name the platform sets.

test("names a shell could not export are still names: dots, hyphens, a leading digit, a space", (t) => {
  for (const name of ["spring.profiles.active", "my-var", "1X", "a b", "LOG_LEVEL", "_"]) {
    t.is(envNameProblem(name, RESERVED_ENV), undefined, name);
  }
});

test("the empty name, '=', control and non-ASCII characters, X_GOOGLE_ and the platform's names are refused, each saying why", (t) => {
  t.is(envNameProblem("", []), "must not be empty: an environment variable needs a name");
  t.is(envNameProblem("A=B", []), 'must not contain "=" (it ends the name in the environment)');
  t.is(envNameProblem("A\nB", []), "must be printable ASCII (no control or non-ASCII characters)");
  t.is(envNameProblem("CAFÉ", []), "must be printable ASCII (no control or non-ASCII characters)");
  t.is(envNameProblem("X_GOOGLE_TRACE", []), "is reserved: names starting with X_GOOGLE_ are kept for Cloud Run's deployment tools");
  t.is(envNameProblem("x_google_trace", []), undefined, "gcloud's check is case-sensitive");
  t.regex(envNameProblem("PORT", RESERVED_ENV) ?? "", /^is reserved: the platform sets PORT, K_SERVICE/);
});

test("a template's env schema names the key that fails", (t) => {
  const parsed = envSchema(RESERVED_ENV).safeParse({ "spring.main": "1", X_GOOGLE_A: "2" });
  t.false(parsed.success);
  t.deepEqual(
    parsed.error?.issues.map((i) => [i.path.join("."), i.message]),
    [["X_GOOGLE_A", "is reserved: names starting with X_GOOGLE_ are kept for Cloud Run's deployment tools"]],
  );
});

test("Cloud Run's limits: at most 1000 variables per container, values of at most 32 KiB", (t) => {
  const schema = envSchema(RESERVED_ENV);
  const many = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`V${i}`, "x"]));
  t.deepEqual(
    schema.safeParse(many).error?.issues.map((i) => i.message),
    ["has 1001 variables; Cloud Run takes at most 1000 per container"],
  );
  t.true(schema.safeParse(Object.fromEntries(Object.entries(many).slice(0, 1000))).success, "1000 is allowed");
  t.true(schema.safeParse({ BIG: "é".repeat(16 * 1024) }).success, "32 KiB exactly is allowed");
  t.deepEqual(
    schema.safeParse({ BIG: "é".repeat(16 * 1024) + "x" }).error?.issues.map((i) => [i.path.join("."), i.message]),
    [["BIG", "is 32769 bytes long; Cloud Run takes values of at most 32 KiB (32768 bytes)"]],
  );
});
