import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run, type CommandResult } from "./docker";

/**
 * Google's published Python client for Cloud Run (`google-cloud-run` from PyPI), in a virtualenv
 * made from Debian's Python and kept in the tools cache (SKIFF_TOOLS_DIR, default
 * ~/.cache/skiff-tools; os.tmpdir() where that cannot be written) by version, so it is downloaded
 * once per machine. Made in a temporary folder and renamed into place, so two test runs never see
 * a half-made one.
 */

export const GOOGLE_CLOUD_RUN_PY_VERSION = "0.16.2";
const DEBIAN_PYTHON = "/usr/bin/python3";

let ready: Promise<string> | undefined;

/** The venv's python, with google.cloud.run_v2 importable; fails saying what to install when it cannot be made. */
export function googleCloudRunPython(): Promise<string> {
  ready ??= makeVenv().catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return ready;
}

async function makeVenv(): Promise<string> {
  if (!existsSync(DEBIAN_PYTHON))
    throw new Error(`${DEBIAN_PYTHON} is missing: install Debian's Python (apt-get install -y python3 python3-venv)`);
  const version = (await run(DEBIAN_PYTHON, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])).stdout.trim();
  const name = `python${version}-google-cloud-run-${GOOGLE_CLOUD_RUN_PY_VERSION}`;
  const cacheRoot = await writableCacheRoot();
  const venv = path.join(cacheRoot, name);
  const python = path.join(venv, "bin", "python");
  if (await imports(python)) return python;

  const building = await fs.mkdtemp(path.join(cacheRoot, `${name}.building-`));
  try {
    const made = await run(DEBIAN_PYTHON, ["-m", "venv", building], { timeoutMs: 120_000 });
    if (made.code !== 0)
      throw new Error(`python3 -m venv failed; install Debian's python3-venv (apt-get install -y python3-venv):\n${tail(made)}`);
    const pip = await run(
      path.join(building, "bin", "python"),
      ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--quiet", `google-cloud-run==${GOOGLE_CLOUD_RUN_PY_VERSION}`],
      { timeoutMs: 600_000 },
    );
    if (pip.code !== 0)
      throw new Error(
        `pip could not install google-cloud-run==${GOOGLE_CLOUD_RUN_PY_VERSION} from PyPI (these tests need PyPI reachable, or the venv cached at ${venv}):\n${tail(pip)}`,
      );
    await fs.rename(building, venv).catch(async (error: NodeJS.ErrnoException) => {
      // Another run made it meanwhile: use theirs.
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    });
  } finally {
    await fs.rm(building, { recursive: true, force: true });
  }
  if (!(await imports(python)))
    throw new Error(`the virtualenv at ${venv} was made but cannot import google.cloud.run_v2; remove it and run again`);
  return python;
}

async function writableCacheRoot(): Promise<string> {
  const preferred = process.env.SKIFF_TOOLS_DIR || path.join(os.homedir(), ".cache", "skiff-tools");
  try {
    await fs.mkdir(preferred, { recursive: true });
    await fs.access(preferred, fs.constants.W_OK);
    return preferred;
  } catch {
    const fallback = path.join(os.tmpdir(), "skiff-tools");
    await fs.mkdir(fallback, { recursive: true });
    return fallback;
  }
}

async function imports(python: string): Promise<boolean> {
  if (!existsSync(python)) return false;
  const probe = await run(python, ["-c", "import google.cloud.run_v2"], { timeoutMs: 60_000 }).catch(() => undefined);
  return probe?.code === 0;
}

function tail(result: CommandResult): string {
  return `${result.stderr}${result.stdout}`.trim().split("\n").slice(-15).join("\n");
}

/** Runs the client script's `scenario` with JSON arguments; its JSON answer, or an error with its output. */
export async function runPythonScenario<T = Record<string, unknown>>(
  script: string,
  scenario: string,
  args: Record<string, unknown>,
): Promise<T> {
  const python = await googleCloudRunPython();
  const result = await run(python, [script, scenario, JSON.stringify(args)], { timeoutMs: 300_000 });
  const last = result.stdout.trim().split("\n").pop() ?? "";
  if (result.code !== 0) throw new Error(`${path.basename(script)} ${scenario} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${path.basename(script)} ${scenario} printed no JSON:\n${result.stdout}${result.stderr}`);
  }
}
