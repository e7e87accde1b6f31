import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { buildHostImage } from "./host-image";
import { run } from "./docker";

/** Debian's own Python (not a pyenv or venv one): its standard library lives at a fixed path. */
const DEBIAN_PYTHON = "/usr/bin/python3";

/**
 * An image that runs one Python script on Debian's Python, `FROM scratch`: the interpreter, its
 * standard library and the libraries its native modules link against, copied from this machine.
 */
export async function buildPythonImage(opts: { script: string; repository: string; labels?: Record<string, string> }): Promise<string> {
  if (!existsSync(DEBIAN_PYTHON)) throw new Error(`${DEBIAN_PYTHON} is missing: install Debian's Python (apt-get install -y python3)`);
  const probe = await run(DEBIAN_PYTHON, ["-c", "import sys, sysconfig; print(sys.executable); print(sysconfig.get_paths()['stdlib'])"]);
  if (probe.code !== 0) throw new Error(`${DEBIAN_PYTHON} does not run: ${probe.stderr}`);
  const [executable = "", stdlib = ""] = probe.stdout.trim().split("\n");
  const interpreter = await fs.realpath(executable);
  const dynload = path.join(stdlib, "lib-dynload");
  const nativeModules = (await fs.readdir(dynload)).filter((name) => name.endsWith(".so")).map((name) => path.join(dynload, name));
  return buildHostImage({
    repository: opts.repository,
    binaries: [{ source: interpreter, at: "/usr/bin/python3" }],
    librariesOf: nativeModules,
    copies: [
      { source: stdlib, at: stdlib },
      { source: opts.script, at: `/${path.basename(opts.script)}` },
    ],
    entrypoint: ["/usr/bin/python3", "-u", `/${path.basename(opts.script)}`],
    labels: opts.labels,
  });
}
