import * as pulumi from "@pulumi/pulumi";
import * as skiff from "skiff-run";

// Every stack of this program is a skiff project of its own (the project defaults to the stack
// name), so `pulumi up` on stacks "alice" and "bob" gives two environments side by side.
const config = new pulumi.Config();
const image = config.get("image") ?? "skiff-demo/hello:latest";
const stage = pulumi.getStack();

const api = new skiff.Service("api", {
  template: {
    image,
    env: { GREETING: `Hello from the ${stage} api` },
    scaling: { maxInstanceCount: config.getNumber("maxInstances") ?? 2 },
  },
  labels: { stage },
});

const web = new skiff.Service("web", {
  template: { image, env: { GREETING: `Hello from the ${stage} web` } },
  labels: { stage },
});

export const project = api.project;
export const apiUrl = api.url;
export const webUrl = web.url;
