import test from "ava";
import { formatted, parseFormat } from "../../provider/cli/formats";
import { UsageError } from "../../provider/cli/output";

// gcloud's --format over the Knative objects skiff prints. Every expected text here is what gcloud
// 528 printed for the same object (read from skiff's engine through its v1 API), byte for byte.

const service = {
  apiVersion: "serving.knative.dev/v1",
  kind: "Service",
  metadata: {
    name: "web",
    namespace: "default",
    creationTimestamp: "2026-12-06T23:22:45.884Z",
    labels: { team: "a", env: "prod" },
    annotations: { "run.googleapis.com/ingress": "all" },
  },
  spec: { template: { spec: { containers: [{ image: "skiff-test/fixture:893b", ports: [{ containerPort: 8080, name: "http1" }] }] } } },
  status: {
    conditions: [
      { type: "Ready", status: "True" },
      { type: "RoutesReady", status: "True" },
    ],
    latestReadyRevisionName: "web-00001-zbh",
    traffic: [
      { revisionName: "web-00001-zbh", percent: 90, latestRevision: true },
      { revisionName: "web-00002-abc", percent: 10, tag: "green", url: "http://green---web.localhost:8080" },
      { revisionName: "web-00002-abc", percent: 0, tag: "blue", url: "http://blue---web.localhost:8080" },
    ],
    url: "http://web.localhost:8080",
  },
};

const other = {
  ...service,
  metadata: { ...service.metadata, name: "api", labels: {} },
  status: { ...service.status, url: "http://api.localhost:8080" },
};

const print = (format: string, object: unknown = service) => formatted(parseFormat(format), object);

test("value(): a missing key prints nothing, booleans as True/False, a map as k=v;k=v by key, a list's items ;-joined with 0 and unset as nothing", (t) => {
  t.is(print("value(status.url)"), "http://web.localhost:8080\n");
  t.is(print("value(nothing.here)"), "\n");
  t.is(print("value(metadata.name, status.url)"), "web\thttp://web.localhost:8080\n");
  t.is(print("value(status.traffic[0].latestRevision)"), "True\n");
  t.is(print("value(metadata.labels)"), "env=prod;team=a\n");
  t.is(print("value(status.traffic.percent)"), "90;10;\n");
  t.is(print("value(spec.template.spec.containers[0].ports)"), "{'containerPort': 8080, 'name': 'http1'}\n");
  t.is(print("value(metadata.name)", [service, other]), "web\napi\n", "one line per object of a list");
  t.is(print("value(metadata.name)", []), "");
});

test("keys: negative indexes count from the end, [] is every item, quoted names hold dots and slashes, snake_case finds camelCase", (t) => {
  t.is(print("value(status.conditions[0].type)"), "Ready\n");
  t.is(print("value(status.conditions[-1].type)"), "RoutesReady\n");
  t.is(print("value(status.conditions[5].type)"), "\n");
  t.is(print("value(status.traffic[].revisionName)"), "web-00001-zbh;web-00002-abc;web-00002-abc\n");
  t.is(print("value(metadata.annotations.'run.googleapis.com/ingress')"), "all\n");
  t.is(print('value(metadata.annotations["run.googleapis.com/ingress"])'), "all\n");
  t.is(print("value(metadata.annotations.run.googleapis.com/ingress)"), "all\n", "skiff also finds it unquoted");
  t.is(print("value(status.latest_ready_revision_name)"), "web-00001-zbh\n");
  // gcloud's rule for a name through a list whose first item lacks it: the items' values that are set.
  t.is(print("value(status.traffic.tag)"), "green;blue\n");
  t.is(print("value(status.traffic.tag.join(','))"), "green,blue\n");
});

test("csv(...) has a lowercased heading and quotes what needs it; table(...) has ANGRY_SNAKE_CASE headings, :label= and :sort=", (t) => {
  t.is(print("csv(metadata.name,status.url)"), "name,url\nweb,http://web.localhost:8080\n");
  t.is(print("csv[no-heading](metadata.name)", [service, other]), "web\napi\n");
  t.is(print("csv(metadata.name,status.latestReadyRevisionName)", []), "", "no heading for nothing");
  t.is(print("csv(metadata.name)", { metadata: { name: "a,b" } }), 'name\n"a,b"\n');
  t.is(print("table(metadata.name,status.url)"), "NAME  URL\nweb   http://web.localhost:8080\n");
  t.is(
    print("table(status.latestReadyRevisionName, status.traffic[0].percent:label=PCT, status.conditions.type)"),
    "LATEST_READY_REVISION_NAME  PCT  TYPE\nweb-00001-zbh               90   ['Ready', 'RoutesReady']\n",
  );
  t.is(print("table(metadata.name:sort=1:reverse, status.url)", [other, service]).split("\n")[1], "web   http://web.localhost:8080");
  t.is(print("table[no-heading](metadata.name)", [service, other]), "web\napi\n");
  t.is(print("table(metadata.name, spec.name)"), "NAME  SPEC_NAME\nweb\n", "a taken heading adds the name before it");
});

test("value attributes, get(), and transforms with positional and name=value arguments", (t) => {
  t.is(print('value[separator=","](metadata.name,status.url)'), "web,http://web.localhost:8080\n");
  t.is(print("value[terminator=' '](metadata.name)", [service, other]), "web api ");
  t.is(print("value[quote](metadata.name)"), "web\n");
  t.is(print("get(status.url)"), "http://web.localhost:8080\n");
  t.is(print("get(status.url.basename())"), "http://web.localhost:8080\n", "get is value with transforms off");
  t.is(print("value(metadata.name:label=NAME)"), "web\n");
  t.is(print("value(status.url.basename())"), "web.localhost:8080\n");
  t.is(print("value(metadata.labels.len(), status.traffic.len())"), "2\t3\n");
  t.is(print("value(status.traffic[0].latestRevision.yesno(yes=Y,no=N))"), "Y\n");
  t.is(print("value(status.traffic[1].latestRevision.yesno(yes=Y,no=N))"), "N\n");
  t.is(print('value(metadata.creationTimestamp.date("%Y-%m-%d %H:%M:%S %z",tz=UTC))'), "2026-12-06 23:22:45 +0000\n");
  t.is(print('value(status.url.split("/").slice(-1))'), "web.localhost:8080\n");
  t.is(print("value(metadata.labels.list())"), "env=prod,team=a\n");
});

test("date() without tz keeps the zone the time is written in, and %Z names it, as gcloud's does (on any machine's zone)", (t) => {
  const zone = process.env.TZ;
  process.env.TZ = "America/New_York";
  try {
    t.is(print('value(metadata.creationTimestamp.date("%Y-%m-%d %H:%M:%S %Z"))'), "2026-12-06 23:22:45 UTC\n");
    t.is(print('value(metadata.creationTimestamp.date("%H:%M %Z",tz="-05:00"))'), "18:22 \n", "a bare offset has no name");
  } finally {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  }
});

test("json and yaml: keys in order as gcloud prints them; with keys, only those in their places; yaml quotes what YAML 1.1 would misread", (t) => {
  t.is(
    print("json(metadata.name,status.url)"),
    '{\n  "metadata": {\n    "name": "web"\n  },\n  "status": {\n    "url": "http://web.localhost:8080"\n  }\n}\n',
  );
  t.is(print("yaml(metadata.name)"), "metadata:\n  name: web\n");
  t.is(print("json(metadata.name)", [service]), '[\n  {\n    "metadata": {\n      "name": "web"\n    }\n  }\n]\n');
  t.is(print("json", []), "[]\n");
  const yaml = print("yaml", {
    kind: "K",
    apiVersion: "v1",
    metadata: { creationTimestamp: "2026-12-06T23:22:45.884Z", labels: { flag: "yes", count: "1" } },
  });
  t.is(
    yaml,
    "apiVersion: v1\nkind: K\nmetadata:\n  creationTimestamp: '2026-12-06T23:22:45.884Z'\n  labels:\n    count: '1'\n    flag: 'yes'\n",
  );
  t.is(print("default"), print("yaml"));
  t.is(
    print("yaml", [service, other])
      .split("\n")
      .filter((l) => l === "---").length,
    2,
    "a list: each object after ---",
  );
});

test("flattened (text): one aligned key.path line per leaf; with keys, their lowercased labels; none prints nothing", (t) => {
  t.is(print("flattened(metadata.name,status.url)"), "name: web\nurl:  http://web.localhost:8080\n");
  const lines = print("text", { kind: "K", metadata: { name: "a", labels: {} }, list: [] }).split("\n");
  t.deepEqual(lines, ["kind:            K", "list:            []", "metadata.labels: {}", "metadata.name:   a", ""]);
  t.is(print("flattened", [{ a: true }]), "---\na: True\n");
  t.is(print("none"), "");
  t.is(print("disable"), "");
});

test("a malformed or unknown format is a usage error naming --format; a format that needs keys says so", (t) => {
  const refused = (format: string, message: RegExp) => {
    const error = t.throws(() => parseFormat(format), { instanceOf: UsageError }, format);
    t.regex(error?.message ?? "", message, format);
  };
  refused("bogus", /^--format: unknown format "bogus"/);
  refused("value()", /^--format: value needs keys to print/);
  refused("csv", /^--format: csv needs keys/);
  refused("value(status.url.frobnicate())", /^--format: unknown transform frobnicate\(\)/);
  refused("value(status.url", /^--format: expected , or \) in the projection/);
  refused("value(a:colour=red)", /^--format: unknown key attribute "colour"/);
  refused("value('unterminated)", /^--format: unterminated ' quote/);
  refused("config", /^--format: gcloud's config format is not supported here/);
  refused("table(a:format=json)", /^--format: nested formats \(:format=\) are not supported/);
  t.deepEqual(parseFormat("table"), { kind: "table" }, "table alone is the command's own table");
});
