import test, { type ExecutionContext } from "ava";
import {
  type TrafficStatus,
  appendNewRevision,
  consolidateTraffic,
  normalizeTraffic,
  resolveTraffic,
  revisionsInUse,
  routingTable,
  tagTable,
  trafficEntryBlockingDelete,
  validateTraffic,
  type RevisionView,
  type TrafficTarget,
} from "../../provider/model/traffic";
import { SkiffError, type FieldViolation } from "../../provider/model/errors";

const revisions: RevisionView[] = [
  { name: "hello-00001-abc", status: "READY" },
  { name: "hello-00002-def", status: "READY" },
  { name: "hello-00003-ghi", status: "PENDING" },
  { name: "hello-00004-jkl", status: "FAILED" },
];
const [r1, r2, r3, r4] = revisions.map((r) => r.name);

function violations(t: ExecutionContext, traffic: TrafficTarget[]): FieldViolation[] {
  const error = t.throws(() => validateTraffic(traffic, revisions), { instanceOf: SkiffError });
  t.is(error?.code, "INVALID_ARGUMENT");
  return error?.violations ?? [];
}

// ---- validateTraffic ----

test("empty traffic is valid: 100 % to the latest ready revision", (t) => {
  t.notThrows(() => validateTraffic([], revisions));
});

test("a canary split with a tag is valid", (t) => {
  t.notThrows(() =>
    validateTraffic(
      [
        { revision: r1, percent: 90 },
        { revision: r2, percent: 10, tag: "canary" },
      ],
      revisions,
    ),
  );
});

test("LATEST plus pinned revisions is valid, also when LATEST resolves to a pinned one", (t) => {
  t.notThrows(() =>
    validateTraffic(
      [
        { type: "LATEST", percent: 50 },
        { revision: r2, percent: 50 },
      ],
      revisions,
    ),
  );
  t.notThrows(() => validateTraffic([{ percent: 100 }], []));
});

test("percents that do not sum to 100 are refused with the actual sum", (t) => {
  t.deepEqual(
    violations(t, [
      { revision: r1, percent: 100 },
      { revision: r2, percent: 10 },
    ]),
    [{ field: "traffic", reason: "percents must sum to 100, got 110" }],
  );
  t.deepEqual(violations(t, [{ revision: r1, percent: 0, tag: "old" }]), [{ field: "traffic", reason: "percents must sum to 100, got 0" }]);
});

test("a negative, fractional or over-100 percent names its entry", (t) => {
  t.deepEqual(
    violations(t, [
      { revision: r1, percent: 110 },
      { revision: r2, percent: -10 },
    ]),
    [
      { field: "traffic[0].percent", reason: "must be a whole number between 0 and 100, got 110" },
      { field: "traffic[1].percent", reason: "must be a whole number between 0 and 100, got -10" },
    ],
  );
  t.deepEqual(
    violations(t, [
      { revision: r1, percent: 99.5 },
      { revision: r2, percent: 0.5 },
    ]),
    [
      { field: "traffic[0].percent", reason: "must be a whole number between 0 and 100, got 99.5" },
      { field: "traffic[1].percent", reason: "must be a whole number between 0 and 100, got 0.5" },
    ],
  );
});

test("an unknown revision is named", (t) => {
  t.deepEqual(
    violations(t, [
      { revision: r1, percent: 50 },
      { revision: "hello-00009-zzz", percent: 50 },
    ]),
    [{ field: "traffic[1].revision", reason: 'unknown revision "hello-00009-zzz": it is not a revision of this service' }],
  );
});

test("a failed revision is refused, even for a tag only", (t) => {
  t.deepEqual(
    violations(t, [
      { revision: r1, percent: 100 },
      { revision: r4, percent: 0, tag: "broken" },
    ]),
    [{ field: "traffic[1].revision", reason: `revision "${r4}" failed and cannot receive traffic or a tag` }],
  );
});

test("a pending revision is accepted (it may still become ready)", (t) => {
  t.notThrows(() => validateTraffic([{ revision: r3, percent: 100 }], revisions));
});

test("LATEST with a revision name, and REVISION without one, are refused", (t) => {
  t.deepEqual(
    violations(t, [
      { type: "LATEST", revision: r1, percent: 50 },
      { type: "REVISION", percent: 50 },
    ]),
    [
      {
        field: "traffic[0].revision",
        reason: `must not be set when type is LATEST (LATEST follows the latest ready revision); use type REVISION to pin "${r1}"`,
      },
      { field: "traffic[1].revision", reason: "is required when type is REVISION" },
    ],
  );
});

test("a duplicate tag names the tag and both entries", (t) => {
  t.deepEqual(
    violations(t, [
      { revision: r1, percent: 100, tag: "blue" },
      { revision: r2, percent: 0, tag: "green" },
      { revision: r3, percent: 0, tag: "blue" },
    ]),
    [{ field: "traffic[2].tag", reason: 'duplicate tag "blue": traffic[0] has it too; tags must be unique' }],
  );
});

test("a tag that is not a DNS label is refused", (t) => {
  const [v] = violations(t, [{ revision: r1, percent: 100, tag: "Canary" }]);
  t.is(v.field, "traffic[0].tag");
  t.regex(v.reason, /must be a DNS label/);
  const [w] = violations(t, [{ revision: r1, percent: 100, tag: "a---b" }]);
  t.regex(w.reason, /must not contain '---'/);
});

test("a tag and the service name together may have at most 46 characters, as Cloud Run refuses longer", (t) => {
  const tag41 = "t".repeat(41);
  // "hello" (5) + 41 = 46 fits; one more does not, though the tag alone is a valid label
  t.notThrows(() => validateTraffic([{ revision: r1, percent: 100, tag: tag41 }], revisions, "hello"));
  const error = t.throws(() => validateTraffic([{ revision: r1, percent: 100, tag: `${tag41}x` }], revisions, "hello"), {
    instanceOf: SkiffError,
  });
  t.deepEqual(error?.violations, [
    {
      field: "traffic[0].tag",
      reason: `tag "${tag41}x" and service name "hello" together are 47 characters; Cloud Run allows at most 46 for both (the tag URL is ${tag41}x---hello)`,
    },
  ]);
  // without a service name (the SDK's check before the name is known) only the tag's own rules apply
  t.notThrows(() => validateTraffic([{ revision: r1, percent: 100, tag: `${tag41}x` }], revisions));
});

test("a tag on a 0 % entry is how a candidate is reached", (t) => {
  t.notThrows(() =>
    validateTraffic(
      [
        { revision: r1, percent: 100 },
        { revision: r2, percent: 0, tag: "candidate" },
      ],
      revisions,
    ),
  );
});

test("a revision carries percent in one entry only, naming both entries", (t) => {
  t.deepEqual(
    violations(t, [
      { revision: r1, percent: 60 },
      { revision: r2, percent: 0 },
      { revision: r1, percent: 40 },
    ]),
    [
      {
        field: "traffic[2].revision",
        reason: `revision "${r1}" is already the target of traffic[0]; give it one entry (extra entries may only add a tag at 0%)`,
      },
    ],
  );
  t.deepEqual(violations(t, [{ percent: 60 }, { type: "LATEST", percent: 40, tag: "x" }]), [
    {
      field: "traffic[1].type",
      reason: "LATEST is already the target of traffic[0]; give it one entry (extra entries may only add a tag at 0%)",
    },
  ]);
});

test("extra tag-only entries may repeat a revision, so it can have several tags", (t) => {
  t.notThrows(() =>
    validateTraffic(
      [
        { revision: r1, percent: 100, tag: "stable" },
        { revision: r1, percent: 0, tag: "v1" },
        { percent: 0, tag: "latest" },
      ],
      revisions,
    ),
  );
});

test("every problem is reported at once, in one message", (t) => {
  const error = t.throws(
    () =>
      validateTraffic(
        [
          { revision: "nope", percent: 20, tag: "a" },
          { revision: r1, percent: 20, tag: "a" },
        ],
        revisions,
      ),
    {
      instanceOf: SkiffError,
    },
  );
  t.deepEqual(
    error?.violations.map((v) => v.field),
    ["traffic[0].revision", "traffic[1].tag", "traffic"],
  );
  t.regex(error?.message ?? "", /^traffic\[0\]\.revision: unknown revision "nope".*; traffic: percents must sum to 100, got 40$/);
});

// ---- normalizeTraffic ----

test("normalizeTraffic makes the type explicit and drops undefined keys", (t) => {
  const normalized = normalizeTraffic([
    { percent: 10, tag: "latest" },
    { revision: r1, percent: 90, tag: undefined },
  ]);
  t.deepEqual(normalized, [
    { type: "LATEST", percent: 10, tag: "latest" },
    { type: "REVISION", revision: r1, percent: 90 },
  ]);
  t.false("tag" in normalized[1]);
  t.deepEqual(normalizeTraffic(normalized), normalized);
});

// ---- resolveTraffic ----

const urlFor = (tag?: string) => (tag === undefined ? undefined : `http://${tag}---hello.localhost:8080`);

test("empty traffic resolves to 100 % on the latest ready revision", (t) => {
  t.deepEqual(resolveTraffic([], r2, urlFor), [{ type: "LATEST", revision: r2, percent: 100 }]);
  t.deepEqual(
    resolveTraffic([], r2, () => "http://hello.localhost:8080"),
    [{ type: "LATEST", revision: r2, percent: 100, url: "http://hello.localhost:8080" }],
  );
});

test("with nothing ready, empty traffic resolves to nothing and LATEST entries are left out", (t) => {
  t.deepEqual(resolveTraffic([], undefined, urlFor), []);
  t.deepEqual(resolveTraffic([{ percent: 50 }, { revision: r1, percent: 50 }], undefined, urlFor), [
    { type: "REVISION", revision: r1, percent: 50 },
  ]);
});

test("LATEST resolves to the latest ready revision, tags get their URL", (t) => {
  t.deepEqual(
    resolveTraffic(
      [
        { revision: r1, percent: 90 },
        { type: "LATEST", percent: 10, tag: "canary" },
      ],
      r2,
      urlFor,
    ),
    [
      { type: "REVISION", revision: r1, percent: 90 },
      { type: "LATEST", revision: r2, percent: 10, tag: "canary", url: "http://canary---hello.localhost:8080" },
    ],
  );
});

// ---- routing and tag tables ----

const statuses: TrafficStatus[] = [
  { type: "LATEST", revision: r2, percent: 30 },
  { type: "REVISION", revision: r1, percent: 50, tag: "stable" },
  { type: "REVISION", revision: r2, percent: 20 },
  { type: "REVISION", revision: r3, percent: 0, tag: "candidate" },
];

test("routingTable merges entries of one revision and drops 0 %", (t) => {
  t.deepEqual(routingTable(statuses), [
    { revision: r2, percent: 50 },
    { revision: r1, percent: 50 },
  ]);
  t.deepEqual(routingTable([]), []);
});

test("tagTable maps each tag to its revision", (t) => {
  t.deepEqual(
    [...tagTable(statuses)],
    [
      ["stable", r1],
      ["candidate", r3],
    ],
  );
});

test("revisionsInUse holds revisions with percent or a tag", (t) => {
  t.deepEqual([...revisionsInUse(statuses)].sort(), [r1, r2, r3]);
  t.deepEqual([...revisionsInUse([{ type: "REVISION", revision: r1, percent: 0 }])], []);
});

test("trafficEntryBlockingDelete names the entry that keeps a revision", (t) => {
  t.is(trafficEntryBlockingDelete(statuses, r1), 'traffic[1] (50%, tag "stable")');
  t.is(trafficEntryBlockingDelete(statuses, r2), "traffic[0] (LATEST, 30%)");
  t.is(trafficEntryBlockingDelete(statuses, r3), 'traffic[3] (0%, tag "candidate")');
  t.is(trafficEntryBlockingDelete(statuses, r4), undefined);
  t.is(trafficEntryBlockingDelete([{ type: "REVISION", revision: r4, percent: 0 }], r4), undefined);
});

// ---- consolidateTraffic ----

test("consolidateTraffic gives each target one entry with percent, keeping tags", (t) => {
  t.deepEqual(
    consolidateTraffic([
      { type: "REVISION", revision: r1, percent: 30, tag: "a" },
      { type: "REVISION", revision: r1, percent: 20 },
      { type: "REVISION", revision: r1, percent: 10, tag: "b" },
      { type: "LATEST", percent: 40 },
      { type: "REVISION", revision: r2, percent: 0 },
    ]),
    [
      { type: "REVISION", revision: r1, percent: 60, tag: "a" },
      { type: "REVISION", revision: r1, percent: 0, tag: "b" },
      { type: "LATEST", percent: 40 },
    ],
  );
});

// ---- appendNewRevision ----

const fresh = "hello-00005-new";

test("a new revision follows LATEST when traffic is empty or has LATEST", (t) => {
  t.deepEqual(appendNewRevision([], fresh, { noTraffic: false, latestReadyRevision: r2 }), []);
  const split = normalizeTraffic([{ percent: 50 }, { revision: r1, percent: 50 }]);
  t.deepEqual(appendNewRevision(split, fresh, { noTraffic: false, latestReadyRevision: r2 }), split);
});

test("a new revision gets 0 % while traffic pins older revisions", (t) => {
  const pinned = normalizeTraffic([
    { revision: r1, percent: 90 },
    { revision: r2, percent: 10 },
  ]);
  t.deepEqual(appendNewRevision(pinned, fresh, { noTraffic: false, latestReadyRevision: r2 }), pinned);
  t.deepEqual(appendNewRevision(pinned, fresh, { noTraffic: true, latestReadyRevision: r2 }), pinned);
});

test("--no-traffic pins LATEST's percent to the current latest ready revision; a tag on LATEST keeps following the latest, as in gcloud", (t) => {
  t.deepEqual(appendNewRevision([], fresh, { noTraffic: true, latestReadyRevision: r2 }), [
    { type: "REVISION", revision: r2, percent: 100 },
  ]);
  t.deepEqual(
    appendNewRevision(
      normalizeTraffic([
        { percent: 70, tag: "latest" },
        { revision: r1, percent: 30 },
      ]),
      fresh,
      {
        noTraffic: true,
        latestReadyRevision: r2,
      },
    ),
    [
      { type: "REVISION", revision: r2, percent: 70 },
      { type: "LATEST", percent: 0, tag: "latest" },
      { type: "REVISION", revision: r1, percent: 30 },
    ],
  );
});

test("--no-traffic merges the pinned LATEST share into an entry of the same revision", (t) => {
  const traffic = normalizeTraffic([{ revision: r2, percent: 40 }, { percent: 60 }, { percent: 0, tag: "edge" }]);
  const next = appendNewRevision(traffic, fresh, { noTraffic: true, latestReadyRevision: r2 });
  t.deepEqual(next, [
    { type: "REVISION", revision: r2, percent: 100 },
    { type: "LATEST", percent: 0, tag: "edge" },
  ]);
  t.notThrows(() => validateTraffic(next, [...revisions, { name: fresh, status: "READY" }]));
});

test("--no-traffic with nothing ready to keep serving is an error", (t) => {
  const error = t.throws(() => appendNewRevision([], fresh, { noTraffic: true }), { instanceOf: SkiffError });
  t.is(error?.violations[0]?.field, "noTraffic");
  t.regex(error?.violations[0]?.reason ?? "", /no ready revision to keep serving/);
});

test("--tag adds a 0 % entry for the new revision and moves the tag", (t) => {
  t.deepEqual(appendNewRevision([], fresh, { noTraffic: true, tag: "candidate", latestReadyRevision: r2 }), [
    { type: "REVISION", revision: r2, percent: 100 },
    { type: "REVISION", revision: fresh, percent: 0, tag: "candidate" },
  ]);
  t.deepEqual(appendNewRevision([], fresh, { noTraffic: false, tag: "candidate" }), [
    { type: "LATEST", percent: 100 },
    { type: "REVISION", revision: fresh, percent: 0, tag: "candidate" },
  ]);
  const traffic = normalizeTraffic([
    { revision: r1, percent: 100, tag: "stable" },
    { revision: r2, percent: 0, tag: "candidate" },
  ]);
  t.deepEqual(appendNewRevision(traffic, fresh, { noTraffic: false, tag: "candidate" }), [
    { type: "REVISION", revision: r1, percent: 100, tag: "stable" },
    { type: "REVISION", revision: fresh, percent: 0, tag: "candidate" },
  ]);
  t.deepEqual(appendNewRevision(traffic, fresh, { noTraffic: false, tag: "stable" }), [
    { type: "REVISION", revision: r1, percent: 100 },
    { type: "REVISION", revision: r2, percent: 0, tag: "candidate" },
    { type: "REVISION", revision: fresh, percent: 0, tag: "stable" },
  ]);
});

test("appendNewRevision does not change its input", (t) => {
  const traffic = normalizeTraffic([{ percent: 100, tag: "x" }]);
  const copy = structuredClone(traffic);
  appendNewRevision(traffic, fresh, { noTraffic: true, tag: "x", latestReadyRevision: r1 });
  t.deepEqual(traffic, copy);
});
