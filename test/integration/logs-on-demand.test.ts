import test from "ava";
import * as http from "node:http";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { deploy, hostOf, transcript } from "../helpers/cli";
import { SHORT_WINDOW_FLAGS } from "../helpers/scaling";

// The engine reads a live instance's log from Docker only when someone asks: `logs read` shows
// what the instance wrote a moment ago, `logs tail` (the API's follow) streams new lines as they
// come, and once the instance is stopped its lines are kept in the service's log, which outlives
// the container. The fixture logs `fixture: GET <url> host=...` for every request.

let engine: TestEngine;
let image: string;

test.before(async () => {
  [image, engine] = await Promise.all([
    fixtureImage(),
    // A 2 s scale-to-zero grace: an idle instance is stopped (and its lines collected) within seconds.
    startEngine({ flags: SHORT_WINDOW_FLAGS }),
  ]);
});

test.after.always(async () => {
  await engine?.dispose();
});

/** Follows the service's log through the admin API until `until` returns true for the text so far (at most timeoutMs). */
function followUntil(service: string, until: (text: string) => boolean, timeoutMs: number, onOpen: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const req = http.get(
      {
        host: "127.0.0.1",
        port: engine.apiPort,
        path: `/v1/projects/default/services/${service}/logs?follow=true&limit=1`,
        headers: { authorization: `Bearer ${engine.token}` },
      },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`follow answered ${res.statusCode}`));
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
          if (until(text)) {
            clearTimeout(timer);
            req.destroy();
            resolve(text);
          }
        });
        res.on("error", () => undefined);
        onOpen();
      },
    );
    req.on("error", () => undefined);
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`not seen within ${timeoutMs} ms; the follow showed:\n${text}`));
    }, timeoutMs);
  });
}

test("a live instance's lines: logs read shows them at once, the follow streams them, and after the instance is stopped they are kept once", async (t) => {
  await deploy(engine, "talker", ["--image", image]);
  const first = await engine.request(hostOf(engine, "talker"), "/?mark=read-1");
  t.is(first.status, 200, first.body);

  const read = await engine.skiff(["logs", "read", "talker"]);
  t.is(read.code, 0, transcript(["logs", "read", "talker"], read));
  t.regex(
    read.stdout,
    /talker-00001-\w{3} stdout: fixture: GET \/\?mark=read-1 /,
    "the line written a moment ago is read from the running container",
  );

  const followed = await followUntil(
    "talker",
    (text) => text.includes("mark=live-1 "),
    10_000,
    () => {
      // Sent once the follow is open: the line must arrive through it, not through its first read.
      setTimeout(() => void engine.request(hostOf(engine, "talker"), "/?mark=live-1"), 300);
    },
  );
  t.regex(followed, /stdout: fixture: GET \/\?mark=live-1 /);

  // No more requests: after the 2 s grace the instance is stopped, and its log collected first.
  const deadline = Date.now() + 30_000;
  while ((await engine.containers()).some((c) => c.labels["skiff.service"] === "talker") && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  t.deepEqual(
    (await engine.containers()).filter((c) => c.labels["skiff.service"] === "talker"),
    [],
    "scaled to zero",
  );
  const after = await engine.skiff(["logs", "read", "talker"]);
  t.is(after.code, 0, transcript(["logs", "read", "talker"], after));
  const count = (mark: string) => after.stdout.split("\n").filter((line) => line.includes(`fixture: GET /?mark=${mark} `)).length;
  t.deepEqual([count("read-1"), count("live-1")], [1, 1], `each line once after the container is gone:\n${after.stdout}`);
  t.regex(after.stdout, /stdout: fixture: SIGTERM, closing/, "what it wrote while stopping is kept too");
});
