import test from "ava";
import * as http from "node:http";
import { deploy, hostOf, transcript } from "../helpers/cli";
import { startEngine, type TestEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { httpRequest } from "../helpers/http";

// Must-show 5 of issue 24: a service flooding its log at 20,000 lines/s, followed live (so the log
// thread carries every flood line), does not delay another service's request entries by more than
// 2 s: each probe request's entry is readable within 2 s of its answer.

let engine: TestEngine;
const FLOOD_RATE = 20_000;

test.before(async () => {
  const image = await fixtureImage();
  engine = await startEngine();
  for (const [service, flags] of [
    ["quiet", []],
    ["flood", ["--set-env-vars", `FIXTURE_MODE=flood,FIXTURE_FLOOD_RATE=${FLOOD_RATE}`]],
  ] as const) {
    const deployed = await deploy(engine, service, ["--image", image, ...flags]);
    if (deployed.code !== 0) throw new Error(transcript(["deploy", service], deployed));
  }
});

test.after.always(async () => {
  await engine?.dispose();
});

function get(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port: engine.apiPort, path, headers: { authorization: `Bearer ${engine.token}` } }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        res.on("end", () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${path}: ${res.statusCode} ${text}`))));
      })
      .on("error", reject);
  });
}

/** Follows a service's log for as long as the test runs, counting what arrives. */
function follow(service: string): { lines: () => number; stop: () => void } {
  let lines = 0;
  const req = http.get(
    {
      host: "127.0.0.1",
      port: engine.apiPort,
      path: `/v1/projects/default/services/${service}/logs?follow=true&limit=1`,
      headers: { authorization: `Bearer ${engine.token}` },
    },
    (res) => {
      res.setEncoding("utf8").on("data", (chunk: string) => {
        for (let i = chunk.indexOf("\n"); i >= 0; i = chunk.indexOf("\n", i + 1)) lines++;
      });
      res.on("error", () => undefined);
    },
  );
  req.on("error", () => undefined);
  return { lines: () => lines, stop: () => req.destroy() };
}

test("while another service floods 20,000 lines/s (followed live), a request's entry is readable within 2 s", async (t) => {
  const tail = follow("flood");
  try {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const followedBefore = tail.lines();
    t.true(followedBefore > 10_000, `the follow carried ${followedBefore} flood lines in 3 s`);
    const delays: number[] = [];
    for (let probe = 0; probe < 10; probe++) {
      const answer = await httpRequest(engine.ingressPort, hostOf(engine, "quiet"), `/status?code=200&probe=${probe}`);
      t.is(answer.status, 200);
      const answered = Date.now();
      const filter = encodeURIComponent(`httpRequest.requestUrl:"probe=${probe}"`);
      for (;;) {
        const read = JSON.parse(await get(`/v1/projects/default/services/quiet/logs?filter=${filter}`)) as { lines: string[] };
        if (read.lines.length > 0) break;
        if (Date.now() - answered > 10_000) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      delays.push(Date.now() - answered);
    }
    const flooded = tail.lines() - followedBefore;
    t.log(`request entry readable after ${delays.join(", ")} ms; the follow carried ${flooded} flood lines meanwhile`);
    t.true(Math.max(...delays) < 2_000, `delays ${delays.join(", ")} ms`);
  } finally {
    tail.stop();
  }
});
