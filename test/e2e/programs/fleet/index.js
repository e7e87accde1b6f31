"use strict";
const pulumi = require("@pulumi/pulumi");
const skiff = require("skiff-run");

const config = new pulumi.Config();
const count = config.requireNumber("count");
const services = [];
for (let i = 1; i <= count; i++) {
  services.push(new skiff.Service(`svc-${i}`, { template: { image: config.require("image") } }));
}

exports.urls = services.map((s) => s.url);
