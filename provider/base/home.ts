import { chmodSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Where one user's engine keeps everything: state, token, ports, logs. */
export interface EngineHome {
  root: string;
  stateDb: string;
  token: string;
  engineJson: string;
  engineLog: string;
  logsDir: string;
  /** The key the engine signs identity tokens with (0600). */
  signingKey: string;
  /** The key secret values are sealed with in state.db (0600): without it they are noise. */
  secretsKey: string;
  /** A folder per container with what it mounts that the engine makes: secret files, Cloud SQL sockets. */
  mountsDir: string;
  /** The Cloud SQL proxies' listening sockets (short paths: a socket's path is at most 107 bytes). */
  socketsDir: string;
  /** A folder per Cloud Storage bucket not mapped elsewhere. */
  bucketsDir: string;
  /** A folder per NFS export not mapped elsewhere. */
  nfsDir: string;
}

export function engineHome(root = process.env.SKIFF_HOME || join(homedir(), ".skiff")): EngineHome {
  return {
    root,
    stateDb: join(root, "state.db"),
    token: join(root, "token"),
    engineJson: join(root, "engine.json"),
    engineLog: join(root, "engine.log"),
    logsDir: join(root, "logs"),
    signingKey: join(root, "signing-key.pem"),
    secretsKey: join(root, "secrets.key"),
    mountsDir: join(root, "mounts"),
    socketsDir: join(root, "sockets"),
    bucketsDir: join(root, "buckets"),
    nfsDir: join(root, "nfs"),
  };
}

export function ensureHome(home: EngineHome): void {
  mkdirSync(home.root, { recursive: true, mode: 0o700 });
  mkdirSync(home.logsDir, { recursive: true });
  // What containers mount lives in these; only the engine's user may look inside them from the host.
  for (const dir of [home.mountsDir, home.socketsDir, home.bucketsDir, home.nfsDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
}

/** What the running daemon writes to engine.json so clients can find it. */
export interface EngineFile {
  pid: number;
  apiPort: number;
  ingressPort: number;
  engineId: string;
  version: string;
  startTime: string;
}

export function readEngineFile(home: EngineHome): EngineFile | undefined {
  try {
    return JSON.parse(readFileSync(home.engineJson, "utf8")) as EngineFile;
  } catch {
    return undefined;
  }
}

export function readToken(home: EngineHome): string | undefined {
  try {
    return readFileSync(home.token, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Is the process running? A killed daemon whose parent never reaps it stays a zombie: that counts as gone. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true; // no /proc (not Linux): kill(0) is all we have
  }
}
