import test from "ava";
import { SkiffError } from "../../provider/model/errors";
import { parseJobSpec } from "../../provider/model/job";
import { templateFingerprint } from "../../provider/model/revision";
import { secretNameSchema } from "../../provider/model/secret";
import { parseServiceTemplate } from "../../provider/model/template";
import { inMemoryVolumeBytes, secretFileMode } from "../../provider/model/volume";
import { impliedDatabaseType, parseDatabaseTarget, parseNfsLocation } from "../../provider/model/volume-mapping";

// The model's rules for secrets and volumes in a template, as the engine, the CLI and the SDK all
// apply them: where a volume may be mounted, what names a secret, and that templates written
// before volumes existed keep their fingerprints.

function violations(input: unknown): string[] {
  try {
    parseServiceTemplate(input);
    return [];
  } catch (error) {
    return (error as SkiffError).violations.map((v) => `${v.field}: ${v.reason}`);
  }
}

const image = "skiff-test/fixture:a";

test("a template without secrets or volumes keeps the fingerprint it had before they existed", (t) => {
  const before = parseServiceTemplate({ image });
  t.false("volumes" in before || "volumeMounts" in before || "secretEnv" in before);
  // What 0.1.0 stored for { image } (test/fixtures/state has such rows): the same fields, the same fingerprint.
  t.is(templateFingerprint(before), templateFingerprint(JSON.parse(JSON.stringify(before))));
});

test("every kind of volume parses, with its defaults", (t) => {
  const template = parseServiceTemplate({
    image,
    secretEnv: { DB_PASSWORD: { secret: "db-pass", version: "1" }, API_KEY: { secret: "api-key" } },
    volumes: [
      { name: "scratch", emptyDir: { sizeLimit: "64Mi" } },
      { name: "data", gcs: { bucket: "my-bucket" } },
      { name: "share", nfs: { server: "nfs.example.test", path: "/exports/a", readOnly: true } },
      { name: "cloudsql", cloudSqlInstance: { instances: ["proj:europe-west1:db"] } },
      { name: "keys", secret: { secret: "api-key", items: [{ path: "api-key" }] } },
    ],
    volumeMounts: [
      { name: "scratch", mountPath: "/scratch" },
      { name: "data", mountPath: "/data" },
      { name: "cloudsql", mountPath: "/cloudsql" },
      { name: "keys", mountPath: "/secrets" },
    ],
  });
  t.deepEqual(template.secretEnv, { DB_PASSWORD: { secret: "db-pass", version: "1" }, API_KEY: { secret: "api-key", version: "latest" } });
  t.deepEqual(template.volumes?.[0], { name: "scratch", emptyDir: { medium: "MEMORY", sizeLimit: "64Mi" } });
  t.deepEqual(template.volumes?.[1], { name: "data", gcs: { bucket: "my-bucket", readOnly: false } });
  t.deepEqual(template.volumes?.[4], { name: "keys", secret: { secret: "api-key", items: [{ path: "api-key", version: "latest" }] } });
});

test("mounts on /, /dev, /proc, /sys (or under them), relative or unnormalised paths, and overlaps are refused, naming the field", (t) => {
  const volumes = [{ name: "v", emptyDir: {} }];
  const at = (mountPath: string) => violations({ image, volumes, volumeMounts: [{ name: "v", mountPath }] });
  t.deepEqual(at("/"), ["template.volumeMounts[0].mountPath: must not be / (the container's whole filesystem)"]);
  for (const p of ["/proc", "/proc/self", "/dev", "/sys/fs"])
    t.regex(at(p)[0], /^template\.volumeMounts\[0\]\.mountPath: must not be \/(proc|dev|sys) or under it/);
  for (const p of ["data", "/a/../etc", "/a//b", "/a/"]) t.is(at(p).length, 1, p);
  t.deepEqual(
    violations({
      image,
      volumes,
      volumeMounts: [
        { name: "v", mountPath: "/data" },
        { name: "v", mountPath: "/data/inner" },
      ],
    }),
    ['template.volumeMounts[1].mountPath: "/data/inner" overlaps volumeMounts[0] ("/data")'],
  );
  t.deepEqual(violations({ image, volumes, volumeMounts: [{ name: "w", mountPath: "/w" }] }), [
    'template.volumeMounts[0].name: names no volume: "w" is not among the template\'s volumes',
  ]);
});

test("a volume is one kind; names are unique; a secret volume's files have relative paths; a variable is plain or secret", (t) => {
  t.deepEqual(violations({ image, volumes: [{ name: "v" }] }), [
    "template.volumes[0]: must set one of secret, emptyDir, gcs, nfs, cloudSqlInstance",
  ]);
  t.deepEqual(violations({ image, volumes: [{ name: "v", emptyDir: {}, gcs: { bucket: "abc" } }] }), [
    "template.volumes[0]: must set one of emptyDir or gcs, not both",
  ]);
  t.deepEqual(
    violations({
      image,
      volumes: [
        { name: "v", emptyDir: {} },
        { name: "v", emptyDir: {} },
      ],
    }),
    ['template.volumes[1].name: "v" is the name of volumes[0] too'],
  );
  t.is(violations({ image, volumes: [{ name: "s", secret: { secret: "k", items: [{ path: "../etc/passwd" }] } }] }).length, 1);
  t.deepEqual(violations({ image, env: { A: "1" }, secretEnv: { A: { secret: "k" } } }), [
    "template.secretEnv.A: A is set in env too: a variable is plain or secret, not both",
  ]);
  t.deepEqual(violations({ image, secretEnv: { PORT: { secret: "k" } } }), [
    "template.secretEnv.PORT: is reserved: the platform sets PORT, K_SERVICE, K_REVISION and K_CONFIGURATION",
  ]);
  t.is(violations({ image, volumes: [{ name: "m", emptyDir: { medium: "DISK" } }] }).length, 1);
  t.is(violations({ image, volumes: [{ name: "b", gcs: { bucket: "../x" } }] }).length, 1);
  t.is(violations({ image, volumes: [{ name: "c", cloudSqlInstance: { instances: ["db"] } }] }).length, 1);
});

test("secret names are never paths; versions are latest or a number", (t) => {
  for (const bad of ["a/b", "..", "../x", "a..b", "", "a b"]) t.false(secretNameSchema.safeParse(bad).success, bad);
  for (const good of ["db-pass", "API_KEY", "x1"]) t.true(secretNameSchema.safeParse(good).success, good);
  t.is(violations({ image, secretEnv: { A: { secret: "a", version: "newest" } } }).length, 1);
});

test("a job's template takes secrets and volumes too", (t) => {
  const spec = parseJobSpec({
    template: {
      image,
      secretEnv: { TOKEN: { secret: "t" } },
      volumes: [{ name: "data", gcs: { bucket: "shared-bucket" } }],
      volumeMounts: [{ name: "data", mountPath: "/data" }],
    },
  });
  t.deepEqual(spec.template.volumeMounts, [{ name: "data", mountPath: "/data" }]);
  t.throws(() =>
    parseJobSpec({ template: { image, volumes: [{ name: "v", emptyDir: {} }], volumeMounts: [{ name: "v", mountPath: "/proc" }] } }),
  );
});

test("mapped targets: an NFS location, a database's address or socket, and the type it implies", (t) => {
  t.deepEqual(parseNfsLocation("nfs.example.test:/exports/a"), { server: "nfs.example.test", path: "/exports/a" });
  t.truthy(parseNfsLocation("nfs.example.test").problem);
  t.truthy(parseNfsLocation("nfs.example.test:/a/../b").problem);
  t.deepEqual(parseDatabaseTarget("127.0.0.1:5432").target, { kind: "tcp", host: "127.0.0.1", port: 5432 });
  t.deepEqual(parseDatabaseTarget("[::1]:3306").target, { kind: "tcp", host: "::1", port: 3306 });
  t.deepEqual(parseDatabaseTarget("/tmp/pg/.s.PGSQL.5432").target, { kind: "socket", path: "/tmp/pg/.s.PGSQL.5432" });
  t.truthy(parseDatabaseTarget("localhost").problem);
  t.truthy(parseDatabaseTarget("db:99999").problem);
  t.is(impliedDatabaseType({ kind: "tcp", host: "h", port: 5432 }), "postgres");
  t.is(impliedDatabaseType({ kind: "socket", path: "/run/mysqld/mysqld.sock" }), "mysql");
  t.is(impliedDatabaseType({ kind: "tcp", host: "h", port: 6000 }), undefined);
});

test("an in-memory volume without a size limit gets half the memory of all the containers, as Cloud Run sizes it; a limit is kept as given", (t) => {
  const Mi = 1024 * 1024;
  t.is(inMemoryVolumeBytes({}, 512 * Mi), 256 * Mi);
  // Two containers of 512Mi and 256Mi: (512 + 256) / 2.
  t.is(inMemoryVolumeBytes({}, 768 * Mi), 384 * Mi);
  t.is(inMemoryVolumeBytes({ sizeLimit: "64Mi" }, 512 * Mi), 64 * Mi);
  // A limit above half (even above the memory) is the user's to set: Cloud Run keeps it too.
  t.is(inMemoryVolumeBytes({ sizeLimit: "1Gi" }, 512 * Mi), 1024 * Mi);
});

test("a mounted secret file's mode is Cloud Run's: the item's, else the volume's default, else 0444; 0 is not given; write bits dropped (umask 0222)", (t) => {
  t.is(secretFileMode(undefined, undefined), 0o444);
  t.is(secretFileMode(0, 0), 0o444, "0 or not set: the default");
  t.is(secretFileMode(0, 0o440), 0o440, "an item's 0: the volume's default mode");
  t.is(secretFileMode(0o400, 0o555), 0o400, "the item's mode over the volume's");
  t.is(secretFileMode(undefined, 0o600), 0o400);
  t.is(secretFileMode(0o777, undefined), 0o555);
  t.is(secretFileMode(0o640, undefined), 0o440);
});
