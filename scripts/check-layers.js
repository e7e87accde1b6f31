#!/usr/bin/env node
// Fails when a source file imports from a folder above its own. The layer order is read from the
// ```layers block of docs/ARCHITECTURE.md: each line is a chain of floors, top to bottom, joined by
// "→"; folders on one floor are separated by ",". A file may import from its own folder and from any
// folder that comes after its own in some chain; nothing else. Every folder of provider/ and sdk/
// must appear in a chain, so a new folder cannot slip past the rule.
//
//   node scripts/check-layers.js [--root DIR]
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const SOURCE_ROOTS = ["provider", "sdk"];
const PACKAGE_NAME = "skiff-run";

function main(argv) {
  const rootAt = argv.indexOf("--root");
  const root = path.resolve(rootAt >= 0 ? argv[rootAt + 1] : path.join(__dirname, ".."));
  const { chains, folders } = readLayers(path.join(root, "docs", "ARCHITECTURE.md"));
  const problems = [];
  for (const file of sourceFiles(root)) {
    const from = folderOf(file, folders);
    if (from === undefined) {
      problems.push(`${file}: its folder is in no chain of the layers block in docs/ARCHITECTURE.md`);
      continue;
    }
    for (const { line, specifier } of importsOf(path.join(root, file))) {
      const target = resolveImport(file, specifier);
      if (target === undefined) continue;
      const to = folderOf(target, folders);
      if (to === undefined || to === from) continue;
      if (!mayImport(chains, from, to)) {
        problems.push(
          `${file}:${line} imports ${specifier}: ${from}/ may not import ${to}/ (the layer order in docs/ARCHITECTURE.md runs ${describeOrder(chains, from, to)})`,
        );
      }
    }
  }
  if (problems.length > 0) {
    process.stderr.write(
      `check-layers: ${problems.length} import(s) against the layer order:\n${problems.map((p) => `  ${p}`).join("\n")}\n`,
    );
    return 1;
  }
  process.stdout.write(`check-layers: every import of ${SOURCE_ROOTS.join("/ and ")}/ runs down the layer order\n`);
  return 0;
}

/** The chains of the ```layers block: arrays of floors, each floor an array of folder paths. */
function readLayers(docPath) {
  const text = fs.readFileSync(docPath, "utf8");
  const block = /```layers\n([\s\S]*?)```/.exec(text);
  if (!block) throw new Error(`${docPath} has no \`\`\`layers block`);
  const chains = block[1]
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean)
    .map((line) =>
      line.split(/→|->/).map((floor) =>
        floor
          .split(",")
          .map((f) => f.trim().replace(/\/$/, ""))
          .filter(Boolean),
      ),
    );
  const folders = [...new Set(chains.flat(2))].sort((a, b) => b.length - a.length);
  return { chains, folders };
}

function mayImport(chains, from, to) {
  return chains.some((chain) => {
    const a = chain.findIndex((floor) => floor.includes(from));
    const b = chain.findIndex((floor) => floor.includes(to));
    return a >= 0 && b >= 0 && a < b;
  });
}

function describeOrder(chains, from, to) {
  const chain = chains.find((c) => c.some((f) => f.includes(from)) && c.some((f) => f.includes(to)));
  if (!chain) return `with ${from}/ and ${to}/ in no chain together`;
  return chain.map((floor) => floor.join(", ")).join(" → ");
}

/** The declared folder a repository path lies in (the longest declared prefix). */
function folderOf(file, folders) {
  return folders.find((folder) => file === folder || file.startsWith(folder + "/"));
}

function sourceFiles(root) {
  const out = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(rel);
    }
  };
  for (const dir of SOURCE_ROOTS) if (fs.existsSync(path.join(root, dir))) walk(dir);
  return out;
}

/** Static imports, re-exports, require() and import() with a string literal. */
function importsOf(file) {
  const text = fs.readFileSync(file, "utf8");
  const found = [];
  const patterns = [/\bfrom\s+"([^"]+)"/g, /\brequire\(\s*"([^"]+)"\s*\)/g, /\bimport\(\s*"([^"]+)"\s*\)/g, /^\s*import\s+"([^"]+)"/gm];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      found.push({ specifier: match[1], line: text.slice(0, match.index).split("\n").length });
    }
  }
  return found;
}

/** A repository path for a relative or own-package specifier; undefined for other packages and node:. */
function resolveImport(file, specifier) {
  if (specifier.startsWith(".")) return path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
  if (specifier.startsWith(PACKAGE_NAME + "/")) return specifier.slice(PACKAGE_NAME.length + 1);
  return undefined;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`check-layers: ${error.message}\n`);
    process.exitCode = 2;
  }
}

module.exports = { main };
