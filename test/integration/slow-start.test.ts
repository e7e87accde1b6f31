import test from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, hostOf, listRevisions, listServices, transcript } from "../helpers/cli";
import { eventually } from "../helpers/http";
import { timed } from "../helpers/probes";

// A revision that takes minutes to start (its app never listens; the startup deadline is 240 s)
// holds no lock: traffic changes and a delete of its service answer at once, and the delete
// cancels the start.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

test("while a revision that never listens is starting, update-traffic and delete answer within 1 s and the delete cancels the start", async (t) => {
  await deploy(engine, "stuck", ["--image", image]);
  const ready = (await describeService(engine, "stuck")).latestReadyRevision ?? "";
  t.regex(ready, /^stuck-00001-[a-z]{3}$/);

  const deployArgs = ["deploy", "stuck", "--env", "FIXTURE_MODE=never-listen"];
  const deploying = timed(() => engine.skiff(deployArgs, { timeoutMs: 300_000 }));
  const starting = await eventually(
    "the never-listening revision has a running container",
    async () => {
      const newest = (await listRevisions(engine, "stuck")).find((r) => r.name !== ready);
      if (newest?.status !== "PENDING") return undefined;
      const running = (await engine.containers()).filter((c) => c.labels["skiff.revision"] === newest.name && c.state === "running");
      return running.length === 1 ? { revision: newest.name, container: running[0].id } : undefined;
    },
    30_000,
    200,
  );

  // Each call is timed beside `engine status`, a CLI call that does no work: on this busy 2-core
  // machine starting a CLI process alone can take most of a second.
  const baseline = await timed(() => engine.skiff(["engine", "status"]));
  const traffic = await timed(() => engine.skiff(["services", "update-traffic", "stuck", "--to-latest", "--format", "json"]));
  t.is(traffic.value.code, 0, transcript(["services", "update-traffic", "stuck", "--to-latest"], traffic.value));
  // The CLI's JSON is gcloud's: a pair per traffic target, its routed percent statusPercent.
  const pairs = JSON.parse(traffic.value.stdout || "[]") as { revisionName: string; statusPercent: string }[];
  t.deepEqual(
    pairs.map((p) => [p.revisionName, p.statusPercent]),
    [[ready, "100"]],
    "latest means latest ready: the starting revision gets nothing",
  );
  t.is((await engine.request(hostOf(engine, "stuck"), "/")).status, 200);

  const deleted = await timed(() => engine.skiff(["services", "delete", "stuck"]));
  t.is(deleted.value.code, 0, transcript(["services", "delete", "stuck"], deleted.value));
  t.log(
    `update-traffic ${traffic.ms.toFixed(0)} ms, delete ${deleted.ms.toFixed(0)} ms, engine status (a CLI call doing nothing) ${baseline.ms.toFixed(0)} ms`,
  );
  t.true(
    traffic.ms < 1000 + baseline.ms,
    `update-traffic answers within 1 s of a CLI call doing nothing: ${traffic.ms.toFixed(0)} ms vs ${baseline.ms.toFixed(0)} ms`,
  );
  t.true(
    deleted.ms < 1000 + baseline.ms,
    `delete answers within 1 s of a CLI call doing nothing: ${deleted.ms.toFixed(0)} ms vs ${baseline.ms.toFixed(0)} ms`,
  );

  const deletedAt = Date.now();
  await eventually(
    "the starting container is gone",
    async () => (await engine.containers()).every((c) => c.id !== starting.container),
    15_000,
    200,
  ).catch(() => undefined);
  const goneAfterMs = Date.now() - deletedAt;
  t.deepEqual(
    (await engine.containers()).filter((c) => c.id === starting.container).map((c) => `${c.id} ${c.state}`),
    [],
    `the start is cancelled: its container is removed within 15 s of the delete`,
  );

  const background = await deploying;
  t.log(`starting container gone ${goneAfterMs} ms after the delete; the background deploy ended after ${background.ms.toFixed(0)} ms`);
  t.is(background.value.code, 1, transcript(deployArgs, background.value));
  // The deploy's steps (not on a terminal: one line each as it ends), then the one error line.
  t.is(
    background.value.stderr.trim(),
    [
      "Creating revision: done",
      `Starting instance of ${starting.revision}: failed`,
      `skiff: error: revision: "${starting.revision}" not found in project "default": it was deleted while it was starting`,
    ].join("\n"),
    transcript(deployArgs, background.value),
  );
  t.true(background.ms < 60_000, `the background deploy does not wait for the 240 s startup deadline: ${background.ms.toFixed(0)} ms`);
  t.deepEqual(
    (await listServices(engine)).map((s) => s.name),
    [],
    "the service is gone",
  );
});
