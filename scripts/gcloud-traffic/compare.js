#!/usr/bin/env node
// Compares skiff's update-traffic (applyTrafficUpdate, from dist/) with gcloud's own answers to the
// same cases (gcloud_cases.py): the percent each target gets and the target of each tag, and that
// both refuse the same updates. Exits 1 on any difference, printing the first few.
//
//   npm run build && python3 scripts/gcloud-traffic/gcloud_cases.py 1 > /tmp/cases.json
//   node scripts/gcloud-traffic/compare.js /tmp/cases.json
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const dist = path.join(__dirname, "..", "..", "dist", "provider", "model");
const { applyTrafficUpdate } = require(path.join(dist, "traffic-update.js"));
const { targetKeyOf, validateTraffic } = require(path.join(dist, "traffic.js"));

const revisions = ["svc-00001-aaa", "svc-00002-bbb", "svc-00003-ccc"].map((name) => ({ name, status: "READY" }));

function skiffTraffic(entries) {
  return entries.map((e) => ({
    ...(e.key === "LATEST" ? { type: "LATEST" } : { type: "REVISION", revision: e.key }),
    percent: e.percent,
    ...(e.tag ? { tag: e.tag } : {}),
  }));
}

function skiffUpdate(u) {
  const update = {};
  if (u.toRevisions) update.toRevisions = u.toRevisions;
  if (u.toTags) update.toTags = u.toTags;
  if (u.toLatest) update.toLatest = true;
  if (u.update) update.setTags = u.update;
  if (u.set) Object.assign(update, { setTags: u.set, clearTags: true });
  if (u.clear) update.clearTags = true;
  if (u.remove) update.removeTags = u.remove;
  return update;
}

function skiffAnswer(traffic, update) {
  try {
    const percents = {};
    const tags = {};
    for (const t of applyTrafficUpdate(traffic, revisions, update)) {
      const key = targetKeyOf(t);
      if (t.percent) percents[key] = (percents[key] ?? 0) + t.percent;
      if (t.tag) tags[t.tag] = key;
    }
    return { percents, tags };
  } catch (error) {
    return { error: error.message };
  }
}

const sorted = (o) => JSON.stringify(Object.entries(o).sort());
const counts = { same: 0, bothRefuse: 0, differ: 0, onlyGcloudRefuses: 0, onlySkiffRefuses: 0, skipped: 0 };
for (const c of JSON.parse(fs.readFileSync(process.argv[2], "utf8"))) {
  const traffic = skiffTraffic(c.traffic);
  try {
    validateTraffic(traffic, revisions); // a generated list skiff would never store (a tag twice)
  } catch {
    counts.skipped++;
    continue;
  }
  const g = c.gcloud;
  const s = skiffAnswer(traffic, skiffUpdate(c.update));
  let kind;
  if (g.error && s.error) kind = "bothRefuse";
  else if (g.error) kind = "onlyGcloudRefuses";
  else if (s.error) kind = "onlySkiffRefuses";
  else kind = sorted(g.percents) === sorted(s.percents) && sorted(g.tags) === sorted(s.tags) ? "same" : "differ";
  counts[kind]++;
  if (kind !== "same" && kind !== "bothRefuse" && counts[kind] <= 3) console.log(kind, JSON.stringify(c), "skiff:", JSON.stringify(s));
}
console.log(counts);
process.exitCode = counts.differ + counts.onlyGcloudRefuses + counts.onlySkiffRefuses > 0 ? 1 : 0;
