import test, { type ExecutionContext } from "ava";
import { SkiffError, type FieldViolation } from "../../provider/model/errors";
import { normalizeTraffic, type RevisionView, type TrafficTarget } from "../../provider/model/traffic";
import { applyTrafficUpdate, largestRemainder, type TrafficUpdate } from "../../provider/model/traffic-update";
import { mergeRepeated, parseAssignments, parseTagAssignments, parseTagList } from "../../provider/cli/flags";

const revisions: RevisionView[] = [
  { name: "svc-00001-aaa", status: "READY" },
  { name: "svc-00002-bbb", status: "READY" },
  { name: "svc-00003-ccc", status: "READY" },
  { name: "svc-00004-ddd", status: "FAILED" },
];
const [r1, r2, r3, r4] = revisions.map((r) => r.name);

const update = (current: TrafficTarget[], change: TrafficUpdate) => applyTrafficUpdate(normalizeTraffic(current), revisions, change);

function refused(t: ExecutionContext, fn: () => unknown): FieldViolation[] {
  const error = t.throws(fn, { instanceOf: SkiffError });
  t.is(error?.code, "INVALID_ARGUMENT");
  return error?.violations ?? [];
}

// ---- --to-latest ----

test("--to-latest sends 100 % to LATEST and keeps tags at 0 %", (t) => {
  t.deepEqual(
    update(
      [
        { revision: r1, percent: 90, tag: "stable" },
        { revision: r2, percent: 10 },
      ],
      { toLatest: true },
    ),
    [
      { type: "REVISION", revision: r1, percent: 0, tag: "stable" },
      { type: "LATEST", percent: 100 },
    ],
  );
});

test("--to-latest reuses an existing LATEST entry", (t) => {
  t.deepEqual(
    update(
      [
        { percent: 50, tag: "head" },
        { revision: r1, percent: 50 },
      ],
      { toLatest: true },
    ),
    [{ type: "LATEST", percent: 100, tag: "head" }],
  );
});

// ---- --to-revisions ----

test("--to-revisions summing to 100 drops the others to 0 %", (t) => {
  t.deepEqual(update([{ percent: 100 }], { toRevisions: { [r1]: 90, [r2]: 10 } }), [
    { type: "REVISION", revision: r1, percent: 90 },
    { type: "REVISION", revision: r2, percent: 10 },
  ]);
});

test("rollback: --to-revisions OLD=100", (t) => {
  t.deepEqual(
    update(
      [
        { revision: r1, percent: 10 },
        { revision: r2, percent: 90, tag: "new" },
      ],
      { toRevisions: { [r1]: 100 } },
    ),
    [
      { type: "REVISION", revision: r1, percent: 100 },
      { type: "REVISION", revision: r2, percent: 0, tag: "new" },
    ],
  );
});

test("empty traffic counts as 100 % LATEST when the rest is spread", (t) => {
  t.deepEqual(update([], { toRevisions: { [r1]: 10 } }), [
    { type: "LATEST", percent: 90 },
    { type: "REVISION", revision: r1, percent: 10 },
  ]);
});

test("under 100 scales the unnamed serving targets proportionally (gcloud's 40/60 → 45/55)", (t) => {
  t.deepEqual(
    update(
      [
        { revision: r1, percent: 40 },
        { revision: r2, percent: 60 },
      ],
      { toRevisions: { [r1]: 45 } },
    ),
    [
      { type: "REVISION", revision: r1, percent: 45 },
      { type: "REVISION", revision: r2, percent: 55 },
    ],
  );
  t.deepEqual(
    update(
      [
        { revision: r1, percent: 50 },
        { revision: r2, percent: 25 },
        { revision: r3, percent: 25 },
      ],
      { toRevisions: { [r1]: 0 } },
    ),
    [
      { type: "REVISION", revision: r2, percent: 50 },
      { type: "REVISION", revision: r3, percent: 50 },
    ],
  );
});

test("the proportional remainder is in integers that add up (largest remainder)", (t) => {
  t.deepEqual(update([{ revision: r1, percent: 34 }, { revision: r2, percent: 33 }, { percent: 33 }], { toRevisions: { [r1]: 0 } }), [
    { type: "REVISION", revision: r2, percent: 50 },
    { type: "LATEST", percent: 50 },
  ]);
  t.deepEqual(
    [
      ...largestRemainder(
        new Map([
          ["a", 1],
          ["b", 1],
          ["c", 1],
        ]),
        100,
      ),
    ],
    [
      ["a", 34],
      ["b", 33],
      ["c", 33],
    ],
  );
  t.deepEqual(
    [
      ...largestRemainder(
        new Map([
          ["a", 10],
          ["b", 20],
          ["c", 30],
        ]),
        7,
      ),
    ],
    [
      ["a", 1],
      ["b", 2],
      ["c", 4],
    ],
  );
});

test("ties in the remainder break as gcloud's do: smaller share first, then name order with LATEST last, in doubles", (t) => {
  // Each expectation is what gcloud's own TrafficTargets.UpdateTraffic gives for the same service.
  const percents = (list: TrafficTarget[]) =>
    Object.fromEntries(list.filter((e) => e.percent > 0).map((e) => [e.revision ?? "LATEST", e.percent]));
  // 85 over 28:12 is 59.5 / 25.5: the smaller share takes the extra percent
  t.deepEqual(
    percents(update([{ revision: r2, percent: 28 }, { percent: 60 }, { revision: r1, percent: 12 }], { toRevisions: { LATEST: 15 } })),
    {
      [r1]: 26,
      [r2]: 59,
      LATEST: 15,
    },
  );
  // 96 over 47:17 is 70.5 / 25.5, LATEST listed first
  t.deepEqual(
    percents(update([{ percent: 47 }, { revision: r1, percent: 17 }, { revision: r3, percent: 36 }], { toRevisions: { [r3]: 4 } })),
    {
      [r1]: 26,
      [r3]: 4,
      LATEST: 70,
    },
  );
  // 91 over 28:34:1 is 40.444 / 49.111 / 1.444: not a tie in doubles, and 1.444 lost more
  t.deepEqual(
    percents(
      update([{ percent: 28 }, { revision: r3, percent: 34 }, { revision: r1, percent: 37 }, { revision: r2, percent: 1 }], {
        toRevisions: { [r1]: 9 },
      }),
    ),
    { [r1]: 9, [r2]: 2, [r3]: 49, LATEST: 40 },
  );
  // an exact tie between equal shares goes to the name that sorts first
  t.deepEqual(
    percents(
      update([{ revision: r3, percent: 2 }, { revision: r2, percent: 2 }, { percent: 56 }, { revision: r1, percent: 40 }], {
        toRevisions: { [r1]: 8, LATEST: 49 },
      }),
    ),
    {
      [r1]: 8,
      [r2]: 22,
      [r3]: 21,
      LATEST: 49,
    },
  );
});

test("LATEST is a target name in --to-revisions", (t) => {
  t.deepEqual(update([{ revision: r1, percent: 100 }], { toRevisions: { LATEST: 25 } }), [
    { type: "REVISION", revision: r1, percent: 75 },
    { type: "LATEST", percent: 25 },
  ]);
});

test("a candidate's tag-only entry takes the percent, keeping its tag", (t) => {
  t.deepEqual(
    update(
      [
        { revision: r1, percent: 100 },
        { revision: r2, percent: 0, tag: "canary" },
      ],
      { toRevisions: { [r2]: 10 } },
    ),
    [
      { type: "REVISION", revision: r1, percent: 90 },
      { type: "REVISION", revision: r2, percent: 10, tag: "canary" },
    ],
  );
});

test("over 100 is refused with the sum", (t) => {
  t.deepEqual(
    refused(t, () => update([{ percent: 100 }], { toRevisions: { [r1]: 60, [r2]: 50 } })),
    [{ field: "--to-revisions", reason: "percents must sum to at most 100, got 110" }],
  );
});

test("under 100 with nothing else serving is refused", (t) => {
  t.deepEqual(
    refused(t, () => update([{ revision: r1, percent: 100 }], { toRevisions: { [r1]: 60 } })),
    [
      {
        field: "--to-revisions",
        reason: "percents sum to 60 and no other revision serves traffic to take the remaining 40; assign 100 in total",
      },
    ],
  );
});

test("unknown and failed revisions are named by the flag", (t) => {
  t.deepEqual(
    refused(t, () => update([{ percent: 100 }], { toRevisions: { nope: 50, [r4]: 50 } })),
    [
      { field: "--to-revisions", reason: 'unknown revision "nope": it is not a revision of this service' },
      { field: "--to-revisions", reason: `revision "${r4}" failed and cannot receive traffic or a tag` },
    ],
  );
});

test("percents given directly are still checked", (t) => {
  t.deepEqual(
    refused(t, () => update([{ percent: 100 }], { toRevisions: { [r1]: 120 } })),
    [{ field: "--to-revisions", reason: `percent for "${r1}" must be a whole number between 0 and 100, got 120` }],
  );
});

// ---- --to-tags ----

test("--to-tags moves traffic to the tag's revision", (t) => {
  t.deepEqual(
    update(
      [
        { revision: r1, percent: 100, tag: "stable" },
        { revision: r2, percent: 0, tag: "canary" },
      ],
      { toTags: { canary: 50 } },
    ),
    [
      { type: "REVISION", revision: r1, percent: 50, tag: "stable" },
      { type: "REVISION", revision: r2, percent: 50, tag: "canary" },
    ],
  );
});

test("--to-tags on a LATEST tag keeps following the latest", (t) => {
  t.deepEqual(
    update(
      [
        { revision: r1, percent: 100 },
        { percent: 0, tag: "head" },
      ],
      { toTags: { head: 100 } },
    ),
    [{ type: "LATEST", percent: 100, tag: "head" }],
  );
});

test("--to-tags and --to-revisions combine; a conflict on one revision is refused", (t) => {
  const current = [
    { revision: r1, percent: 100 },
    { revision: r2, percent: 0, tag: "canary" },
  ];
  t.deepEqual(update(current, { toRevisions: { [r3]: 20 }, toTags: { canary: 30 } }), [
    { type: "REVISION", revision: r1, percent: 50 },
    { type: "REVISION", revision: r2, percent: 30, tag: "canary" },
    { type: "REVISION", revision: r3, percent: 20 },
  ]);
  t.deepEqual(
    refused(t, () => update(current, { toRevisions: { [r2]: 20 }, toTags: { canary: 30 } })),
    [{ field: "--to-tags", reason: `tag "canary" is on revision "${r2}", which is already given 20%` }],
  );
});

test("an unknown tag in --to-tags lists the service's tags", (t) => {
  t.deepEqual(
    refused(t, () => update([{ revision: r1, percent: 100, tag: "stable" }], { toTags: { canry: 10 } })),
    [{ field: "--to-tags", reason: 'unknown tag "canry"; the service\'s tags are: stable' }],
  );
  t.deepEqual(
    refused(t, () => update([], { toTags: { canary: 10 } })),
    [{ field: "--to-tags", reason: 'unknown tag "canary"; the service has no tags' }],
  );
});

// ---- --set-tags / --remove-tags ----

test("--set-tags tags the entry that serves the revision, or adds a 0 % entry", (t) => {
  t.deepEqual(update([{ revision: r1, percent: 100 }], { setTags: { stable: r1, candidate: r2 } }), [
    { type: "REVISION", revision: r1, percent: 100, tag: "stable" },
    { type: "REVISION", revision: r2, percent: 0, tag: "candidate" },
  ]);
  t.deepEqual(update([], { setTags: { head: "LATEST" } }), [{ type: "LATEST", percent: 100, tag: "head" }]);
});

test("--set-tags moves a tag, and the entry it leaves disappears at 0 %", (t) => {
  t.deepEqual(
    update(
      [
        { revision: r1, percent: 100 },
        { revision: r2, percent: 0, tag: "canary" },
      ],
      { setTags: { canary: r3 } },
    ),
    [
      { type: "REVISION", revision: r1, percent: 100 },
      { type: "REVISION", revision: r3, percent: 0, tag: "canary" },
    ],
  );
});

test("a second tag on a revision gets its own 0 % entry", (t) => {
  t.deepEqual(update([{ revision: r1, percent: 100, tag: "stable" }], { setTags: { v1: r1 } }), [
    { type: "REVISION", revision: r1, percent: 100, tag: "stable" },
    { type: "REVISION", revision: r1, percent: 0, tag: "v1" },
  ]);
});

test("tags put on an unknown or failed revision are refused, naming the flag they came in", (t) => {
  t.deepEqual(
    refused(t, () => update([], { setTags: { a: "nope", b: r4 } })),
    [
      { field: "--update-tags", reason: 'unknown revision "nope": it is not a revision of this service' },
      { field: "--update-tags", reason: `revision "${r4}" failed and cannot receive traffic or a tag` },
    ],
  );
  t.deepEqual(
    refused(t, () => update([], { setTags: { a: "nope" }, clearTags: true })),
    [{ field: "--set-tags", reason: 'unknown revision "nope": it is not a revision of this service' }],
  );
});

test("--set-tags (clearTags with setTags): the tags become exactly those given; --clear-tags removes them all; --remove-tags with either is refused", (t) => {
  const current: TrafficTarget[] = [
    { revision: r1, percent: 90, tag: "stable" },
    { revision: r2, percent: 10, tag: "canary" },
    { revision: r3, percent: 0, tag: "next" },
  ];
  t.deepEqual(update(current, { setTags: { canary: r3, v1: r1 }, clearTags: true }), [
    { type: "REVISION", revision: r1, percent: 90, tag: "v1" },
    { type: "REVISION", revision: r2, percent: 10 },
    { type: "REVISION", revision: r3, percent: 0, tag: "canary" },
  ]);
  t.deepEqual(update(current, { clearTags: true }), [
    { type: "REVISION", revision: r1, percent: 90 },
    { type: "REVISION", revision: r2, percent: 10 },
  ]);
  t.deepEqual(
    refused(t, () => update(current, { clearTags: true, removeTags: ["next"] })),
    [{ field: "--remove-tags", reason: "cannot be combined with --set-tags or --clear-tags, which remove every tag" }],
  );
});

test("--remove-tags drops tag-only entries and keeps serving ones", (t) => {
  t.deepEqual(
    update(
      [
        { revision: r1, percent: 100, tag: "stable" },
        { revision: r2, percent: 0, tag: "canary" },
      ],
      { removeTags: ["stable", "canary"] },
    ),
    [{ type: "REVISION", revision: r1, percent: 100 }],
  );
});

test("--remove-tags of a tag that is not there changes nothing, as gcloud's (a cleanup script may run it twice)", (t) => {
  t.deepEqual(update([{ revision: r1, percent: 100, tag: "stable" }], { removeTags: ["pr-17"] }), [
    { type: "REVISION", revision: r1, percent: 100, tag: "stable" },
  ]);
});

test("a tag in --remove-tags and --update-tags is removed, then set (gcloud applies --remove-tags first)", (t) => {
  t.deepEqual(
    update(
      [
        { revision: r1, percent: 100, tag: "stable" },
        { revision: r2, percent: 0, tag: "canary" },
      ],
      { removeTags: ["stable", "canary"], setTags: { stable: r2 } },
    ),
    [
      { type: "REVISION", revision: r1, percent: 100 },
      { type: "REVISION", revision: r2, percent: 0, tag: "stable" },
    ],
  );
});

test("tags change before percents: --to-tags may name a tag the same command puts on", (t) => {
  // gcloud run services update-traffic web --update-tags next=R2 --to-tags next=10
  t.deepEqual(update([{ revision: r1, percent: 100, tag: "stable" }], { setTags: { next: r2 }, toTags: { next: 10 } }), [
    { type: "REVISION", revision: r1, percent: 90, tag: "stable" },
    { type: "REVISION", revision: r2, percent: 10, tag: "next" },
  ]);
  // a tag moved by this command names its new revision; the old one keeps serving its share of the rest
  t.deepEqual(
    update(
      [
        { revision: r1, percent: 90, tag: "stable" },
        { revision: r2, percent: 10, tag: "canary" },
      ],
      { setTags: { canary: r3 }, toTags: { canary: 20 } },
    ),
    [
      { type: "REVISION", revision: r1, percent: 72, tag: "stable" },
      { type: "REVISION", revision: r2, percent: 8 },
      { type: "REVISION", revision: r3, percent: 20, tag: "canary" },
    ],
  );
});

test("a tag set by update-traffic must fit beside the service name (46 together); a stored longer one does not block other changes", (t) => {
  const long = "t".repeat(44); // with "svc": 47
  const error = t.throws(() => applyTrafficUpdate([], revisions, { setTags: { [long]: r1 } }, "svc"), { instanceOf: SkiffError });
  t.deepEqual(error?.violations, [
    {
      field: "--update-tags",
      reason: `tag "${long}" and service name "svc" together are 47 characters; Cloud Run allows at most 46 for both (the tag URL is ${long}---svc)`,
    },
  ]);
  const stored = normalizeTraffic([{ revision: r1, percent: 100, tag: long }]);
  t.deepEqual(applyTrafficUpdate(stored, revisions, { toRevisions: { [r2]: 10 } }, "svc"), [
    { type: "REVISION", revision: r1, percent: 90, tag: long },
    { type: "REVISION", revision: r2, percent: 10 },
  ]);
});

test("percents and tags change in one update", (t) => {
  t.deepEqual(update([{ revision: r1, percent: 100, tag: "stable" }], { toRevisions: { [r1]: 90, [r2]: 10 }, setTags: { canary: r2 } }), [
    { type: "REVISION", revision: r1, percent: 90, tag: "stable" },
    { type: "REVISION", revision: r2, percent: 10, tag: "canary" },
  ]);
});

// ---- flag combinations ----

test("an update with nothing to change, or --to-latest with assignments, is refused", (t) => {
  t.deepEqual(
    refused(t, () => update([], {})),
    [
      {
        field: "update-traffic",
        reason: "nothing to change: give --to-latest, --to-revisions, --to-tags, --set-tags, --update-tags, --remove-tags or --clear-tags",
      },
    ],
  );
  t.deepEqual(
    refused(t, () => update([], { toLatest: true, toRevisions: { [r1]: 100 } })),
    [{ field: "--to-latest", reason: "cannot be combined with --to-revisions or --to-tags" }],
  );
});

test("the input list is not changed", (t) => {
  const current = normalizeTraffic([{ revision: r1, percent: 100, tag: "stable" }]);
  const copy = structuredClone(current);
  applyTrafficUpdate(current, revisions, { toRevisions: { [r2]: 100 }, setTags: { stable: r2 } });
  t.deepEqual(current, copy);
});

// ---- parsers ----

test("parseAssignments reads R=P lists", (t) => {
  t.deepEqual(parseAssignments("a=10,b=90", "--to-revisions"), { a: 10, b: 90 });
  t.deepEqual(parseAssignments(" LATEST=100 ", "--to-revisions"), { LATEST: 100 });
});

test("parseAssignments names the flag and the bad item", (t) => {
  t.deepEqual(
    refused(t, () => parseAssignments("a", "--to-revisions")),
    [{ field: "--to-revisions", reason: "expected REVISION=PERCENT, got 'a'" }],
  );
  t.deepEqual(
    refused(t, () => parseAssignments("canary=x,stable=", "--to-tags")),
    [
      { field: "--to-tags", reason: "percent for 'canary' must be a whole number between 0 and 100, got 'x'" },
      { field: "--to-tags", reason: "percent for 'stable' must be a whole number between 0 and 100, got ''" },
    ],
  );
  t.deepEqual(
    refused(t, () => parseAssignments("a=101,b=-1,c=1.5", "--to-revisions")).map((v) => v.reason),
    [
      "percent for 'a' must be a whole number between 0 and 100, got '101'",
      "percent for 'b' must be a whole number between 0 and 100, got '-1'",
      "percent for 'c' must be a whole number between 0 and 100, got '1.5'",
    ],
  );
  // gcloud's ArgDict keeps a key's last value within one flag (its help's example: service-nw9hs=10,service-nw9hs=20).
  t.deepEqual(parseAssignments("a=10,b=5,a=90", "--to-revisions"), { a: 90, b: 5 });
  t.deepEqual(
    refused(t, () => parseAssignments("a=10,", "--to-tags")),
    [{ field: "--to-tags", reason: "expected TAG=PERCENT, got ''" }],
  );
});

test("a repeated dict flag is one dict, as gcloud merges it; a key in two occurrences is refused", (t) => {
  t.deepEqual(mergeRepeated(["a=30", "b=70"], "--to-revisions", parseAssignments), { a: 30, b: 70 });
  t.deepEqual(mergeRepeated(["x=a,y=b", "z=c"], "--update-tags", parseTagAssignments), { x: "a", y: "b", z: "c" });
  t.deepEqual(
    refused(t, () => mergeRepeated(["a=10", "a=20"], "--to-revisions", parseAssignments)),
    [{ field: "--to-revisions", reason: "'a' cannot be given in more than one --to-revisions" }],
  );
});

test("parseTagAssignments reads T=R lists and checks tag names", (t) => {
  t.deepEqual(parseTagAssignments("canary=svc-00002-bbb,head=LATEST"), { canary: "svc-00002-bbb", head: "LATEST" });
  t.deepEqual(
    refused(t, () => parseTagAssignments("canary")),
    [{ field: "--set-tags", reason: "expected TAG=REVISION, got 'canary'" }],
  );
  const [bad] = refused(t, () => parseTagAssignments("Canary=r"));
  t.is(bad.field, "--set-tags");
  t.regex(bad.reason, /^tag 'Canary' must be a DNS label/);
  t.deepEqual(parseTagAssignments("a=r1,a=r2"), { a: "r2" }, "the last, as gcloud's ArgDict");
});

test("parseTagList reads T,T lists, drops repeats and checks names", (t) => {
  t.deepEqual(parseTagList("a, b,a"), ["a", "b"]);
  t.deepEqual(
    refused(t, () => parseTagList("a,,b")),
    [{ field: "--remove-tags", reason: "expected TAG,TAG,..., got 'a,,b'" }],
  );
  t.regex(refused(t, () => parseTagList("x---y"))[0].reason, /must not contain '---'/);
});
