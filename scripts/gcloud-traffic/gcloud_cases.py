"""Random update-traffic cases answered by gcloud's own traffic code, as JSON on stdout.

Runs googlecloudsdk.api_lib.run.traffic (TrafficTargets.UpdateTags, then UpdateTraffic, in the
order gcloud's TrafficChanges.Adjust applies them) on random traffic lists, with a stand-in for the
TrafficTarget message. Needs the Google Cloud SDK (Debian's google-cloud-cli package puts it under
/usr/lib/google-cloud-sdk; set GCLOUD_SDK_LIB to another lib folder). Used by compare.js.

  python3 scripts/gcloud-traffic/gcloud_cases.py SEED > cases.json
"""
import json
import os
import random
import sys

sys.path.insert(0, os.environ.get("GCLOUD_SDK_LIB", "/usr/lib/google-cloud-sdk/lib"))
from googlecloudsdk.api_lib.run import traffic  # noqa: E402


class Target:
    def __init__(self, latestRevision=None, revisionName=None, percent=None, tag=None):
        self.latestRevision = latestRevision
        self.revisionName = revisionName
        self.percent = percent
        self.tag = tag


class Messages:
    TrafficTarget = Target


NAMES = ["svc-00001-aaa", "svc-00002-bbb", "svc-00003-ccc", "LATEST"]
TAGS = ["t1", "t2", "t3"]


def random_traffic(rng):
    keys = rng.sample(NAMES, rng.randint(1, 3))
    cuts = sorted(rng.sample(range(1, 100), len(keys) - 1))
    entries = [{"key": k, "percent": b - a} for k, a, b in zip(keys, [0] + cuts, cuts + [100])]
    for tag in rng.sample(TAGS, rng.randint(0, 2)):
        entries.append({"key": rng.choice(NAMES), "percent": 0, "tag": tag})
    rng.shuffle(entries)
    return entries


def random_update(rng):
    update = {}
    r = rng.random()
    if r < 0.3:
        update["update"] = {rng.choice(TAGS): rng.choice(NAMES)}
    elif r < 0.45:
        update["set"] = {rng.choice(TAGS): rng.choice(NAMES)}
    elif r < 0.55:
        update["clear"] = True
    if rng.random() < 0.3 and "set" not in update and "clear" not in update:
        update["remove"] = [rng.choice(TAGS)]
    r = rng.random()
    if r < 0.4:
        update["toRevisions"] = {k: rng.randint(0, 60) for k in rng.sample(NAMES, rng.randint(1, 2))}
    elif r < 0.6:
        update["toTags"] = {rng.choice(TAGS): rng.randint(0, 100)}
    elif r < 0.7:
        update["toLatest"] = True
    return update


def gcloud_answer(entries, update):
    targets = [traffic.NewTrafficTarget(Messages, e["key"], e["percent"], e.get("tag")) for e in entries]
    wrapped = traffic.TrafficTargets(Messages, targets)
    try:
        to_update = update.get("update") or update.get("set") or {}
        clear = bool(update.get("clear") or "set" in update)
        if to_update or update.get("remove") or clear:
            wrapped.UpdateTags(to_update, update.get("remove", []), clear)
        percents = None
        if "toRevisions" in update:
            percents = update["toRevisions"]
        elif "toLatest" in update:
            percents = {"LATEST": 100}
        elif "toTags" in update:
            tag_to_key = wrapped.TagToKey()
            percents = {}
            for tag, percent in update["toTags"].items():
                if tag not in tag_to_key:
                    raise ValueError("no revision tagged %s" % tag)
                percents[tag_to_key[tag]] = percent
        if percents:
            wrapped.UpdateTraffic(percents)
    except Exception as error:  # gcloud's refusals: compare.js only checks that skiff refuses too
        return {"error": str(error)}
    by_key, tags = {}, {}
    for t in targets:
        key = traffic.GetKey(t)
        if t.percent:
            by_key[key] = by_key.get(key, 0) + t.percent
        if t.tag:
            tags[t.tag] = key
    return {"percents": by_key, "tags": tags}


def main():
    rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    cases = []
    for _ in range(3000):
        entries, update = random_traffic(rng), random_update(rng)
        if update:  # gcloud refuses an update-traffic with nothing to change, as skiff does
            cases.append({"traffic": entries, "update": update, "gcloud": gcloud_answer(entries, update)})
    json.dump(cases, sys.stdout)


main()
