import test from "ava";
import { templateFromFlags } from "../../provider/cli/deploy";
import { templateToKnative } from "../../provider/knative/objects";
import { planReplace } from "../../provider/knative/service-from-knative";
import { SkiffError } from "../../provider/model/errors";
import type { Service } from "../../provider/model/service";
import { templateFingerprint } from "../../provider/model/revision";
import { parseServiceTemplate } from "../../provider/model/template";
import { gcpServiceTemplate } from "../../sdk/gcp/render";
import { translateService } from "../../sdk/gcp/service-spec";
import { UNKNOWN } from "../../sdk/preview-values/unknowns";

// A service declares HTTP/2 end to end the four ways Cloud Run users do (gcloud's --use-http2,
// the Knative port named h2c, pulumi-gcp's ports.name "h2c", skiff.Service's template.http2): all
// land on the template's `http2`, which is part of its fingerprint (a change makes a revision).

const knative = (ports: unknown) => ({
  apiVersion: "serving.knative.dev/v1",
  kind: "Service",
  metadata: { name: "grpc" },
  spec: { template: { spec: { containers: [{ image: "img", ports }] } } },
});

test("http2 is part of the template: true makes another fingerprint, false is the same template as leaving it out", (t) => {
  const plain = parseServiceTemplate({ image: "img" });
  const on = parseServiceTemplate({ image: "img", http2: true });
  const off = parseServiceTemplate({ image: "img", http2: false });
  t.is(on.http2, true);
  t.false("http2" in off && off.http2 !== undefined);
  t.not(templateFingerprint(on), templateFingerprint(plain));
  t.is(templateFingerprint(off), templateFingerprint(plain));
  t.throws(() => parseServiceTemplate({ image: "img", http2: "yes" }), { message: /template\.http2: must be true or false/ });
});

test("deploy --use-http2 sets it, --no-use-http2 clears it, neither keeps what the service has", (t) => {
  const existing = { template: parseServiceTemplate({ image: "img", http2: true }) } as Service;
  // The container flags (--image) come in groups (container-flags.ts); --use-http2 is the template's.
  const image = [{ argv: ["--image", "img"] }];
  t.is(templateFromFlags(undefined, { traffic: true, useHttp2: true }, image).http2, true);
  t.is(templateFromFlags(existing, { traffic: true }).http2, true);
  t.false("http2" in templateFromFlags(existing, { traffic: true, useHttp2: false }));
  t.false("http2" in templateFromFlags(undefined, { traffic: true }, image));
});

test("Knative: the container port is named h2c for http2 (http1 otherwise), and services replace reads it back", (t) => {
  const exported = templateToKnative(parseServiceTemplate({ image: "img", http2: true })) as {
    spec: { containers: { ports: unknown }[] };
  };
  t.deepEqual(exported.spec.containers[0].ports, [{ containerPort: 8080, name: "h2c" }]);
  const plain = templateToKnative(parseServiceTemplate({ image: "img" })) as { spec: { containers: { ports: unknown }[] } };
  t.deepEqual(plain.spec.containers[0].ports, [{ containerPort: 8080, name: "http1" }]);

  t.is(planReplace(knative([{ containerPort: 8080, name: "h2c" }]), "default").spec.template.http2, true);
  t.false("http2" in planReplace(knative([{ containerPort: 8080, name: "http1" }]), "default").spec.template);
  t.false("http2" in planReplace(knative([{ containerPort: 8080 }]), "default").spec.template);
  const error = t.throws(() => planReplace(knative([{ containerPort: 8080, name: "grpc" }]), "default"), { instanceOf: SkiffError });
  t.is(error?.message, 'spec.template.spec.containers[0].ports[0].name: must be http1 or h2c (HTTP/2 end to end), got "grpc"');
});

test('pulumi-gcp: ports.name "h2c" is http2, "http1" is not, anything else fails at its path; unknown at preview passes', (t) => {
  const service = (ports: unknown) => ({ name: "grpc", skiffProject: "dev", template: { containers: [{ image: "img:1", ports }] } });
  const h2c = translateService(service({ containerPort: 50051, name: "h2c" }));
  t.deepEqual(h2c.failures, []);
  t.like(h2c.spec.template, { port: 50051, http2: true });
  t.false("http2" in (translateService(service({ name: "http1" })).spec.template as object));
  t.deepEqual(
    translateService(service({ name: "h2" })).failures.map((f) => `${f.property}: ${f.reason}`),
    ['template.containers[0].ports.name: must be "http1" or "h2c" (HTTP/2 end to end), got "h2"'],
  );
  t.deepEqual(translateService(service({ name: UNKNOWN })).failures, []);
  // Outputs in pulumi-gcp's shape name the port h2c again.
  const rendered = gcpServiceTemplate(
    parseServiceTemplate({ image: "img", port: 50051, http2: true }),
    service({ containerPort: 50051 }).template,
  );
  t.deepEqual((rendered.containers as { ports: unknown }[])[0].ports, { containerPort: 50051, name: "h2c" });
});

test("with sidecars, h2c is the ingress container's port name: Knative both ways, gcloud's --container groups and pulumi-gcp's containers[]", (t) => {
  // The ingress container listed second: the port name is read from it, not from containers[0].
  const yaml = {
    apiVersion: "serving.knative.dev/v1",
    kind: "Service",
    metadata: { name: "grpc" },
    spec: {
      template: {
        spec: {
          containers: [
            { name: "proxy", image: "proxy" },
            { name: "app", image: "img", ports: [{ containerPort: 50051, name: "h2c" }] },
          ],
        },
      },
    },
  };
  const replaced = planReplace(yaml, "default").spec.template;
  t.like(replaced, { containerName: "app", port: 50051, http2: true });
  t.is(replaced.sidecars?.[0].name, "proxy");
  const exported = templateToKnative(parseServiceTemplate(replaced)) as { spec: { containers: { name: string; ports?: unknown }[] } };
  const ports = exported.spec.containers.map((c) => [c.name, c.ports]);
  t.deepEqual(ports, [
    ["app", [{ containerPort: 50051, name: "h2c" }]],
    ["proxy", undefined],
  ]);
  // The export replaces to the same template.
  t.is(
    templateFingerprint(parseServiceTemplate(planReplace({ ...yaml, spec: { template: exported } }, "default").spec.template)),
    templateFingerprint(parseServiceTemplate(replaced)),
  );

  const grouped = templateFromFlags(undefined, { traffic: true, useHttp2: true }, [
    { name: "app", argv: ["--image", "img", "--port", "50051"] },
    { name: "proxy", argv: ["--image", "proxy"] },
  ]);
  t.like(grouped, { containerName: "app", port: 50051, http2: true });

  const gcp = translateService({
    name: "grpc",
    skiffProject: "dev",
    template: {
      containers: [
        { name: "proxy", image: "proxy:1" },
        { name: "app", image: "img:1", ports: { containerPort: 50051, name: "h2c" } },
      ],
    },
  });
  t.deepEqual(gcp.failures, []);
  t.like(gcp.spec.template, { containerName: "app", port: 50051, http2: true });
  const rendered = gcpServiceTemplate(parseServiceTemplate(gcp.spec.template as never), {
    containers: [
      { name: "proxy", image: "proxy:1" },
      { name: "app", image: "img:1", ports: { containerPort: 50051 } },
    ],
  });
  const byName = Object.fromEntries((rendered.containers as { name: string; ports?: unknown }[]).map((c) => [c.name, c.ports]));
  t.deepEqual(byName, { app: { containerPort: 50051, name: "h2c" }, proxy: undefined });
});
