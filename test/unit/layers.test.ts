import test from "ava";
import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// Imports run one way, down the layer order written in docs/ARCHITECTURE.md; scripts/check-layers.js enforces it.

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const SCRIPT = path.join(REPO_ROOT, "scripts", "check-layers.js");

function checkLayers(root: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, "--root", root], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

/** A tree with this repository's ARCHITECTURE.md and the given source files. */
async function tree(files: Record<string, string>): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-layers-"));
  await fs.mkdir(path.join(root, "docs"));
  await fs.copyFile(path.join(REPO_ROOT, "docs", "ARCHITECTURE.md"), path.join(root, "docs", "ARCHITECTURE.md"));
  for (const [file, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await fs.writeFile(path.join(root, file), text);
  }
  return root;
}

test("this repository's imports all run down the layer order", async (t) => {
  const result = await checkLayers(REPO_ROOT);
  t.is(result.code, 0, result.output);
});

test("an import from a higher layer fails, naming the file, the line and both folders", async (t) => {
  const root = await tree({
    "provider/model/service.ts":
      'import { x } from "../base/logger";\nimport { ServiceController } from "../controller/service-controller";\n',
    "provider/base/logger.ts": "export const x = 1;\n",
    "provider/controller/service-controller.ts": "export class ServiceController {}\n",
  });
  try {
    const result = await checkLayers(root);
    t.is(result.code, 1, result.output);
    t.regex(
      result.output,
      /provider\/model\/service\.ts:2 imports \.\.\/controller\/service-controller: provider\/model\/ may not import provider\/controller\//,
    );
    t.notRegex(result.output, /logger/, "the downward import is fine");
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});

test("peers on one floor may not import each other, and the client may not import the engine", async (t) => {
  const root = await tree({
    "provider/state/store.ts": 'import { DockerRuntime } from "../runtime/docker-runtime";\n',
    "provider/runtime/docker-runtime.ts": "export class DockerRuntime {}\n",
    "provider/client/launcher.ts": 'const { runDaemon } = require("../engine/daemon");\n',
    "provider/engine/daemon.ts": "export function runDaemon() {}\n",
    "sdk/providers/service.ts": 'import { x } from "skiff-run/provider/api/routes";\n',
    "provider/api/routes.ts": "export const x = 1;\n",
  });
  try {
    const result = await checkLayers(root);
    t.is(result.code, 1, result.output);
    t.regex(result.output, /provider\/state\/store\.ts:1 .* provider\/state\/ may not import provider\/runtime\//);
    t.regex(result.output, /provider\/client\/launcher\.ts:1 .* provider\/client\/ may not import provider\/engine\//);
    t.regex(result.output, /sdk\/providers\/service\.ts:1 .* sdk\/ may not import provider\/api\//);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});

test("a folder missing from the layer order fails", async (t) => {
  const root = await tree({ "provider/misc/util.ts": "export const y = 2;\n" });
  try {
    const result = await checkLayers(root);
    t.is(result.code, 1, result.output);
    t.regex(result.output, /provider\/misc\/util\.ts: its folder is in no chain/);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});
