import test from "ava";
import { formatted, parseFormat } from "../../provider/cli/formats";
import { accessObject } from "../../provider/cli/secret-commands";

// `secrets versions access --format ...` prints what gcloud prints: Secret Manager's
// AccessSecretVersionResponse, its payload.data base64url (apitools' bytes), so gcloud's documented
// recipe for raw bytes, --format='get(payload.data)' | tr '_-' '/+' | base64 -d, works on skiff too.

// Bytes whose base64 has both '+' and '/' (and padding), and a trailing newline.
const value = Buffer.from([0xfb, 0xff, 0xbf, 0x3e, 0x3f, 0x0a]);
const access = accessObject("default", "api-key", { version: 3, value });

test("get(payload.data) is base64url: tr '_-' '/+' | base64 -d gives the bytes back", (t) => {
  const printed = formatted(parseFormat("get(payload.data)"), access).trimEnd();
  t.is(printed, "-_-_Pj8K");
  t.deepEqual(Buffer.from(printed.replace(/_/g, "/").replace(/-/g, "+"), "base64"), value);
});

test("json names the version and carries the payload, as gcloud's --format=json does", (t) => {
  t.deepEqual(JSON.parse(formatted(parseFormat("json"), access)), {
    name: "projects/default/secrets/api-key/versions/3",
    payload: { data: "-_-_Pj8K" },
  });
});

test("without --format the value itself is printed, nothing added", (t) => {
  let printed = "";
  t.is(
    formatted(parseFormat("table"), access, () => (printed = value.toString("latin1"))),
    "",
  );
  t.is(printed, value.toString("latin1"));
});
