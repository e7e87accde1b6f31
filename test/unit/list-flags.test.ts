import test from "ava";
import { listed, parseFilter } from "../../provider/cli/list-flags";

// gcloud's --filter, --sort-by and --limit over the objects --format json prints.

const objects = [
  {
    metadata: { name: "web", creationTimestamp: "2026-12-06T10:00:00Z", labels: { team: "a" } },
    status: { conditions: [{ type: "Ready", status: "True" }], observedGeneration: 3 },
  },
  {
    metadata: { name: "api", creationTimestamp: "2026-12-06T12:00:00Z", labels: { team: "b" } },
    status: { conditions: [{ type: "Ready", status: "False" }], observedGeneration: 10 },
  },
  {
    metadata: { name: "web-admin", creationTimestamp: "2026-12-06T11:00:00Z" },
    status: { conditions: [{ type: "Ready", status: "True" }], observedGeneration: 2 },
  },
];

const names = (filter: string) => objects.filter(parseFilter(filter)).map((o) => o.metadata.name);

test("terms: : is a case-insensitive substring (and :* is present), = and != exact, < > on numbers as numbers and on text as text, ~ a regular expression", (t) => {
  t.deepEqual(names("metadata.name:WEB"), ["web", "web-admin"]);
  t.deepEqual(names("metadata.labels.team:*"), ["web", "api"]);
  t.deepEqual(names("metadata.name=web"), ["web"]);
  t.deepEqual(names("metadata.name!=web"), ["api", "web-admin"]);
  t.deepEqual(names("status.observedGeneration>2"), ["web", "api"], "10 > 2 as numbers, not as text");
  t.deepEqual(names("metadata.creationTimestamp>=2026-12-06T11:00:00Z"), ["api", "web-admin"]);
  t.deepEqual(names("metadata.name~^w.*n$"), ["web-admin"]);
  t.deepEqual(names("metadata.name!~^web"), ["api"]);
  t.deepEqual(names('metadata.name="web-admin"'), ["web-admin"]);
});

test("a key through a list matches when any element does; AND (or a space), OR, NOT, - and parentheses combine terms", (t) => {
  t.deepEqual(names("status.conditions.status=False"), ["api"]);
  t.deepEqual(names("metadata.name:web AND status.observedGeneration<3"), ["web-admin"]);
  t.deepEqual(names("metadata.name:web status.observedGeneration<3"), ["web-admin"]);
  t.deepEqual(names("metadata.name=api OR metadata.name=web"), ["web", "api"]);
  t.deepEqual(names("NOT metadata.name:web"), ["api"]);
  t.deepEqual(names("-metadata.name:web"), ["api"]);
  t.deepEqual(names("(metadata.name=api OR metadata.name=web) AND metadata.labels.team=a"), ["web"]);
});

test("a key's names may be quoted, either quote, as gcloud's filter takes a label with dots and a slash in it", (t) => {
  const revisions = [
    { metadata: { name: "web-00001-abc", labels: { "serving.knative.dev/service": "web" } } },
    { metadata: { name: "api-00001-xyz", labels: { "serving.knative.dev/service": "api" } } },
  ];
  const kept = (filter: string) => revisions.filter(parseFilter(filter)).map((r) => r.metadata.name);
  t.deepEqual(kept("metadata.labels.'serving.knative.dev/service'=web"), ["web-00001-abc"]);
  t.deepEqual(kept('metadata.labels."serving.knative.dev/service"=api'), ["api-00001-xyz"]);
  t.deepEqual(kept("NOT metadata.labels.'serving.knative.dev/service':web"), ["api-00001-xyz"]);
  t.throws(() => parseFilter("metadata.labels.'serving=web"), { message: /^--filter: unterminated quote/ });
});

test("a malformed filter is a usage error naming --filter and where", (t) => {
  t.throws(() => parseFilter("metadata.name"), {
    message: /^--filter: expected an operator .* after metadata\.name at position 14 of "metadata\.name"$/,
  });
  t.throws(() => parseFilter("(metadata.name:a"), { message: /^--filter: expected \) at position 17/ });
  t.throws(() => parseFilter('metadata.name="web'), { message: /^--filter: unterminated quote/ });
  t.throws(() => parseFilter("metadata.name~("), { message: /^--filter: "\(" is not a regular expression/ });
  t.throws(() => parseFilter("metadata.name:a )"), { message: /^--filter: unexpected "\)"/ });
});

test("--sort-by sorts by each field in turn (~ descending), missing values last; --limit keeps the first N after both; the items follow their objects", (t) => {
  const items = ["w", "a", "wa"];
  const byIndex = (item: string) => objects[items.indexOf(item)];
  t.deepEqual(listed(items, byIndex, { sortBy: "~metadata.creationTimestamp", limit: 2 }), {
    items: ["a", "wa"],
    objects: [objects[1], objects[2]],
  });
  t.deepEqual(listed(items, byIndex, { sortBy: "metadata.labels.team,metadata.name" }).items, ["w", "a", "wa"]);
  t.deepEqual(listed(items, byIndex, { filter: "metadata.name:web", sortBy: "status.observedGeneration" }).items, ["wa", "w"]);
  t.deepEqual(listed(items, byIndex, {}).items, items, "no flags: all, in the engine's order");
  t.throws(() => listed(items, byIndex, { limit: -1 }), { message: "--limit: must be 0 or more, got -1" });
});
