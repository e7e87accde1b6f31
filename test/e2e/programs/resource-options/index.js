// A staging service in skiff's shape, one in pulumi-gcp's and a job, none given a name: each is
// named after its resource. With config `renamed` the resources get new logical names and
// `aliases` to the old ones, the way a team tidies a program up without touching what runs;
// config `apiOptions` (JSON) adds resource options to api.
"use strict";
const pulumi = require("@pulumi/pulumi");
const skiff = require("skiff-run");

const config = new pulumi.Config();
const image = config.require("image");
const renamed = config.getBoolean("renamed") ?? false;
const named = (old) => (renamed ? [`${old}-renamed`, { aliases: [{ name: old }] }] : [old, {}]);

const [apiName, apiOpts] = named("api");
const apiOptions = JSON.parse(config.get("apiOptions") ?? "{}");
const api = new skiff.Service(apiName, { template: { image } }, { ...apiOpts, ...apiOptions });
const [webName, webOpts] = named("web");
const web = new skiff.cloudrunv2.Service(webName, { template: { containers: [{ image }] } }, webOpts);
const [seedName, seedOpts] = named("seed");
const seed = new skiff.Job(seedName, { template: { image, env: { FIXTURE_MODE: "task" } } }, seedOpts);

exports.apiUrl = api.url;
exports.webUri = web.uri;
exports.seedName = seed.name;
