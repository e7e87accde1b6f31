import test from "ava";
import { imageReferenceProblem } from "../../provider/model/image-reference";

const HEX64 = "0123456789abcdef".repeat(4);
const EXPECTED = 'must be a container image reference such as "nginx", "nginx:1.27" or "registry.example.com:5000/team/app@sha256:…"';

const VALID = [
  "nginx",
  "nginx:1.27",
  "nginx:latest",
  "library/nginx",
  "docker.io/library/nginx:1.27-alpine",
  "ghcr.io/org/team/app:v1.2.3",
  "registry.example.com:5000/team/app",
  `registry.example.com:5000/team/app@sha256:${HEX64}`,
  `nginx:1.27@sha256:${HEX64}`,
  "localhost/app",
  "localhost:5000/app:dev",
  "127.0.0.1:5000/app",
  "[::1]:5000/app",
  "Registry.Example.com/app",
  "my-app",
  "my--app",
  "my__app",
  "my_app.v2",
  "a",
  "nginx:_private",
  "nginx:UPPER.case-Tag",
  `sha256:${HEX64}`,
  `app@sha512:${"ab".repeat(64)}`,
  `team/${"a".repeat(250)}`,
  `app:${"t".repeat(128)}`,
];

for (const ref of VALID) {
  test(`valid: ${ref.length > 60 ? ref.slice(0, 60) + "…" : ref}`, (t) => {
    t.is(imageReferenceProblem(ref), undefined);
  });
}

/** [reference, the reason after "is not one: "]. */
const INVALID: [string, string][] = [
  ["", "it is empty"],
  [" nginx", "it contains whitespace"],
  ["nginx latest", "it contains whitespace"],
  ["nginx\t", "it contains whitespace"],
  ["nginx\u0000", "it contains control characters"],
  ["nginx\u001b[31m", "it contains control characters"],
  ["..", '"." and ".." are not path components'],
  ["a/../b", '"." and ".." are not path components'],
  ["../../../containers/json", '"." and ".." are not path components'],
  ["/nginx", 'it starts with "/"'],
  ["nginx/", 'it ends with "/"'],
  ["team//app", 'it has an empty path component ("//")'],
  ["nginx?all=1", 'it contains "?"; references use only letters, digits and . _ - / : @'],
  ["nginx%2F..%2Fcontainers", 'it contains "%"; references use only letters, digits and . _ - / : @'],
  ["http://x/y", 'it is a URL; leave out the scheme, e.g. "registry.example.com/team/app"'],
  ["https://registry.example.com/app:1", 'it is a URL; leave out the scheme, e.g. "registry.example.com/team/app"'],
  ["Nginx", "repository names are lowercase"],
  ["UPPER/Case::bad", "repository names are lowercase"],
  ["team/App", "repository names are lowercase"],
  ["nginx::latest", 'a tag follows a single ":"'],
  ["nginx:", 'the tag after ":" is empty'],
  ["nginx:-dash", "a tag starts with a letter, digit or _ and continues with letters, digits, _ . or -"],
  [`nginx:${"t".repeat(129)}`, "the tag is 129 characters long; at most 128 are allowed"],
  ["-nginx", 'the path component "-nginx" must be lowercase letters and digits joined by ".", "_", "__" or dashes'],
  ["my___app", 'the path component "my___app" must be lowercase letters and digits joined by ".", "_", "__" or dashes'],
  ["my..app", 'the path component "my..app" must be lowercase letters and digits joined by ".", "_", "__" or dashes'],
  ["bad_host:5000/app", 'the registry "bad_host:5000" is not a host name or [IPv6 address] with an optional numeric port'],
  ["host:port/app", 'the registry "host:port" is not a host name or [IPv6 address] with an optional numeric port'],
  [`team/${"a".repeat(251)}`, "the name is 256 characters long; at most 255 are allowed"],
  ["a".repeat(600), "it is 600 characters long; a name is at most 255 characters and a tag at most 128"],
  ["nginx@sha256:abc", "a sha256 digest is 64 lowercase hex digits"],
  [`nginx@sha256:${HEX64.toUpperCase()}`, "a sha256 digest is 64 lowercase hex digits"],
  [`nginx@md5:${"a".repeat(32)}`, 'the digest algorithm "md5" is not one Docker verifies (sha256, sha384, sha512)'],
  [`nginx@sha256:${HEX64}@sha256:${HEX64}`, 'it has more than one "@"'],
  ["nginx@", 'a digest follows "@" as <algorithm>:<hex>, e.g. "@sha256:<64 hex digits>"'],
  [`@sha256:${HEX64}`, "the repository name is empty"],
  ["[2001:db8::1]:5000", 'a registry address in [brackets] is followed by "/" and a repository path'],
  [HEX64, 'write an image id with its algorithm, as "sha256:<64 hex digits>"'],
  ["nginx\u00e9", 'it contains "\\u00e9"; references use only letters, digits and . _ - / : @'],
];

for (const [ref, reason] of INVALID) {
  test(`invalid: ${JSON.stringify(ref.length > 40 ? ref.slice(0, 40) + "…" : ref)}`, (t) => {
    const problem = imageReferenceProblem(ref);
    t.truthy(problem);
    t.is(problem!.slice(problem!.indexOf(" is not one: ") + " is not one: ".length), reason);
    t.true(problem!.startsWith(EXPECTED + "; "));
  });
}

test("the whole message names the form, echoes the input and gives the reason", (t) => {
  t.is(imageReferenceProblem("UPPER/Case::bad"), `${EXPECTED}; "UPPER/Case::bad" is not one: repository names are lowercase`);
  t.is(imageReferenceProblem(""), `${EXPECTED}; "" is not one: it is empty`);
});

test("non-strings are refused with their type", (t) => {
  t.is(imageReferenceProblem(undefined), `${EXPECTED}; got undefined instead of a string`);
  t.is(imageReferenceProblem(null), `${EXPECTED}; got null instead of a string`);
  t.is(imageReferenceProblem(42), `${EXPECTED}; got number instead of a string`);
  t.is(imageReferenceProblem({ image: "nginx" }), `${EXPECTED}; got object instead of a string`);
});

test("the echo of hostile input is short and escaped, so it cannot forge output", (t) => {
  const problem = imageReferenceProblem("\u001b[2J\r\nfake log line\u2028" + "x".repeat(10_000))!;
  t.is(problem, `${EXPECTED}; "\\u001b[2J\\r\\nfake log line\\u2028${"x".repeat(60)}"… is not one: it contains whitespace`);
  t.true(/^[\x20-\x7e…]*$/.test(problem));
});

test("adversarial near-misses are judged quickly (no catastrophic backtracking)", (t) => {
  const inputs = [
    "a-".repeat(250) + "!",
    "a.".repeat(250) + "/",
    "a" + "-".repeat(500) + ":",
    "a/".repeat(250),
    "a".repeat(255) + ":" + "-".repeat(128),
    "a.a".repeat(170) + "/A",
    "[" + ":".repeat(500) + "]",
  ];
  const started = process.hrtime.bigint();
  for (let round = 0; round < 100; round++) for (const input of inputs) t.truthy(imageReferenceProblem(input));
  t.true(Number(process.hrtime.bigint() - started) / 1e6 < 1000);
});
