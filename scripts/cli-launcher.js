#!/usr/bin/env node
// The `skiff` command (copied to dist/provider/cli/skiff.js by scripts/bundle-cli.js). It runs the
// bundled CLI (cli-bundle.js beside it) from V8's code cache: compiling the 800 KB bundle is a large
// part of what a CLI call costs before its first request, and Node keeps no compile cache of its
// own that is faster: Node 24's module.enableCompileCache made `services describe` 110 ms against
// this cache's 75 ms (bench/cli-startup.js, 15 runs each). The cache is written at build time and again
// by any run that finds it missing or rejected (another Node version, a rebuilt bundle); V8 checks it
// against the source and its own version and compiles afresh when it does not match, so a stale or
// unwritable cache costs time, never correctness.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const Module = require("node:module");

if (Number(process.versions.node.split(".")[0]) < 22) {
  process.stderr.write(
    `skiff needs Node.js 22 or 24; this is ${process.version} (end of life). Install a current Node.js and run skiff with it.\n`,
  );
  process.exit(2);
}

const bundle = path.join(__dirname, "cli-bundle.js");
const cacheFile = `${bundle}.cache`;

// --verbosity debug maps stack traces to the sources; Node does that for files it loads itself.
const args = process.argv.slice(2);
if (args.includes("--verbosity=debug") || args.some((arg, i) => arg === "--verbosity" && args[i + 1] === "debug")) {
  process.setSourceMapsEnabled(true);
  require(bundle);
} else {
  runCached();
}

function runCached() {
  const source = fs.readFileSync(bundle, "utf8");
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // no cache yet: compile, and write one at exit
  }
  const script = new vm.Script(Module.wrap(source.startsWith("#!") ? `//${source}` : source), { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) process.once("exit", () => writeCache(script));
  const module = new Module(bundle, require.main);
  module.filename = bundle;
  module.paths = Module._nodeModulePaths(__dirname);
  module.loaded = true;
  const requireFromBundle = Object.assign((id) => module.require(id), {
    resolve: (request) => Module._resolveFilename(request, module),
    main: require.main,
    cache: require.cache,
  });
  script.runInThisContext().call(module.exports, module.exports, requireFromBundle, module, bundle, __dirname);
}

/** After the run, so the functions this command compiled are in the cache too. Best effort: the package may be read-only. */
function writeCache(script) {
  try {
    const temporary = `${cacheFile}.${process.pid}`;
    fs.writeFileSync(temporary, script.createCachedData());
    fs.renameSync(temporary, cacheFile);
  } catch {
    // a cache that cannot be written only makes the next start slower
  }
}
