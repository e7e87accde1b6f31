// Bundles the CLI (dist/provider/cli/main.js and what it imports, from tsc's output) into one file,
// dist/provider/cli/cli-bundle.js: a command then loads one file instead of a few hundred modules, which
// is most of what a CLI call costs before its first request to the engine. The `skiff` command itself,
// dist/provider/cli/skiff.js, is scripts/cli-launcher.js: it runs the bundle from V8's code cache, which
// this script writes by running `skiff --help` once. The daemon is not in the bundle: `engine start
// --foreground` requires dist/provider/engine/daemon.js (tsc's output), so its worker threads and
// native modules load from their own files.
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const esbuild = require("esbuild");

const root = path.join(__dirname, "..");
const cliDir = path.join(root, "dist", "provider", "cli");

async function main() {
  await esbuild.build({
    entryPoints: [path.join(cliDir, "main.js")],
    outfile: path.join(cliDir, "cli-bundle.js"),
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    sourcemap: "linked",
    external: ["../engine/daemon", "dockerode"],
    logLevel: "warning",
  });
  const launcher = path.join(cliDir, "skiff.js");
  fs.copyFileSync(path.join(__dirname, "cli-launcher.js"), launcher);
  fs.chmodSync(launcher, 0o755);
  fs.rmSync(`${path.join(cliDir, "cli-bundle.js")}.cache`, { force: true });
  execFileSync(process.execPath, [launcher, "--help"], { stdio: "ignore" });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
