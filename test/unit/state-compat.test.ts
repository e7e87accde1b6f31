import test from "ava";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fixturePath } from "../helpers/fixture-image";
import { Store } from "../../provider/state/store";

// A state.db written by the release before node:sqlite (stop 17, better-sqlite3; made with that
// release's own Store: test/fixtures/state/release-0.1.0-stop17.db) opens with every service,
// revision, job, execution, task and domain mapping intact, and takes the migrations since.

function openCopy(): Store {
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-state-"));
  const file = path.join(dir, "state.db");
  copyFileSync(fixturePath("state/release-0.1.0-stop17.db"), file);
  return Store.open(file);
}

test("services, revisions, traffic, tags and domain mappings come back as they were", (t) => {
  const store = openCopy();
  t.teardown(() => store.close());
  t.is(store.engineId(), "7640a036aea7", "the engine keeps its id, so it re-adopts its containers");
  const hello = store.getService("default", "hello")!;
  t.like(hello, { generation: 3, nextGeneration: 3, ingress: "all", labels: { team: "a" } });
  t.deepEqual(hello.traffic, [
    { type: "REVISION", revision: "hello-00001-abc", percent: 90 },
    { type: "REVISION", revision: "hello-00002-def", percent: 10, tag: "canary" },
  ]);
  t.deepEqual(hello.template.env, { GREETING: "hi" });
  t.deepEqual(
    store.listRevisions("default", "hello").map((r) => [r.name, r.status, r.imageDigest.slice(0, 8), r.template.env.GREETING]),
    [
      ["hello-00002-def", "READY", "sha256:2", "hello"],
      ["hello-00001-abc", "READY", "sha256:1", "hi"],
    ],
  );
  t.like(store.getRevision("staging", "api-00001-xyz"), { status: "FAILED", error: "revision api-00001-xyz is not ready: it exited" });
  t.is(store.getService("staging", "api")!.ingress, "internal");
  t.deepEqual(
    store.listDomainMappings().map((m) => [m.domain, m.project, m.service]),
    [["hello.example.test", "default", "hello"]],
  );
});

test("jobs, executions and tasks come back as they were", (t) => {
  const store = openCopy();
  t.teardown(() => store.close());
  t.like(store.jobs.getJob("default", "migrate"), { generation: 1, executionCount: 1, template: { taskCount: 3, maxRetries: 1 } });
  t.like(store.jobs.getExecution("default", "migrate-abcde"), { status: "SUCCEEDED", cancelRequested: false });
  t.deepEqual(
    store.jobs.listTasks("default", "migrate-abcde").map((task) => [task.index, task.state, task.attempt, task.exitCode]),
    [
      [0, "SUCCEEDED", 0, 0],
      [1, "SUCCEEDED", 0, 0],
      [2, "SUCCEEDED", 1, 0],
    ],
  );
});

test("the migrations since that release run: a service with no policy yet is public, and policies and settings can be kept", (t) => {
  const store = openCopy();
  t.teardown(() => store.close());
  t.is(store.policies.get("default", "service", "hello"), undefined);
  store.policies.put("default", "service", "hello", [{ role: "roles/run.invoker", members: ["allUsers"] }]);
  store.putSetting("metadata-port", "41234");
  t.deepEqual(store.policies.get("default", "service", "hello"), [{ role: "roles/run.invoker", members: ["allUsers"] }]);
  t.is(store.setting("metadata-port"), "41234");
});

test("a transaction inside a transaction is part of it: a throw in the outer one undoes both", (t) => {
  const store = openCopy();
  t.teardown(() => store.close());
  t.throws(() =>
    store.transaction(() => {
      store.deleteService("default", "hello");
      throw new Error("changed my mind");
    }),
  );
  t.truthy(store.getService("default", "hello"));
  t.is(store.listRevisions("default", "hello").length, 2);
  t.is(store.listDomainMappings().length, 1);
});

test("the release's state.db takes the secrets and mappings tables; its services still parse as they were", (t) => {
  const store = openCopy();
  t.teardown(() => store.close());
  t.deepEqual(store.secrets.list(), []);
  store.secrets.put({ project: "default", name: "db-pass", labels: {}, nextVersion: 2, createTime: "2026-01-01T00:00:00.000Z" });
  store.secrets.addVersion(
    { project: "default", secret: "db-pass", version: 1, state: "ENABLED", createTime: "2026-01-01T00:00:00.000Z" },
    Buffer.from("x"),
  );
  t.is(store.secrets.value("default", "db-pass", 1)?.toString(), "x");
  store.mappings.put({ kind: "bucket", name: "my-bucket", path: "/srv/b", createTime: "2026-01-01T00:00:00.000Z" });
  t.like(store.mappings.get("bucket", "my-bucket"), { path: "/srv/b" });
  t.false("volumes" in store.getService("default", "hello")!.template);
});
