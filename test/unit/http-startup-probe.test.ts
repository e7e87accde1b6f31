import test from "ava";
import { parseProbe } from "../../provider/cli/flags";
import { containersOf } from "../../provider/model/containers";
import { templateFingerprint } from "../../provider/model/revision";
import { parseServiceTemplate } from "../../provider/model/template";
import { attemptDueMs, describeOutcome, httpProbeFailure, probePassed } from "../../provider/runtime/http-probe";

// The pure parts of HTTP startup probes: the model's rules, gcloud's flag, the success rule and
// the schedule. The GETs themselves are in test/integration/http-startup-probe.test.ts.

const thrown = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    return (error as Error).message;
  }
  return "(nothing thrown)";
};

test("a status from 200 to 399 passes; 199, 400, 500 and an error fail", (t) => {
  t.deepEqual(
    [200, 204, 301, 399, 199, 400, 404, 500, 503].map((status) => probePassed({ status })),
    [true, true, true, true, false, false, false, false, false],
  );
  t.false(probePassed({ error: "ECONNREFUSED" }));
});

test("the failure reason names the path, port, deadline and the last status or error", (t) => {
  const probe = { path: "/healthz", headers: [], initialDelayMs: 0, periodMs: 1000, timeoutMs: 1000 };
  t.is(
    httpProbeFailure(probe, 8080, 3000, { status: 500 }),
    "the startup probe GET /healthz on port 8080 did not answer 200-399 within the startup deadline of 3 s (the last answer was status 500)",
  );
  t.is(describeOutcome({ error: "ECONNREFUSED" }), "the last GET failed: ECONNREFUSED");
  t.is(describeOutcome(undefined), "no GET was made");
});

test("GETs are due after initialDelaySeconds, then every periodSeconds", (t) => {
  const probe = { path: "/", headers: [], initialDelayMs: 2000, periodMs: 500, timeoutMs: 1000 };
  t.deepEqual(
    [0, 1, 2, 3].map((n) => attemptDueMs(probe, n)),
    [2000, 2500, 3000, 3500],
  );
});

test("--startup-probe takes gcloud's httpGet.path and httpGet.port beside the timing keys", (t) => {
  t.deepEqual(parseProbe("httpGet.path=/healthz,httpGet.port=8081,periodSeconds=1,failureThreshold=5"), {
    httpGet: { path: "/healthz", port: 8081 },
    periodSeconds: 1,
    failureThreshold: 5,
  });
  t.deepEqual(parseProbe("httpGet.port=8080"), { httpGet: { port: 8080 } }, "the path is the model's default (/)");
  t.deepEqual(parseProbe("httpGet.path=/a?b=c"), { httpGet: { path: "/a?b=c" } }, "a query keeps its =");
  t.deepEqual(parseProbe("tcpSocket.port=9000,timeoutSeconds=2"), { tcpSocket: { port: 9000 }, timeoutSeconds: 2 }, "TCP as before");
});

test("--startup-probe refuses both kinds at once, a relative path and a bad port, naming the key", (t) => {
  t.is(
    thrown(() => parseProbe("tcpSocket.port=8080,httpGet.path=/healthz")),
    "--startup-probe: give one of tcpSocket.* or httpGet.*, not several: a probe is one check",
  );
  t.is(
    thrown(() => parseProbe("httpGet.path=healthz")),
    '--startup-probe: httpGet.path must start with /, got "healthz"',
  );
  t.regex(
    thrown(() => parseProbe("httpGet.port=http")),
    /expected KEY=NUMBER .* got "httpGet.port=http"/,
  );
  t.regex(
    thrown(() => parseProbe("grpc.port=x")),
    /got "grpc.port=x"/,
    "grpc's keys are gcloud's now, and its port a number",
  );
});

test("the model: httpGet's path defaults to /, its port stays unset, timings default to Cloud Run's for HTTP; tcpSocket with httpGet is refused", (t) => {
  const http = parseServiceTemplate({ image: "app", startupProbe: { httpGet: {}, periodSeconds: 1 } });
  t.deepEqual(http.startupProbe, {
    httpGet: { path: "/" },
    initialDelaySeconds: 0,
    timeoutSeconds: 1,
    periodSeconds: 1,
    failureThreshold: 3,
  });
  // Cloud Run's defaults for an HTTP probe (10 s period, 1 s timeout, 3 failures), not the TCP probe's 240 s.
  t.like(parseServiceTemplate({ image: "app", startupProbe: { httpGet: { path: "/healthz" } } }).startupProbe, {
    timeoutSeconds: 1,
    periodSeconds: 10,
    failureThreshold: 3,
  });
  t.like(parseServiceTemplate({ image: "app", startupProbe: { tcpSocket: {} } }).startupProbe, {
    timeoutSeconds: 240,
    periodSeconds: 240,
    failureThreshold: 1,
  });
  t.regex(
    thrown(() => parseServiceTemplate({ image: "app", startupProbe: { tcpSocket: {}, httpGet: { path: "/" } } })),
    /template\.startupProbe\.httpGet: give tcpSocket or httpGet, not both/,
  );
  t.regex(
    thrown(() => parseServiceTemplate({ image: "app", startupProbe: { httpGet: { path: "healthz" } } })),
    /template\.startupProbe\.httpGet\.path: must be an absolute path/,
  );
  t.regex(
    thrown(() => parseServiceTemplate({ image: "app", startupProbe: { httpGet: { httpHeaders: [{ name: "a b", value: "x" }] } } })),
    /template\.startupProbe\.httpGet\.httpHeaders\[0\]\.name: must be an HTTP header name/,
  );
});

test("a template without httpGet keeps its fingerprint; one with httpGet is a new revision", (t) => {
  const plain = parseServiceTemplate({ image: "app" });
  t.false("httpGet" in plain.startupProbe, "absent by default");
  // The fingerprints these templates had before HTTP probes existed (computed on main at 75f3f04).
  t.is(templateFingerprint(plain), "4efba6c4d05a6b30");
  const tcp = parseServiceTemplate({ image: "app", startupProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5 } });
  t.is(templateFingerprint(tcp), "76670e1a8add1a31");
  const http = parseServiceTemplate({ image: "app", startupProbe: { httpGet: { path: "/healthz" } } });
  t.not(templateFingerprint(http), templateFingerprint(plain));
});

test("the instance's containers carry the HTTP probe: port defaults to the container's, headers and timings in ms", (t) => {
  const template = parseServiceTemplate({
    image: "app",
    port: 9000,
    startupProbe: {
      httpGet: { path: "/ready", httpHeaders: [{ name: "X-Probe", value: "1" }] },
      initialDelaySeconds: 2,
      periodSeconds: 3,
      failureThreshold: 4,
    },
  });
  const [ingress] = containersOf(template);
  t.is(ingress.probePort, 9000);
  t.deepEqual(ingress.httpProbe, {
    path: "/ready",
    headers: [{ name: "X-Probe", value: "1" }],
    initialDelayMs: 2000,
    periodMs: 3000,
    timeoutMs: 1000,
  });
  t.is(ingress.startupDeadlineMs, 14_000);
  t.is(containersOf(parseServiceTemplate({ image: "app" }))[0].httpProbe, undefined, "a TCP probe has none");
});

test("a sidecar's HTTP probe must name its port", (t) => {
  const withSidecar = (probe: unknown) => ({
    image: "app",
    containerName: "app",
    sidecars: [{ name: "proxy", image: "proxy", startupProbe: probe }],
  });
  t.regex(
    thrown(() => parseServiceTemplate(withSidecar({ httpGet: { path: "/" } }))),
    /sidecars\[0\]\.startupProbe\.httpGet\.port: is required/,
  );
  const ok = parseServiceTemplate(withSidecar({ httpGet: { path: "/up", port: 9901 } }));
  t.like(containersOf(ok)[1], { probePort: 9901, httpProbe: { path: "/up" } });
});
