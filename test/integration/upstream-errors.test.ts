import test from "ava";
import type { ExecutionContext } from "ava";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, describeService, hostOf } from "../helpers/cli";
import { eventually } from "../helpers/http";
import { engineLogEntries } from "../helpers/probes";

// What the router does with instances that answer badly: a lenient parse where nginx is lenient
// (bare-LF header lines), otherwise a 502 naming the cause and a line in engine.log. And whose
// X-Forwarded-* headers reach the app: the engine's own, unless the client is a trusted proxy.

let engine: TestEngine;
/** Trusts 127.0.0.1 as a proxy in front of it, and reaches instances at their published ports. */
let trusting: TestEngine;
let image: string;

test.before(async () => {
  [image, engine, trusting] = await Promise.all([
    fixtureImage(),
    startEngine(),
    startEngine({ flags: ["--trusted-proxies", "127.0.0.1", "--instance-address", "published"] }),
  ]);
  await Promise.all([
    deploy(engine, "raw", ["--image", image, "--env", "FIXTURE_MODE=raw"]),
    deploy(engine, "web", ["--image", image]),
    deploy(trusting, "web", ["--image", image]),
  ]);
});

test.after.always(async () => {
  await Promise.all([engine?.dispose(), trusting?.dispose()]);
});

interface UpstreamFailed {
  revision: string;
  instance: string;
  cause: string;
  detail: string;
}

async function revisionOf(on: TestEngine, service: string): Promise<string> {
  return (await describeService(on, service)).latestReadyRevision ?? "(none ready)";
}

/**
 * The causes of the `upstream failed` lines engine.log has for a revision, once it has `count` of
 * those matching `prefix` (the log is written just after the answer is sent) or 5 s have passed.
 */
async function causesLogged(on: TestEngine, revision: string, prefix: string, count = 1): Promise<string[]> {
  const read = () =>
    engineLogEntries<UpstreamFailed>(on, "upstream failed")
      .filter((e) => e.revision === revision)
      .map((e) => `${e.cause} ${e.detail}`)
      .filter((c) => c.startsWith(prefix));
  await eventually(`${count} "upstream failed" lines with cause ${prefix}`, async () => read().length >= count, 5_000, 50).catch(
    () => undefined,
  );
  return read();
}

test.serial("an upstream answering with bare-LF header lines is passed through: 200 with its body", async (t) => {
  const answer = await engine.request(hostOf(engine, "raw"), "/bare-lf");
  t.is(answer.status, 200, answer.body);
  t.is(answer.body, "bare-lf\n");
  t.is(answer.headers["content-type"], "text/plain");
});

test.serial("an upstream that resets the connection gives 502 saying so, and an `upstream failed` line with cause reset", async (t) => {
  const revision = await revisionOf(engine, "raw");
  const answer = await engine.request(hostOf(engine, "raw"), "/reset");
  t.is(answer.status, 502, answer.body);
  t.is(answer.body, "the instance reset the connection before it answered (ECONNRESET)\n");
  t.deepEqual(await causesLogged(engine, revision, "reset"), ["reset ECONNRESET"], engine.logTail(10));
});

test.serial(
  "an upstream that answers with something that is not HTTP gives 502 saying it was malformed, and a line with cause bad-response",
  async (t) => {
    const revision = await revisionOf(engine, "raw");
    const answer = await engine.request(hostOf(engine, "raw"), "/malformed");
    t.is(answer.status, 502, answer.body);
    t.regex(answer.body, /^the instance sent a malformed HTTP response \(HPE_[A-Z_]+\)\n$/);
    const malformed = await causesLogged(engine, revision, "bad-response");
    t.is(malformed.length, 1, engine.logTail(10));
    t.regex(malformed[0] ?? "", /^bad-response HPE_[A-Z_]+$/);
    // The instance lives on and serves a proper answer afterwards.
    const ok = await engine.request(hostOf(engine, "raw"), "/");
    t.is(ok.status, 200, ok.body);
    t.is(ok.body, "raw ok\n");
  },
);

/** Deploys a service, makes its app close its listener (the process lives on), and asks again. */
async function refusedAfterStopListening(t: ExecutionContext, on: TestEngine, service: string): Promise<void> {
  await deploy(on, service, ["--image", image]);
  const revision = await revisionOf(on, service);
  const stop = await on.request(hostOf(on, service), "/stop-listening");
  t.is(stop.status, 200, stop.body);
  t.is(stop.body, "fixture: no longer listening\n");
  // The app closes its listener just after this answer; a connection that reached the listener before
  // that is reset, not refused. Its log line is written right before the close, so once the engine has
  // it, nothing listens.
  await eventually("the fixture's 'stopped listening' line in the service's log", async () => {
    const read = await on.skiff(["logs", "read", service]);
    return read.code === 0 && read.stdout.includes("fixture: stopped listening");
  });
  const answer = await on.request(hostOf(on, service), "/", { timeoutMs: 30_000 });
  t.is(answer.status, 502, answer.body);
  t.is(answer.body, "the instance refused the connection (nothing listens on its port) (ECONNREFUSED)\n", on.logTail(10));
  // A request without a body that was refused goes once more (it never reached the app): one line per try.
  const causes = await causesLogged(on, revision, "");
  t.true(causes.length >= 1, `an \`upstream failed\` line for ${revision}:\n${on.logTail(10)}`);
  t.deepEqual([...new Set(causes)], ["refused ECONNREFUSED"], on.logTail(10));
}

test.serial(
  "an instance whose app stopped listening gives 502 saying the connection was refused, and a line with cause refused",
  async (t) => {
    await refusedAfterStopListening(t, engine, "closer");
  },
);

test.serial("the same through Docker's published port (--instance-address published): 502 saying refused, not reset", async (t) => {
  await refusedAfterStopListening(t, trusting, "closer");
});

const SPOOFED = {
  "x-forwarded-for": "203.0.113.7",
  "x-forwarded-proto": "https",
  "x-forwarded-host": "evil.example",
  forwarded: 'for="203.0.113.7";proto=https',
};

test.serial(
  "a client's own X-Forwarded-For, -Proto, -Host and Forwarded are overwritten: the app sees the client's address, http and the Host",
  async (t) => {
    const host = hostOf(engine, "web");
    const answer = await engine.request(host, "/headers", { headers: SPOOFED });
    t.is(answer.status, 200, answer.body);
    const seen = JSON.parse(answer.body) as Record<string, string>;
    t.deepEqual(
      { for: seen["x-forwarded-for"], proto: seen["x-forwarded-proto"], host: seen["x-forwarded-host"], forwarded: seen.forwarded },
      // Forwarded as Cloud Run sets it: this hop's element alone.
      { for: "127.0.0.1", proto: "http", host, forwarded: 'for="127.0.0.1";proto=http' },
    );
  },
);

test.serial(
  "with --trusted-proxies 127.0.0.1 they are kept, and the client's address is appended to X-Forwarded-For and Forwarded",
  async (t) => {
    const answer = await trusting.request(hostOf(trusting, "web"), "/headers", { headers: SPOOFED });
    t.is(answer.status, 200, answer.body);
    const seen = JSON.parse(answer.body) as Record<string, string>;
    t.deepEqual(
      { for: seen["x-forwarded-for"], proto: seen["x-forwarded-proto"], host: seen["x-forwarded-host"], forwarded: seen.forwarded },
      {
        for: "203.0.113.7, 127.0.0.1",
        proto: "https",
        host: "evil.example",
        forwarded: 'for="203.0.113.7";proto=https, for="127.0.0.1";proto=http',
      },
    );
  },
);
