import { randomBytes } from "node:crypto";
import { existsSync, promises as fs, readdirSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run, type CommandResult } from "./docker";

/**
 * A real PostgreSQL server for one test file, from Debian's `postgresql` package: a cluster of its
 * own in a temp folder, password auth (scram-sha-256), listening only on a unix socket in that
 * folder. initdb and pg_ctl refuse root, so as root they run as the package's `postgres` user.
 * `stop()` stops the server and removes the folder; call it in `test.after.always`.
 */
export interface Postgres {
  /** The folder with the socket `.s.PGSQL.5432`. */
  socketDir: string;
  socket: string;
  password: string;
  /** Runs SQL with psql as postgres; resolves with its output (tuples only, unaligned). */
  query(sql: string): Promise<string>;
  stop(): Promise<void>;
}

export const POSTGRES_HOW_TO =
  "PostgreSQL is missing: install Debian's postgresql (apt-get install -y postgresql); the Cloud SQL tests start a server of their own";

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, "bin", "initdb"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(POSTGRES_HOW_TO);
  return path.join(root, newest, "bin");
}

export async function startPostgres(): Promise<Postgres> {
  const bin = binDir();
  const asRoot = process.getuid?.() === 0;
  const as = (file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> =>
    asRoot
      ? run("runuser", ["-u", "postgres", "--", file, ...args], { env: { ...process.env, ...env } })
      : run(file, args, { env: { ...process.env, ...env } });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-test-pg-"));
  const data = path.join(dir, "data");
  const password = randomBytes(12).toString("hex");
  const stop = async () => {
    await as(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"]).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  };
  try {
    if (asRoot) {
      const owned = await run("chown", ["postgres:", dir]);
      if (owned.code !== 0) throw new Error(`${POSTGRES_HOW_TO} (no postgres user: ${owned.stderr.trim()})`);
    }
    await fs.writeFile(path.join(dir, "pw"), password);
    if (asRoot) await run("chown", ["postgres:", path.join(dir, "pw")]);
    const init = await as(path.join(bin, "initdb"), [
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=scram-sha-256",
      `--pwfile=${path.join(dir, "pw")}`,
      "-E",
      "UTF8",
    ]);
    if (init.code !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    const options = `-c listen_addresses='' -c unix_socket_directories='${dir}' -c fsync=off`;
    const started = await as(path.join(bin, "pg_ctl"), ["-D", data, "-o", options, "-l", path.join(dir, "log"), "-w", "-t", "60", "start"]);
    if (started.code !== 0)
      throw new Error(`pg_ctl start failed: ${started.stderr}${await fs.readFile(path.join(dir, "log"), "utf8").catch(() => "")}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    socketDir: dir,
    socket: path.join(dir, ".s.PGSQL.5432"),
    password,
    async query(sql) {
      const result = await run("psql", ["-h", dir, "-U", "postgres", "-d", "postgres", "-tA", "-c", sql], {
        env: { ...process.env, PGPASSWORD: password },
      });
      if (result.code !== 0) throw new Error(`psql failed: ${result.stderr}`);
      return result.stdout;
    },
    stop,
  };
}
