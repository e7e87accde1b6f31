// Bundles the CLI (dist/provider/cli/main.js and what it imports, from tsc's output) into one file,
// dist/provider/cli/skiff.js: a command then loads one file instead of a few hundred modules, which
// is most of what a CLI call costs before its first request to the engine. The daemon is not in the
// bundle: `engine start --foreground` requires dist/provider/engine/daemon.js (tsc's output), so
// its worker threads and native modules load from their own files.
"use strict";
const path = require("node:path");
const esbuild = require("esbuild");

const root = path.join(__dirname, "..");
esbuild
  .build({
    entryPoints: [path.join(root, "dist", "provider", "cli", "main.js")],
    outfile: path.join(root, "dist", "provider", "cli", "skiff.js"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    sourcemap: "linked",
    external: ["../engine/daemon", "better-sqlite3", "dockerode"],
    logLevel: "warning",
  })
  .catch(() => process.exit(1));
