import test from "ava";
import { trafficTargetPairs } from "../../provider/cli/traffic-pairs";
import { serviceTemplateSchema } from "../../provider/model/template";
import { serviceObject } from "../helpers/service-object";

// gcloud's TrafficTargetPairs (api_lib/run/traffic_pair.py): what update-traffic --format prints.

const template = serviceTemplateSchema.parse({ image: "img:1" });

test("one pair per target, by revision name with LATEST last; percents as text, tags sorted and joined, tag URLs from the status", (t) => {
  const s = serviceObject(template, {
    latestReadyRevision: "web-00003-ccc",
    traffic: [
      { type: "LATEST", percent: 80 },
      { type: "REVISION", revision: "web-00002-bbb", percent: 20, tag: "zeta" },
      { type: "REVISION", revision: "web-00002-bbb", percent: 0, tag: "alpha" },
    ],
    trafficStatuses: [
      { type: "LATEST", revision: "web-00003-ccc", percent: 80 },
      { type: "REVISION", revision: "web-00002-bbb", percent: 20, tag: "zeta", url: "http://zeta---web.localhost:8080" },
      { type: "REVISION", revision: "web-00002-bbb", percent: 0, tag: "alpha", url: "http://alpha---web.localhost:8080" },
    ],
  });
  const pairs = trafficTargetPairs(s);
  t.deepEqual(
    pairs.map((p) => [p.key, p.revisionName, p.specPercent, p.statusPercent, p.displayPercent, p.displayRevisionId, p.displayTags]),
    [
      ["web-00002-bbb", "web-00002-bbb", "20", "20", "20%", "web-00002-bbb", "alpha, zeta"],
      ["LATEST", "web-00003-ccc", "80", "80", "80%", "LATEST (currently web-00003-ccc)", ""],
    ],
  );
  t.deepEqual(pairs[0].urls, ["http://alpha---web.localhost:8080", "http://zeta---web.localhost:8080"]);
  t.deepEqual(
    pairs[0].tags.map((tag) => [tag.tag, tag.inSpec, tag.inStatus]),
    [
      ["alpha", true, true],
      ["zeta", true, true],
    ],
  );
  t.is(pairs[1].specTags, "-", "no tag is gcloud's '-'");
  t.is(pairs[1].serviceUrl, "http://web.localhost:8080");
});

test("an empty spec is 100 % to LATEST; with nothing ready LATEST has no status entry and no revision", (t) => {
  const [pair] = trafficTargetPairs(serviceObject(template, { traffic: [], trafficStatuses: [] }));
  t.like(pair, { key: "LATEST", revisionName: null, specPercent: "100", statusPercent: "-", displayRevisionId: "LATEST (currently None)" });
  t.is(pair.displayPercent, "100% (currently -)", "spec and status differ: gcloud's '{:4} (currently {})'");
});
