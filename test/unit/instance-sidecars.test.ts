import test from "ava";
import { harness, PROJECT, SERVICE, T0, type Harness } from "../helpers/instance-harness";

/**
 * Instances of several containers on a fake runtime and a fake clock: the start order dependsOn
 * gives (each group after the one before listens), ready when all are, one network namespace held
 * by the first container, PORT only for the ingress container; they stop together and die together.
 */

function setup(t: { teardown(fn: () => Promise<void>): void }): Harness {
  const h = harness();
  t.teardown(() => h.dispose());
  return h;
}

const pair = {
  containerName: "app",
  dependsOn: ["backend"],
  sidecars: [{ name: "backend", image: "backend:1", startupProbe: { tcpSocket: { port: 9000 } } }],
};

/** A serving revision of the pair with one ready instance; each container listens 100 ms after its start. */
async function servingPair(h: Harness, t: { is(a: unknown, b: unknown, m?: string): void }) {
  h.runtime.behaviour = { listenAfterMs: 100 };
  const rev = h.revision("hello-00001-abc", { ...pair, scaling: { minInstanceCount: 1 } });
  rev.sidecarDigests = { backend: "sha256:b0b0" };
  h.controller.start();
  const first = h.track(h.controller.startFirst(rev));
  await h.clock.run(150);
  t.is(first.state, "pending", "not ready while the ingress container, started after the sidecar listened, does not listen yet");
  await h.clock.run(100);
  t.is(first.state, "resolved", "ready once every container listens");
  h.controller.serve(PROJECT, SERVICE, [rev]);
  await h.clock.run(0);
  const [backend, app] = h.runtime.started();
  return { rev, backend, app };
}

test("the sidecar starts first and holds the network; the ingress container starts once it listens, joins it, and alone gets PORT", async (t) => {
  const h = setup(t);
  const { backend, app } = await servingPair(h, t);
  t.deepEqual([backend.labels["skiff.container"], app.labels["skiff.container"]], ["backend", "app"]);
  t.is(backend.createdAt, T0);
  t.is(app.createdAt, T0 + 100, "the ingress container starts when the sidecar's probe passes");
  t.like(backend.spec, { image: "sha256:b0b0", port: 8080, networkOf: undefined });
  t.like(app.spec, { port: undefined, networkOf: backend.id });
  t.false("PORT" in backend.spec!.env);
  t.is(app.spec!.env.PORT, "8080");
  t.is(backend.spec!.env.K_SERVICE, SERVICE);
  t.is(backend.labels["skiff.instance"], app.labels["skiff.instance"]);
  t.is(h.store.listInstances()[0].containerId, backend.id, "the instance's row names the container that holds the network");
});

test("a sidecar that exits takes the instance with it: both containers go at once, the revision names the container, a replacement follows", async (t) => {
  const h = setup(t);
  const { rev, backend, app } = await servingPair(h, t);
  await h.clock.runTo(T0 + 1000);
  h.runtime.kill(backend.id, { exitCode: 3 });
  t.is(h.throttler(rev.name).readyInstances, 0, "out of routing in the event handler itself");
  await h.clock.run(0);
  t.deepEqual(
    h.runtime
      .stops()
      .map((s) => [s.containerId, s.graceSeconds, s.at])
      .sort(),
    [
      [app.id, 0, T0 + 1000],
      [backend.id, 0, T0 + 1000],
    ].sort(),
  );
  t.regex(
    h.store.getRevision(PROJECT, rev.name)!.instanceError ?? "",
    /container backend of instance \w+ exited with code 3; a new instance starts in 1 s/,
  );
  await h.clock.run(1500);
  t.is(h.runtime.live().filter((c) => c.running).length, 2, "a new instance of both containers");
});

test("they stop together: SIGTERM to both at once with a 10 s grace when the instance is drained", async (t) => {
  const h = setup(t);
  const { rev, backend, app } = await servingPair(h, t);
  await h.clock.runTo(T0 + 2000);
  const removed = h.track(h.controller.removeRevision(PROJECT, rev.name));
  await h.clock.run(0);
  const sigterms = h.runtime.history.filter((e) => e.op === "sigterm").map((e) => [e.containerId, e.at, e.detail?.graceSeconds]);
  t.deepEqual(
    sigterms.sort(),
    [
      [app.id, T0 + 2000, 10],
      [backend.id, T0 + 2000, 10],
    ].sort(),
  );
  await h.clock.run(11_000);
  t.is(removed.state, "resolved");
  t.deepEqual(h.runtime.live(), []);
});

test("after a sidecar's die event new requests wait for the replacement, and the revision's failure carries the event's time, not its inspect's", async (t) => {
  const h = setup(t);
  const { rev, backend, app } = await servingPair(h, t);
  const oldInstance = app.labels["skiff.instance"];
  // Docker answers the inspect of the dead container late: what the engine does first must not wait for it.
  const inspect = h.runtime.inspect.bind(h.runtime);
  h.runtime.inspect = async (id) => {
    await new Promise((resolve) => setTimeout(resolve, 40));
    return inspect(id);
  };
  await h.clock.runTo(T0 + 1000);
  const before = Date.now();
  h.runtime.kill(backend.id, { exitCode: 137 });
  const after = Date.now();
  const waiting = h.acquire(rev.name);
  // The failure is recorded once the slow inspect answers (real time: a loaded machine may take longer than 40 ms).
  const recorded = () => h.store.getRevision(PROJECT, rev.name)!.instanceError;
  for (let waited = 0; recorded() === undefined && waited < 5_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  await h.clock.run(0);
  const stored = recorded() ?? "";
  const noticedAt = Date.parse(stored.slice(0, stored.indexOf(" ")));
  t.true(noticedAt >= before - 1 && noticedAt <= after, `${stored} (the die event came at ${new Date(before).toISOString()})`);
  t.regex(stored, /container backend of instance \w+ exited with code 137/);
  h.runtime.inspect = inspect;
  // The replacement starts after the 1 s back-off; its sidecar, then its ingress container, listen 100 ms each.
  await h.clock.runTo(T0 + 2199);
  t.is(waiting.state, "pending", "the request queues: nothing routes to the instance whose sidecar died");
  await h.clock.runTo(T0 + 2200);
  t.is(waiting.state, "resolved");
  t.not(waiting.value!.endpoint.instanceId, oldInstance, "it is served by the replacement");
  waiting.value!.release();
});
