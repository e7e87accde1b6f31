import test from "ava";
import { UsageError } from "../../provider/cli/output";
import { applyMountFlags } from "../../provider/cli/mount-flags";
import { parseAddVolume, parseAddVolumeMount } from "../../provider/cli/volume-flags";
import { describeMounts } from "../../provider/cli/mount-flags";
import { parseServiceTemplate, type ServiceTemplateInput } from "../../provider/model/template";

// gcloud's secret and volume flags as pure functions of a template: the set/update/remove/clear
// semantics, and errors that name the flag (exit 1 before anything reaches the engine).

const image = "img:1";
/** Templates as the CLI builds them (the engine's input shape). */
const tpl = (t: ServiceTemplateInput): ServiceTemplateInput => t;
const message = (fn: () => unknown) =>
  (() => {
    try {
      fn();
      return "no error";
    } catch (error) {
      return error instanceof UsageError ? error.message : `not a UsageError: ${String(error)}`;
    }
  })();

test("--set-secrets puts env secrets in secretEnv and file secrets in a secret volume per folder", (t) => {
  const t1 = applyMountFlags(tpl({ image }), {
    setSecrets: { DB_PASSWORD: "db-pass:1", "/secrets/api-key": "api-key:latest", TOKEN: "tok:latest" },
  });
  t.deepEqual(t1.secretEnv, { DB_PASSWORD: { secret: "db-pass", version: "1" }, TOKEN: { secret: "tok", version: "latest" } });
  t.deepEqual(t1.volumes, [{ name: "secret-api-key", secret: { secret: "api-key", items: [{ path: "api-key", version: "latest" }] } }]);
  t.deepEqual(t1.volumeMounts, [{ name: "secret-api-key", mountPath: "/secrets" }]);
  // What the engine gets is valid for it as it is.
  t.notThrows(() => parseServiceTemplate(t1));
});

test("a secret without a version is refused as gcloud refuses it for Cloud Run: KEY:latest must be written", (t) => {
  t.is(
    message(() => applyMountFlags(tpl({ image }), { setSecrets: { TOKEN: "tok" } })),
    "--set-secrets: No secret version specified for TOKEN. Use TOKEN:latest to reference the latest version.",
  );
  t.is(
    message(() => applyMountFlags(tpl({ image }), { updateSecrets: { "/secrets/key": "api-key" } })),
    "--update-secrets: No secret version specified for /secrets/key. Use /secrets/key:latest to reference the latest version.",
  );
});

test("--update-secrets adds or changes, --remove-secrets removes, --clear-secrets empties; other volumes stay", (t) => {
  const start = applyMountFlags(
    tpl({ image, volumes: [{ name: "scratch", emptyDir: {} }], volumeMounts: [{ name: "scratch", mountPath: "/scratch" }] }),
    { setSecrets: { A: "a:1", "/s/k": "k:1" } },
  );
  const updated = applyMountFlags(start, { updateSecrets: { A: "a:2", "/s/k2": "k:2" } });
  t.deepEqual(updated.secretEnv, { A: { secret: "a", version: "2" } });
  t.deepEqual(updated.volumes?.[1], {
    name: "secret-k",
    secret: {
      secret: "k",
      items: [
        { path: "k", version: "1" },
        { path: "k2", version: "2" },
      ],
    },
  });
  t.deepEqual(updated.volumes?.[0], { name: "scratch", emptyDir: {} });
  const removed = applyMountFlags(updated, { removeSecrets: ["A", "/s/k", "/s/k2"] });
  t.is(removed.secretEnv, undefined);
  t.deepEqual(removed.volumes, [{ name: "scratch", emptyDir: {} }]);
  t.deepEqual(removed.volumeMounts, [{ name: "scratch", mountPath: "/scratch" }]);
  t.deepEqual(applyMountFlags(updated, { clearSecrets: true }).volumeMounts, [{ name: "scratch", mountPath: "/scratch" }]);
  // No secret flag: the template is left exactly as it was (no new revision).
  t.is(applyMountFlags(updated, {}), updated);
  // The same secrets set again give the same template (the folder keeps its volume's name).
  t.deepEqual(applyMountFlags(start, { setSecrets: { A: "a:1", "/s/k": "k:1" } }), start);
});

test("bad secret flags exit 1 naming the flag: a name with / or .., a mount on /proc, two secrets in one folder, a bad version", (t) => {
  t.is(
    message(() => applyMountFlags(tpl({ image }), { setSecrets: { X: "a/b:1" } })),
    "--set-secrets: X: secret \"a/b\" must be a secret name: letters, digits, hyphens and underscores (no '/', no '..')",
  );
  t.regex(
    message(() => applyMountFlags(tpl({ image }), { updateSecrets: { X: "..:1" } })),
    /^--update-secrets: X: secret "\.\." must be a secret name/,
  );
  t.regex(
    message(() => applyMountFlags(tpl({ image }), { setSecrets: { "/proc/x": "a:1" } })),
    /^--set-secrets: "\/proc\/x": its folder \/proc must not be \/proc/,
  );
  t.regex(
    message(() => applyMountFlags(tpl({ image }), { setSecrets: { "/x": "a:1" } })),
    /^--set-secrets: "\/x": its folder \/ must not be \//,
  );
  t.regex(
    message(() => applyMountFlags(tpl({ image }), { setSecrets: { "/s/a": "a:1", "/s/b": "b:1" } })),
    /^--set-secrets: \/s would hold two secrets/,
  );
  t.regex(
    message(() => applyMountFlags(tpl({ image }), { setSecrets: { X: "a:newest" } })),
    /^--set-secrets: X: version "newest"/,
  );
  t.regex(
    message(() => applyMountFlags(tpl({ image }), { setSecrets: { X_GOOGLE_KEY: "a:1" } })),
    /^--set-secrets: "X_GOOGLE_KEY" is reserved: names starting with X_GOOGLE_/,
  );
  t.regex(
    message(() => applyMountFlags(tpl({ image }), { setSecrets: { A: "a" }, updateSecrets: { B: "b" } })),
    /^--set-secrets: cannot be combined with/,
  );
  t.regex(
    message(() => applyMountFlags(tpl({ image, env: { A: "1" } }), { setSecrets: { A: "a:1" } })),
    /^--set-secrets: A is a plain variable too/,
  );
});

test("--add-volume takes gcloud's types, each with what it needs; errors name the flag", (t) => {
  t.deepEqual(parseAddVolume("name=s,type=in-memory,size-limit=64Mi"), { name: "s", emptyDir: { medium: "MEMORY", sizeLimit: "64Mi" } });
  t.deepEqual(parseAddVolume("name=d,type=cloud-storage,bucket=my-bucket,readonly=true"), {
    name: "d",
    gcs: { bucket: "my-bucket", readOnly: true },
  });
  t.deepEqual(parseAddVolume("name=n,type=nfs,location=nfs.test:/exports"), {
    name: "n",
    nfs: { server: "nfs.test", path: "/exports", readOnly: undefined },
  });
  t.deepEqual(parseAddVolume("name=c,type=cloudsql,instances=p:r1:a;p:r1:b"), {
    name: "c",
    cloudSqlInstance: { instances: ["p:r1:a", "p:r1:b"] },
  });
  t.is(
    message(() => parseAddVolume("type=nfs,name=n")),
    "--add-volume: type=nfs needs location=HOST:/path",
  );
  t.is(
    message(() => parseAddVolume("name=n,type=disk")),
    '--add-volume: type must be one of in-memory, cloud-storage, nfs, cloudsql, got "disk"',
  );
  t.is(
    message(() => parseAddVolume("name=n,type=in-memory,bucket=b")),
    "--add-volume: bucket does not apply to type=in-memory",
  );
  t.is(
    message(() => parseAddVolume("name=n,type=cloud-storage,bucket=../etc")),
    "--add-volume: bucket \"../etc\" must be a bucket name: 3 to 63 lowercase letters, digits, '-', '_' and '.' (no '..')",
  );
  t.regex(
    message(() => parseAddVolume("name=n,type=nfs,location=h:relative")),
    /^--add-volume: location the path must be an absolute path/,
  );
  t.regex(
    message(() => parseAddVolume("name=n,type=in-memory,size-limit=lots")),
    /^--add-volume: sizeLimit "lots"/,
  );
  t.is(
    message(() => parseAddVolumeMount("volume=v,mount-path=/proc")),
    "--add-volume-mount: mount-path \"/proc\" must not be /proc or under it: the container's /proc is the kernel's",
  );
  t.is(
    message(() => parseAddVolumeMount("mount-path=/x")),
    "--add-volume-mount: volume=NAME is required",
  );
});

test("volume flags in gcloud's order: clear, remove (with its mounts), add; a mount names a volume of the template", (t) => {
  const t1 = applyMountFlags(tpl({ image }), {
    addVolume: ["name=a,type=in-memory", "name=b,type=cloud-storage,bucket=bbb"],
    addVolumeMount: ["volume=a,mount-path=/a", "volume=b,mount-path=/b"],
  });
  t.deepEqual(t1.volumeMounts, [
    { name: "a", mountPath: "/a" },
    { name: "b", mountPath: "/b" },
  ]);
  const t2 = applyMountFlags(t1, { removeVolume: ["a"] });
  t.deepEqual(
    t2.volumes?.map((v) => v.name),
    ["b"],
  );
  t.deepEqual(t2.volumeMounts, [{ name: "b", mountPath: "/b" }]);
  const t3 = applyMountFlags(t1, { clearVolumes: true });
  t.false("volumes" in t3 || "volumeMounts" in t3);
  t.regex(
    message(() => applyMountFlags(tpl({ image }), { addVolumeMount: ["volume=x,mount-path=/x"] })),
    /^--add-volume-mount: "x" is not a volume of this template/,
  );
  t.regex(
    message(() => applyMountFlags(t1, { removeVolume: ["zz"] })),
    /^--remove-volume: "zz" is not a volume/,
  );
});

test("describe names secrets by name and version and volumes by kind, never a value", (t) => {
  const template = parseServiceTemplate(
    applyMountFlags(tpl({ image }), {
      setSecrets: { A: "a:1", "/s/k": "k:latest" },
      addVolume: ["name=m,type=in-memory,size-limit=64Mi"],
      addVolumeMount: ["volume=m,mount-path=/m"],
    }),
  );
  t.deepEqual(describeMounts(template, 10), ["  Secrets:  A=a:1 /s/k=k:latest", "  Volumes:  /m (in-memory 64Mi)"]);
});

test("--remove-secrets of a name or file that is not there changes nothing and is no error, as in gcloud", (t) => {
  const deployed = applyMountFlags(tpl({ image }), { setSecrets: { DB_PASSWORD: "db-pass:1", "/secrets/api-key": "api-key:latest" } });
  t.deepEqual(applyMountFlags(deployed, { removeSecrets: ["NOPE", "/nope/x", "/secrets/other"] }), deployed);
  t.deepEqual(applyMountFlags(deployed, { removeSecrets: ["NOPE", "DB_PASSWORD"] }).secretEnv, undefined);
});
