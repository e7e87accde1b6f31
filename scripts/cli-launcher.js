#!/usr/bin/env node
// The `skiff` command (copied to dist/provider/cli/skiff.js by scripts/bundle-cli.js). It runs the
// bundled CLI (cli-bundle.js beside it) with Node's own compile cache (module.enableCompileCache):
// compiling the bundle is a large part of what a CLI call costs before its first request, and the
// cache keeps V8's compiled code beside the bundle. The build writes it by running `skiff --help`
// once; Node checks it against the source and its own version, and a stale or unwritable cache costs
// time, never correctness.
"use strict";
const path = require("node:path");
const Module = require("node:module");

if (Number(process.versions.node.split(".")[0]) < 22) {
  process.stderr.write(`skiff needs Node.js 22 or 24; this is ${process.version} (end of life). Install a current Node.js and run skiff with it.\n`);
  process.exit(2);
}

// --verbosity debug maps stack traces to the sources; Node does that for files it loads itself.
const args = process.argv.slice(2);
if (args.includes("--verbosity=debug") || args.some((arg, i) => arg === "--verbosity" && args[i + 1] === "debug")) process.setSourceMapsEnabled(true);
Module.enableCompileCache(path.join(__dirname, ".compile-cache"));
require("./cli-bundle.js");
