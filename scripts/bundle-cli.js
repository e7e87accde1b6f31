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

/**
 * zod's `locales` namespace (its error messages in ~50 languages, ~300 KB of the minified bundle) is
 * built from every locale's module, though zod itself and skiff use only English (zod's default,
 * which zod's schemas require directly). The bundle gets a `locales` of English alone: ~1/3 less
 * source for every CLI call to read and V8's code cache to cover (SPEC §8: a command's start-up).
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.cjs$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}zod${path.sep}`)
        ? { path: path.join(path.dirname(args.importer), "..", "locales", "index.cjs"), namespace: "zod-english-only" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "zod-english-only" }, (args) => ({
      contents: 'exports.en = require("./en.cjs");\n',
      resolveDir: path.dirname(args.path),
      loader: "js",
    }));
  },
};

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
    plugins: [zodEnglishOnly],
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
