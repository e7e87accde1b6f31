import test from "ava";
import { applyCloudSqlFlags } from "../../provider/cli/cloudsql-flags";

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

test("bad use is a usage error naming the flag: two of them together, removing an instance the template does not have", (t) => {
  t.throws(() => applyCloudSqlFlags({}, { addCloudsqlInstances: [A], clearCloudsqlInstances: true }), {
    message: "--add-cloudsql-instances: cannot be combined with --clear-cloudsql-instances",
  });
  t.throws(() => applyCloudSqlFlags({}, { removeCloudsqlInstances: [A] }), {
    message: `--remove-cloudsql-instances: "${A}" is not an instance of this template; it has none`,
  });
});
