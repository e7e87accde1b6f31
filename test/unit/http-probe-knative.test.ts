import test from "ava";
import { deployedTemplate } from "../helpers/deploy-flags";
import { serviceToKnative } from "../../provider/knative/objects";
import { planReplace } from "../../provider/knative/service-from-knative";
import { templateFingerprint } from "../../provider/model/revision";
import { parseServiceTemplate } from "../../provider/model/template";
import { serviceObject } from "../helpers/service-object";

// An HTTP startup probe in Knative YAML (`--format export` out, `services replace` in) and from
// `skiff deploy --startup-probe httpGet.*`: the same template each way, the httpGet never lost.

const HEADERS = [{ name: "X-Probe", value: "startup" }];

test("export prints httpGet with its path, port and headers (no tcpSocket); replace reads back the same template", (t) => {
  const template = parseServiceTemplate({
    image: "img:1",
    startupProbe: { httpGet: { path: "/healthz", httpHeaders: HEADERS }, periodSeconds: 1, failureThreshold: 10 },
  });
  const k = serviceToKnative(serviceObject(template)) as any;
  t.deepEqual(k.spec.template.spec.containers[0].startupProbe, {
    timeoutSeconds: 1,
    periodSeconds: 1,
    failureThreshold: 10,
    httpGet: { path: "/healthz", port: 8080, httpHeaders: HEADERS },
  });
  const plan = planReplace(k, "default");
  t.deepEqual(plan.ignored, []);
  t.deepEqual(plan.spec.template.startupProbe, {
    timeoutSeconds: 1,
    periodSeconds: 1,
    failureThreshold: 10,
    httpGet: { path: "/healthz", httpHeaders: HEADERS },
  });
  t.is(templateFingerprint(parseServiceTemplate(plan.spec.template)), templateFingerprint(template));
});

test("Knative YAML in: httpGet on another port keeps it; a TCP template still exports tcpSocket and keeps its fingerprint", (t) => {
  const http = parseServiceTemplate({ image: "img:1", startupProbe: { httpGet: { path: "/ready", port: 9000 } } });
  const k = serviceToKnative(serviceObject(http)) as any;
  t.deepEqual(k.spec.template.spec.containers[0].startupProbe.httpGet, { path: "/ready", port: 9000 });
  t.deepEqual(planReplace(k, "default").spec.template.startupProbe?.httpGet, { path: "/ready", port: 9000 });

  const tcp = parseServiceTemplate({ image: "img:1" });
  const kt = serviceToKnative(serviceObject(tcp)) as any;
  t.deepEqual(kt.spec.template.spec.containers[0].startupProbe.tcpSocket, { port: 8080 });
  t.false("httpGet" in kt.spec.template.spec.containers[0].startupProbe);
  t.is(templateFingerprint(parseServiceTemplate(planReplace(kt, "default").spec.template)), templateFingerprint(tcp));
});

test("a sidecar's HTTP probe goes out and back with its own port", (t) => {
  const template = parseServiceTemplate({
    image: "app:1",
    containerName: "app",
    dependsOn: ["backend"],
    sidecars: [{ name: "backend", image: "backend:1", startupProbe: { httpGet: { path: "/up", port: 9000 }, periodSeconds: 1 } }],
  });
  const k = serviceToKnative(serviceObject(template)) as any;
  t.deepEqual(k.spec.template.spec.containers[1].startupProbe.httpGet, { path: "/up", port: 9000 });
  const plan = planReplace(k, "default");
  t.deepEqual(plan.ignored, []);
  t.is(templateFingerprint(parseServiceTemplate(plan.spec.template)), templateFingerprint(template));
});

test("skiff deploy --startup-probe httpGet.path=/healthz,periodSeconds=1 makes an HTTP probe; a sidecar's names its port", (t) => {
  t.deepEqual(deployedTemplate(["--image", "app:1", "--startup-probe", "httpGet.path=/healthz,periodSeconds=1"]).startupProbe, {
    httpGet: { path: "/healthz" },
    periodSeconds: 1,
  });
  const two = deployedTemplate([
    "--container",
    "app",
    "--image",
    "app:1",
    "--port",
    "8080",
    "--container",
    "backend",
    "--image",
    "backend:1",
    "--startup-probe",
    "httpGet.path=/up,httpGet.port=9000",
  ]);
  t.deepEqual(two.sidecars?.[0].startupProbe, { httpGet: { path: "/up", port: 9000 } });
});
