import * as pulumi from "@pulumi/pulumi";
import * as skiff from "skiff-run";

// Every stack of this program is a skiff project of its own (the project defaults to the stack
// name), so `pulumi up` on stacks "alice" and "bob" gives two environments side by side.
const config = new pulumi.Config();
const image = config.get("image") ?? "skiff-demo/hello:latest";
// api's own image, to roll out api alone; default: the same image as web.
const apiImage = config.get("apiImage") ?? image;
const stage = pulumi.getStack();

const api = new skiff.Service("api", {
  template: {
    image: apiImage,
    env: { GREETING: `Hello from the ${stage} api` },
    scaling: { maxInstanceCount: config.getNumber("maxInstances") ?? 2 },
  },
  labels: { stage },
});

// web calls api at its URL (the same inside the engine's containers as on the host). The URL is
// known at preview while api keeps its name, so a change to api alone previews no change to web.
const web = new skiff.Service("web", {
  template: { image, env: { GREETING: `Hello from the ${stage} web`, API_URL: api.url } },
  labels: { stage },
});

export const project = api.project;
export const apiUrl = api.url;
export const webUrl = web.url;
