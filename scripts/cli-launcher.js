#!/usr/bin/env node
// The `skiff` command (copied to dist/provider/cli/skiff.js by scripts/bundle-cli.js). It runs the
// bundled CLI (cli-bundle.js beside it) from V8's code cache: compiling the 650 KB bundle is a large
// part of what a CLI call costs before its first request, and Node keeps no compile cache of its
// own that is faster: Node 24's module.enableCompileCache made `services describe` 110 ms against
// this cache's 75 ms (bench/cli-startup.js, 15 runs each). V8 checks the cache against the source
// and its own version and compiles afresh when it does not match, so a stale or unwritable cache
// costs time, never correctness.
//
// The cache holds the functions compiled by the runs that wrote it: the build's `skiff --help`, then
// the first run of each command (its first two words, e.g. `services describe`), which writes it
// again at exit with its own functions added (V8 writes every function compiled so far, those read
// from the old cache among them). A command's functions that are not in the cache are compiled on
// each call (~3 ms of `services describe`'s answer checking and printing); the learning run pays
// for writing the cache once. Which commands the cache has learnt is a JSON line at the start of
// the cache file, so both are replaced in one rename. It learns at most MAX_LEARNT commands, none
// from a run longer than LEARN_WITHIN_SECONDS, and none where the package's folder is not
// writable. A cache missing or rejected (another Node version, a rebuilt bundle) is written afresh
// by the run that found it so.
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
/** Commands whose compiled functions the cache may learn; past this, commands run from what it holds. */
const MAX_LEARNT = 64;
/**
 * A run longer than this (the daemon, `logs tail`, `dev`'s watch loop) teaches the cache nothing:
 * V8 drops the bytecode of functions a long run stopped using, so the cache it wrote would lose
 * what other commands taught it.
 */
const LEARN_WITHIN_SECONDS = 10;

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
  const { learnt, cachedData } = readCache();
  const script = new vm.Script(Module.wrap(source.startsWith("#!") ? `//${source}` : source), { filename: bundle, cachedData });
  const command = commandOf(args);
  if (cachedData === undefined || script.cachedDataRejected) process.once("exit", () => writeCache(script, [command]));
  else if (!learnt.includes(command) && learnt.length < MAX_LEARNT && writable(__dirname))
    process.once("exit", () => {
      if (process.uptime() <= LEARN_WITHIN_SECONDS) writeCache(script, [...learnt, command]);
    });
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

/** The cache file: a JSON line naming the commands it has learnt, then V8's cached data. */
function readCache() {
  let file;
  try {
    file = fs.readFileSync(cacheFile);
  } catch {
    return { learnt: [], cachedData: undefined }; // no cache yet: compile, and write one at exit
  }
  const newline = file.indexOf(10);
  try {
    if (file[0] === 0x5b && newline > 0)
      return { learnt: JSON.parse(file.toString("utf8", 0, newline)), cachedData: file.subarray(newline + 1) };
  } catch {
    // not a list: V8 gets the whole file and rejects it if it is not its own
  }
  return { learnt: [], cachedData: file };
}

/** The command's first two words (`services describe`, `deploy hello`): what the cache learns a run by. */
function commandOf(argv) {
  return argv
    .filter((arg) => !arg.startsWith("-"))
    .slice(0, 2)
    .join(" ");
}

function writable(folder) {
  try {
    fs.accessSync(folder, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** After the run, so the functions this command compiled are in the cache too. Best effort: the package may be read-only. */
function writeCache(script, learnt) {
  try {
    const temporary = `${cacheFile}.${process.pid}`;
    fs.writeFileSync(temporary, Buffer.concat([Buffer.from(`${JSON.stringify(learnt)}\n`), script.createCachedData()]));
    fs.renameSync(temporary, cacheFile);
  } catch {
    // a cache that cannot be written only makes the next start slower
  }
}
