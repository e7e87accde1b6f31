import test from "ava";
import type { ExecutionContext } from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, hostOf, transcript } from "../helpers/cli";
import { SHORT_WINDOW_FLAGS } from "../helpers/scaling";
import { docker } from "../helpers/docker";
import { DockerEventLog, type DockerEvent } from "../helpers/docker-events";

// An instance that is stopped (scaled down, or its service deleted) gets SIGTERM and then its 10 s
// before SIGKILL, as on Cloud Run; an app that ignores SIGTERM is removed ~10 s after it. Deleting
// such a service still answers at once: the stop runs in the background.
// The fixture with FIXTURE_TRAP_SIGTERM=1 logs `SIGTERM trapped at <epoch ms>` and keeps running.

let engine: TestEngine;
let image: string;
let events: DockerEventLog;

test.before(async () => {
  [image, engine] = await Promise.all([
    fixtureImage(),
    // A 2 s scale-to-zero grace: an idle revision's last instance is stopped within a few seconds.
    startEngine({ flags: SHORT_WINDOW_FLAGS }),
  ]);
  events = new DockerEventLog({ "skiff.engine": engine.engineId });
});

test.after.always(async () => {
  events?.stop();
  await engine?.dispose();
});

/** Deploys a SIGTERM-ignoring service and returns its one container's full id (after one request reached it). */
async function trappingService(t: ExecutionContext, service: string): Promise<string> {
  await deploy(engine, service, ["--image", image, "--env", "FIXTURE_TRAP_SIGTERM=1"]);
  const answer = await engine.request(hostOf(engine, service), "/");
  t.is(answer.status, 200, answer.body);
  const containers = (await engine.containers()).filter((c) => c.labels["skiff.service"] === service);
  t.is(containers.length, 1, `one instance: ${JSON.stringify(containers)}`);
  t.is(containers[0].id.slice(0, 12), String(answer.headers["x-instance"]));
  return containers[0].id;
}

/**
 * Reads the fixture's `SIGTERM trapped at <ms>` line with `docker logs` while the container still
 * exists (it is in its 10 s grace), and returns that time.
 */
async function sigtermTrappedAt(containerId: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    // Docker writes the fixture's stdout to the log: 2>&1 is not needed, but stderr is read too.
    last = await docker(["logs", containerId]).catch((error: unknown) => `(docker logs failed: ${String(error)})`);
    const match = /fixture: SIGTERM trapped at (\d+), ignoring/.exec(last);
    if (match) return Number(match[1]);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no "SIGTERM trapped" line in the container's log within ${timeoutMs} ms; it was:\n${last}`);
}

/** Docker's kill (with the signal), die and destroy events of one container, waiting up to timeoutMs for destroy. */
async function stopEvents(
  containerId: string,
  timeoutMs: number,
): Promise<{ sigterm: DockerEvent; sigkill: DockerEvent; die: DockerEvent; destroy: DockerEvent }> {
  const destroy = await events.waitFor(
    `destroy of ${containerId.slice(0, 12)}`,
    (e) => e.action === "destroy" && e.id === containerId,
    timeoutMs,
  );
  const kills = events.of("kill", containerId);
  const sigterm = kills.find((e) => e.attributes.signal === "15");
  const sigkill = kills.find((e) => e.attributes.signal === "9");
  const [die] = events.of("die", containerId);
  if (!sigterm || !sigkill || !die)
    throw new Error(`expected SIGTERM, SIGKILL and die events for ${containerId.slice(0, 12)}:\n${events.summary()}`);
  return { sigterm, sigkill, die, destroy };
}

function assertTenSecondGrace(t: ExecutionContext, trappedAt: number, e: Awaited<ReturnType<typeof stopEvents>>): void {
  const removedAfter = e.destroy.atMs - trappedAt;
  t.log(
    `SIGTERM trapped at ${trappedAt}; Docker's SIGKILL ${Math.round(e.sigkill.atMs - e.sigterm.atMs)} ms after its SIGTERM; removed ${Math.round(removedAfter)} ms after the trap`,
  );
  t.true(removedAfter >= 9_500, `removed ${removedAfter} ms after the app saw SIGTERM: the 10 s grace was cut short\n${events.summary()}`);
  t.true(removedAfter <= 12_000, `removed ${removedAfter} ms after the app saw SIGTERM: want at most 12 s\n${events.summary()}`);
  const killGap = e.sigkill.atMs - e.sigterm.atMs;
  t.true(killGap >= 9_500 && killGap <= 11_000, `Docker sent SIGKILL ${killGap} ms after SIGTERM (want ~10 s)\n${events.summary()}`);
  t.true(
    Math.abs(e.sigterm.atMs - trappedAt) <= 1_000,
    `the SIGTERM Docker sent (${e.sigterm.atMs}) is the one the app trapped (${trappedAt})`,
  );
  t.is(e.die.attributes.exitCode, "137", "the app ignored SIGTERM, so SIGKILL ended it (exit 137)");
}

test("a scaled-down instance that traps SIGTERM gets SIGTERM, then 10 s before it is killed and removed", async (t) => {
  const containerId = await trappingService(t, "trap-idle");
  // No more requests: after the 2 s grace the autoscaler takes the last instance away.
  const trappedAt = await sigtermTrappedAt(containerId, 15_000);
  const stopped = await stopEvents(containerId, 15_000);
  assertTenSecondGrace(t, trappedAt, stopped);
  const left = (await engine.containers()).filter((c) => c.labels["skiff.service"] === "trap-idle");
  t.deepEqual(left, [], "no container of the service is left");
  // Written in its grace, read from the stopped container before it was removed, kept in the service's log.
  const read = await engine.skiff(["logs", "read", "trap-idle"]);
  t.regex(
    read.stdout,
    new RegExp(`stdout: fixture: SIGTERM trapped at ${trappedAt}, ignoring`),
    transcript(["logs", "read", "trap-idle"], read),
  );
});

test("services delete of a service whose app ignores SIGTERM returns within 1.5 s; the container gets its 10 s and is gone within 12 s", async (t) => {
  const containerId = await trappingService(t, "trap-delete");
  const args = ["services", "delete", "trap-delete"];
  const started = Date.now();
  const result = await engine.skiff(args);
  const tookMs = Date.now() - started;
  t.is(result.code, 0, transcript(args, result));
  t.is(result.stdout, "deleted service trap-delete\n");
  t.log(`services delete took ${tookMs} ms`);
  t.true(tookMs <= 1_500, `the delete returned after ${tookMs} ms: it must not wait for the container's grace period`);
  // The route is gone at once, while the container is still in its grace period.
  const answer = await engine.request(hostOf(engine, "trap-delete"), "/");
  t.is(answer.status, 404, `the deleted service no longer answers: ${answer.status} ${answer.body}`);

  const trappedAt = await sigtermTrappedAt(containerId, 5_000);
  t.true(trappedAt - started < 3_000, `SIGTERM reached the app ${trappedAt - started} ms after the delete began`);
  const stopped = await stopEvents(containerId, 14_000);
  assertTenSecondGrace(t, trappedAt, stopped);
  // Counted from the delete's answer (the service is gone for the user then), not from spawning the CLI.
  const returnedAt = started + tookMs;
  const goneAfter = Math.round(stopped.destroy.atMs - returnedAt);
  t.log(
    `the container was gone ${goneAfter} ms after the delete returned (${Math.round(stopped.destroy.atMs - started)} ms after the CLI was started)`,
  );
  t.true(goneAfter <= 12_000, `the container was gone ${goneAfter} ms after the delete returned (want ≤ 12 s)\n${events.summary()}`);
});
