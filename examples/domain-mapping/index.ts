import * as pulumi from "@pulumi/pulumi";
import * as skiff from "skiff-run";

const config = new pulumi.Config();
const image = config.get("image") ?? "skiff-demo/hello:latest";
const domain = config.get("domain") ?? "api.example.test";

const api = new skiff.Service("api", {
  template: { image, env: { GREETING: `Hello from ${domain}` } },
});

// Requests whose Host header is the domain reach the service through skiff's ingress.
const mapping = new skiff.DomainMapping("api", { domain, service: api.name });

export const serviceUrl = api.url;
export const domainUrl = mapping.url;
export const status = mapping.status;
