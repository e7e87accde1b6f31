import test from "ava";
import { applyCloudSqlFlags } from "../../provider/cli/cloudsql-flags";
import type { Mounted } from "../../provider/cli/volume-flags";

// gcloud's --add/--set/--remove/--clear-cloudsql-instances as the template's cloudsql volume, mounted at /cloudsql.

const A = "proj:europe-west1:a";
const B = "proj:europe-west1:b";
const shared = { name: "shared", emptyDir: {} };

test("--add-cloudsql-instances makes the cloudsql volume and its /cloudsql mount, then adds to it; other volumes stay", (t) => {
  const one = applyCloudSqlFlags(
    { volumes: [shared], volumeMounts: [{ name: "shared", mountPath: "/srv" }] },
    { addCloudsqlInstances: [A] },
  );
  t.deepEqual(one, {
    volumes: [shared, { name: "cloudsql", cloudSqlInstance: { instances: [A] } }],
    volumeMounts: [
      { name: "shared", mountPath: "/srv" },
      { name: "cloudsql", mountPath: "/cloudsql" },
    ],
  });
  const two = applyCloudSqlFlags(one, { addCloudsqlInstances: [B, A] });
  t.deepEqual(two.volumes?.[1], { name: "cloudsql", cloudSqlInstance: { instances: [A, B] } });
  t.is(two.volumeMounts?.length, 2, "one mount still");
});

test("--set replaces, --remove takes away (the volume goes with its last instance), --clear removes it; an existing cloudsql volume keeps its name and mount path", (t) => {
  const existing = {
    volumes: [{ name: "db", cloudSqlInstance: { instances: [A, B] } }],
    volumeMounts: [{ name: "db", mountPath: "/sockets" }],
  };
  t.deepEqual(applyCloudSqlFlags(existing, { setCloudsqlInstances: [B] }), {
    volumes: [{ name: "db", cloudSqlInstance: { instances: [B] } }],
    volumeMounts: [{ name: "db", mountPath: "/sockets" }],
  });
  t.deepEqual(applyCloudSqlFlags(existing, { removeCloudsqlInstances: [A] }).volumes, [
    { name: "db", cloudSqlInstance: { instances: [B] } },
  ]);
  t.deepEqual(applyCloudSqlFlags(existing, { removeCloudsqlInstances: [A, B] }), {});
  t.deepEqual(applyCloudSqlFlags(existing, { clearCloudsqlInstances: true }), {});
  t.is(applyCloudSqlFlags(existing, {}), existing, "no flag: the template as it was");
});

test("bad use is a usage error naming the flag: two of them together, an instance with two parts", (t) => {
  t.throws(() => applyCloudSqlFlags({}, { addCloudsqlInstances: [A], clearCloudsqlInstances: true }), {
    message: "--add-cloudsql-instances: cannot be combined with --clear-cloudsql-instances",
  });
  // gcloud 528: "Malformed CloudSQL instance string: a:b".
  t.throws(() => applyCloudSqlFlags({}, { addCloudsqlInstances: ["a:b"] }), {
    message:
      "--add-cloudsql-instances: Malformed CloudSQL instance string: a:b (give PROJECT:REGION:INSTANCE, or the instance's plain name)",
  });
});

const none: Mounted = {};

// What gcloud 528 sent an engine (config_changes.py CloudSQLChanges.Augment; repeated.py _ModifyCurrentValue).
test("a plain instance name is the deploy's project's in its region (--region, else us-central1), as gcloud completes it", (t) => {
  const one = applyCloudSqlFlags(none, { addCloudsqlInstances: ["mydb"], project: "default" });
  t.deepEqual(one.volumes, [{ name: "cloudsql", cloudSqlInstance: { instances: ["default:us-central1:mydb"] } }]);
  const two = applyCloudSqlFlags(none, { setCloudsqlInstances: ["mydb", A], project: "shop", region: "europe-west1" });
  t.deepEqual(two.volumes?.[0]?.cloudSqlInstance?.instances, ["shop:europe-west1:mydb", A]);
  t.deepEqual(applyCloudSqlFlags(two, { removeCloudsqlInstances: ["mydb"], project: "shop", region: "europe-west1" }).volumes, [
    { name: "cloudsql", cloudSqlInstance: { instances: [A] } },
  ]);
});

test("removing an instance the template does not have is no error and changes nothing, as in gcloud", (t) => {
  const existing = {
    volumes: [{ name: "cloudsql", cloudSqlInstance: { instances: [A] } }],
    volumeMounts: [{ name: "cloudsql", mountPath: "/cloudsql" }],
  };
  t.deepEqual(applyCloudSqlFlags(existing, { removeCloudsqlInstances: [B] }), existing);
  t.deepEqual(applyCloudSqlFlags(none, { removeCloudsqlInstances: [B] }), {});
});
