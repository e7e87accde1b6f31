// Plain JavaScript, as a pulumi-gcp program would be: a service whose ingress container (a proxy)
// answers through a sidecar on localhost, which it waits for (dependsOns); the same pair as
// skiff.Service's `template.containers`. Both images come from config.
"use strict";
const pulumi = require("@pulumi/pulumi");
const skiff = require("skiff-run");

const config = new pulumi.Config();
const proxyImage = config.require("proxyImage");
const backendImage = config.require("backendImage");
const backendEnv = [
  { name: "PAIR_BACKEND_PORT", value: "9000" },
  { name: "PAIR_LISTEN_DELAY_MS", value: "1000" },
];

const web = new skiff.cloudrunv2.Service("web", {
  location: "us-central1",
  template: {
    containers: [
      {
        name: "app",
        image: proxyImage,
        ports: { containerPort: 8080 },
        envs: [{ name: "PAIR_BACKEND_PORT", value: "9000" }],
        dependsOns: ["backend"],
      },
      {
        name: "backend",
        image: backendImage,
        envs: backendEnv,
        resources: { limits: { cpu: "0.5", memory: "256Mi" } },
        startupProbe: { tcpSocket: { port: 9000 }, periodSeconds: 1, failureThreshold: 30 },
      },
    ],
  },
});
new skiff.cloudrunv2.ServiceIamMember("web-public", {
  name: web.name,
  location: "us-central1",
  role: "roles/run.invoker",
  member: "allUsers",
});

const api = new skiff.Service("api", {
  name: "api",
  template: {
    containers: [
      { name: "app", image: proxyImage, port: 8080, env: { PAIR_BACKEND_PORT: "9000" }, dependsOn: ["backend"] },
      {
        name: "backend",
        image: backendImage,
        env: { PAIR_BACKEND_PORT: "9000" },
        startupProbe: { tcpSocket: { port: 9000 }, periodSeconds: 1, failureThreshold: 30 },
      },
    ],
  },
});

exports.webUrl = web.uri;
exports.apiUrl = api.url;
