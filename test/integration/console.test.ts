import test from "ava";
import { mkdirSync, existsSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "puppeteer-core" with { "resolution-mode": "import" };
import { deploy, hostOf, listRevisions, skiffOk, transcript } from "../helpers/cli";
import { REPO_ROOT, startEngine, type TestEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";
import { httpRequest } from "../helpers/http";

// The console (issue 24, must-show 3) in a real browser: Debian's chromium, driven headless by
// puppeteer-core (which downloads nothing). The screenshot is left in test-results/console.png.

/** The page's document, inside functions puppeteer runs in the browser (this project compiles without the DOM's types). */
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  getElementById(id: string): { textContent: string | null } | null;
};

const CHROMIUM = process.env.SKIFF_TEST_CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOT = path.join(REPO_ROOT, "test-results", "console.png");

let engine: TestEngine;
let browser: Browser;
let revA: string;
let revB: string;
let busyRevision: string;

test.before(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: on Debian run \`apt-get install -y chromium\` (or set SKIFF_TEST_CHROMIUM)`);
  const image = await fixtureImage();
  engine = await startEngine();
  for (const [service, flags] of [
    ["shop", []],
    ["shop", ["--update-env-vars", "V=2", "--no-traffic"]],
    ["busy", ["--concurrency", "1", "--max-instances", "4"]],
  ] as const) {
    const deployed = await deploy(engine, service, ["--image", image, ...flags]);
    if (deployed.code !== 0) throw new Error(transcript(["deploy", service], deployed));
  }
  const revisions = (await listRevisions(engine, "shop")).map((r) => r.name).sort();
  [revA, revB] = revisions;
  busyRevision = (await listRevisions(engine, "busy"))[0].name;
  await skiffOk(engine, ["services", "update-traffic", "shop", "--to-revisions", `${revA}=90,${revB}=10`]);
  // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
  // puppeteer-core is an ES module: loaded with import(), which tsc's CommonJS output turns into Node's require of ESM.
  const { default: puppeteer } = await import("puppeteer-core");
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--window-size=1280,1400"] });
});

test.after.always(async () => {
  await browser?.close();
  await engine?.dispose();
});

/** The admin API's count of a revision's instances (ready and starting). */
async function instancesNow(service: string, revision: string): Promise<number> {
  const described = await (await engine.api()).getService("default", service);
  const scaling = described.scaling.find((s) => s.revision === revision);
  return scaling ? scaling.readyInstances + scaling.startingInstances : 0;
}

async function shownInstances(page: Page, revision: string): Promise<number> {
  return page.$eval(`b.instances[data-revision="${revision}"]`, (b) => Number(b.textContent)).catch(() => -1);
}

test.serial("without a login every console path is 401, and a login URL works once", async (t) => {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    for (const p of ["/console/", "/console/api/v1/projects/default/services", "/console/api/metrics"]) {
      const answer = await page.goto(`http://127.0.0.1:${engine.apiPort}${p}`);
      t.is(answer?.status(), 401, p);
    }
    const url = (await skiffOk(engine, ["console", "--no-launch-browser"])).stdout.trim();
    t.regex(url, new RegExp(`^http://127\\.0\\.0\\.1:${engine.apiPort}/console/login\\?code=[\\w-]+$`));
    t.is((await page.goto(url))?.status(), 200);
    const cookies = await context.cookies();
    t.true(cookies.some((c) => c.name === "skiff_console" && c.httpOnly && c.sameSite === "Strict"));
    const again = await (await context.newPage()).goto(url.replace("127.0.0.1", "localhost"));
    t.is(again?.status(), 401, "a code is spent by its first use");
  } finally {
    await context.close();
  }
});

test.serial(
  "the console lists the services and the 90/10 split, follows the instance count under load and a line the instance printed, without browser errors",
  async (t) => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1400 });
    const errors: string[] = [];
    // Chromium fails its fetches in flight when the host's network interfaces change, which other
    // tests' Docker networks do while this one runs: the machine's, not the page's errors (counted, not failed).
    let networkChanged = 0;
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      if (message.text() === "Failed to load resource: net::ERR_NETWORK_CHANGED") networkChanged++;
      else errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(String(error)));
    const url = (await skiffOk(engine, ["console", "--no-launch-browser"])).stdout.trim();
    await page.goto(url);

    // The services, and shop's split as two bars labelled with revision and percent.
    await page.waitForSelector('.split[data-service="shop"] .bar', { timeout: 5_000 });
    const services = await page.$$eval("tr.service", (rows) => rows.map((r) => r.getAttribute("data-service")));
    t.deepEqual([...services].sort(), ["busy", "shop"]);
    const bars = await page.$$eval('.split[data-service="shop"] .bar', (all) =>
      all.map((b) => ({ text: b.textContent, width: (b as unknown as { style: { width: string } }).style.width })),
    );
    t.deepEqual(bars, [
      { text: `${revA} 90%`, width: "90%" },
      { text: `${revB} 10%`, width: "10%" },
    ]);

    // Under load (4 requests of 6 s at concurrency 1) busy's instances rise; the page shows the new count within 5 s of the engine.
    t.is(await shownInstances(page, busyRevision), 1);
    const load = Array.from({ length: 4 }, () =>
      httpRequest(engine.ingressPort, hostOf(engine, "busy"), "/sleep?ms=6000").catch((error: Error) => ({ status: 0, error })),
    );
    let engineAt = 0;
    let engineCount = 1;
    for (const started = Date.now(); Date.now() - started < 10_000; await new Promise((r) => setTimeout(r, 50))) {
      engineCount = await instancesNow("busy", busyRevision);
      if (engineCount > 1) {
        engineAt = Date.now();
        break;
      }
    }
    t.true(engineAt > 0, "the engine started more instances of busy");
    await page.waitForFunction(
      (revision: string, count: number) => Number(document.querySelector(`b.instances[data-revision="${revision}"]`)?.textContent) >= count,
      { timeout: 5_000, polling: 100 },
      busyRevision,
      engineCount,
    );
    t.log(`instances ${engineCount} shown ${Date.now() - engineAt} ms after the engine had them`);
    t.true(Date.now() - engineAt < 5_000);
    t.deepEqual(
      (await Promise.all(load)).map((a) => a.status),
      [200, 200, 200, 200],
    );

    // A line shop's instance printed, in the container log within 5 s.
    await page.click('tr.service[data-service="shop"]');
    const marker = `console-${Date.now()}`;
    await httpRequest(engine.ingressPort, hostOf(engine, "shop"), `/status?code=200&marker=${marker}`);
    const printedAt = Date.now();
    await page.waitForFunction(
      (m: string) => document.getElementById("containers")?.textContent?.includes(m),
      { timeout: 5_000, polling: 100 },
      marker,
    );
    t.log(`the instance's line shown ${Date.now() - printedAt} ms after its request`);
    await page.waitForFunction(
      (m: string) => document.getElementById("requests")?.textContent?.includes(m),
      { timeout: 5_000, polling: 100 },
      marker,
    );

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    if (networkChanged > 0) t.log(`${networkChanged} fetches failed with ERR_NETWORK_CHANGED (the host's interfaces changed)`);
    t.deepEqual(errors, []);
    await page.close();
  },
);

test.serial("a service no revision serves shows why (its latest revision's status and error), not an empty bar", async (t) => {
  // Deployed after the test above counted the services. FIXTURE_FAIL_AFTER=0: every instance exits at once.
  const image = await fixtureImage();
  const args = ["deploy", "broken", "--image", image, "--set-env-vars", "FIXTURE_FAIL_AFTER=0"];
  const failed = await engine.skiff(args);
  t.not(failed.code, 0, transcript(args, failed));
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto((await skiffOk(engine, ["console", "--no-launch-browser"])).stdout.trim());
  const shown = await page.waitForSelector('.not-serving[data-service="broken"]', { timeout: 5_000 });
  const text = await shown!.evaluate((node) => node.textContent ?? "");
  t.regex(
    text,
    /^no revision serves traffic: broken-00001-[a-z]{3} FAILED, revision broken-00001-[a-z]{3} is not ready: the container exited with code 4/,
  );
  t.is(await page.$('.split[data-service="broken"]'), null, "no empty bar");
  // A service with traffic keeps its bars.
  t.truthy(await page.$('.split[data-service="shop"] .bar'));
  t.deepEqual(errors, []);
  await page.close();
});

test.serial("the URL column shows each tag's URL, and says so where a service's default URL is off", async (t) => {
  await skiffOk(engine, ["services", "update-traffic", "shop", "--update-tags", `canary=${revB}`]);
  const image = await fixtureImage();
  await skiffOk(engine, ["deploy", "hidden", "--image", image, "--no-default-url"]);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto((await skiffOk(engine, ["console", "--no-launch-browser"])).stdout.trim());
  await page.waitForSelector('.urls[data-service="hidden"]', { timeout: 5_000 });
  const shop = await page.$eval('.urls[data-service="shop"]', (box) => ({
    main: box.querySelector(":scope > a")?.getAttribute("href"),
    tags: [...box.querySelectorAll(".tag-url")].map((line) => [
      line.getAttribute("data-tag"),
      line.querySelector("a")?.getAttribute("href"),
    ]),
  }));
  const described = await (await engine.api()).getService("default", "shop");
  t.is(shop.main, described.url);
  t.deepEqual(shop.tags, [["canary", `http://canary---${hostOf(engine, "shop")}`]]);
  const hidden = await page.$eval('.urls[data-service="hidden"]', (box) => ({
    text: box.textContent,
    links: box.querySelectorAll("a").length,
  }));
  t.deepEqual(hidden, { text: "default URL disabled: reached through its domain mappings", links: 0 });
  t.deepEqual(errors, []);
  await page.close();
});
