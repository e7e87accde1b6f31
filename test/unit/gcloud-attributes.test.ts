import test from "ava";
import { REVISIONS_LIST_FORMAT, withGcloudAttributes } from "../../provider/cli/gcloud-attributes";
import { formatted, parseFormat, withCommandDefaults } from "../../provider/cli/formats";
import { listed } from "../../provider/cli/list-flags";

// gcloud's wrapper attributes: seen by the column formats and --sort-by, not by json or --filter.

const service = (name: string, created: string) =>
  withGcloudAttributes({
    apiVersion: "serving.knative.dev/v1",
    kind: "Service",
    metadata: { name, namespace: "default", creationTimestamp: created, labels: {}, annotations: {} },
    spec: { template: { metadata: { name: `${name}-00002-bbb` }, spec: { containers: [{ image: "img:2" }] } } },
    status: {
      conditions: [{ type: "Ready", status: "False" }],
      latestCreatedRevisionName: `${name}-00002-bbb`,
      latestReadyRevisionName: `${name}-00001-aaa`,
      traffic: [
        { revisionName: `${name}-00001-aaa`, percent: 100 },
        { revisionName: `${name}-00002-bbb`, percent: 0, tag: "next" },
      ],
      url: `http://${name}.localhost:8080`,
    },
  });

test("value() reads name, domain, serving_revisions, ready and ready_symbol ('!': serving, not the newest) as gcloud computes them", (t) => {
  const text = formatted(parseFormat("value(name,domain,serving_revisions,image,ready,ready_symbol)"), [service("web", "t1")]);
  t.is(text, "web\thttp://web.localhost:8080\tweb-00001-aaa\timg:2\tFalse\t!\n");
});

test("json shows the object only; --filter does not see the attributes; --sort-by does", (t) => {
  const web = service("web", "2026-12-07T08:00:00Z");
  t.false("domain" in JSON.parse(formatted(parseFormat("json"), web)));
  const items = [service("api", "2026-12-07T07:00:00Z"), web];
  t.deepEqual(listed(items, (o) => o, { filter: "name=web" }).items, []);
  t.deepEqual(listed(items, (o) => o, { filter: "metadata.name=web" }).items, [web]);
  t.deepEqual(
    listed(items, (o) => o, { sortBy: "~creation_timestamp" }).items.map((o) => o.metadata.name),
    ["web", "api"],
  );
});

test("a list command's own gcloud format lends its labels and transforms to the same keys of --format; the user's own win", (t) => {
  const revision = withGcloudAttributes({
    kind: "Revision",
    metadata: { name: "web-00001-aaa", creationTimestamp: "2026-12-07T08:00:00.000Z", labels: { "serving.knative.dev/service": "web" } },
    status: { conditions: [{ type: "Active", status: "True" }] },
  });
  const print = (format: string) => formatted(withCommandDefaults(parseFormat(format), REVISIONS_LIST_FORMAT), [revision]);
  t.is(print("value(name,active,service_name,creation_timestamp)"), "web-00001-aaa\tyes\tweb\t2026-12-07 08:00:00 UTC\n");
  t.is(print("csv(name,service_name)"), "revision,service\nweb-00001-aaa,web\n");
  t.is(print("csv(name:label=n,active.yesno(yes=Y))"), "n,active\nweb-00001-aaa,Y\n");
  t.is(print("value(metadata.name)"), "web-00001-aaa\n", "another key of the same value lends nothing");
});
