"use strict";
const pulumi = require("@pulumi/pulumi");
const skiff = require("skiff-run");

const config = new pulumi.Config();
// No registry is reachable: the app's Dockerfile starts FROM a base image the test built locally.
const image = new skiff.Image("web-image", { context: "app", buildArgs: { BASE: config.require("base") } });
const web = new skiff.Service("web", { template: { image: image.ref } });

exports.url = web.url;
exports.ref = image.ref;
exports.imageDigest = image.imageDigest;
