import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import test from "ava";
import { deploy, describeService, hostOf, listRevisions, skiffOk, transcript } from "../helpers/cli";
import { inspectContainer } from "../helpers/docker";
import { TestEngine, startEngine } from "../helpers/engine";
import { fixtureImage } from "../helpers/fixture-image";

// Volumes through the real CLI on a real engine: an in-memory volume of 64Mi refuses the 65th MiB
// (ENOSPC) and lives in memory, not on the host's disk, and one without a size limit is half the
// instance's memory; a bucket mapped to a folder is shared by a job that writes a file and a
// service that reads it; nothing but the engine's own folders and the mapped one is mounted; bad
// volume flags and folders are exit 1 naming the flag, and change nothing.

let engine: TestEngine;
let image: string;
let bucketDir: string;

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
  bucketDir = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-test-bucket-"));
});

test.after.always(async () => {
  await engine?.dispose();
  if (bucketDir) await fs.rm(bucketDir, { recursive: true, force: true });
});

async function containerOf(service: string) {
  const [container] = (await engine.containers()).filter((c) => c.labels["skiff.service"] === service && c.state === "running");
  return inspectContainer(container.id);
}

test.serial(
  "an in-memory volume of 64Mi: writing 100 MiB stops at 64 with ENOSPC, in a tmpfs of that size, never on the host's disk",
  async (t) => {
    await deploy(engine, "mem", [
      "--image",
      image,
      "--memory",
      "512Mi",
      "--add-volume",
      "name=scratch,type=in-memory,size-limit=64Mi",
      "--add-volume-mount",
      "volume=scratch,mount-path=/scratch",
    ]);
    const answer = await engine.request(hostOf(engine, "mem"), "/write?path=/scratch/big&mib=100", { method: "POST", timeoutMs: 60_000 });
    t.deepEqual(JSON.parse(answer.body), { writtenMiB: 64, error: "ENOSPC" });
    const info = (await containerOf("mem")) as unknown as {
      HostConfig: { Mounts?: { Type: string; Target: string; TmpfsOptions?: { SizeBytes: number } }[] };
    };
    t.deepEqual(info.HostConfig.Mounts, [
      { Type: "tmpfs", Target: "/scratch", TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1777 } },
    ]);
    t.is((await engine.request(hostOf(engine, "mem"), "/")).status, 200, "the instance lives on");
  },
);

test.serial(
  "an in-memory volume without size-limit is a tmpfs of half the instance's memory (Cloud Run's default), not all of it",
  async (t) => {
    await deploy(engine, "half", [
      "--image",
      image,
      "--memory",
      "512Mi",
      "--add-volume",
      "name=scratch,type=in-memory",
      "--add-volume-mount",
      "volume=scratch,mount-path=/scratch",
    ]);
    const info = (await containerOf("half")) as unknown as {
      HostConfig: { Mounts?: { Type: string; Target: string; TmpfsOptions?: { SizeBytes: number } }[] };
    };
    t.deepEqual(info.HostConfig.Mounts, [
      { Type: "tmpfs", Target: "/scratch", TmpfsOptions: { SizeBytes: 256 * 1024 * 1024, Mode: 0o1777 } },
    ]);
  },
);

test.serial("a bucket mapped to a folder: a job writes a file there and the service reads it", async (t) => {
  await skiffOk(engine, ["buckets", "map", "shared-bucket", "--path", bucketDir]);
  const volume = [
    "--add-volume",
    "name=shared,type=cloud-storage,bucket=shared-bucket",
    "--add-volume-mount",
    "volume=shared,mount-path=/data",
  ];
  await deploy(engine, "reader", ["--image", image, ...volume]);
  await skiffOk(engine, [
    "jobs",
    "create",
    "writer",
    "--image",
    image,
    "--set-env-vars",
    "FIXTURE_MODE=task,FIXTURE_WRITE_FILE=/data/report.txt,FIXTURE_WRITE_TEXT=written-by-the-job",
    ...volume,
  ]);
  await skiffOk(engine, ["jobs", "execute", "writer", "--wait"]);
  t.is((await engine.request(hostOf(engine, "reader"), "/file?path=/data/report.txt")).body, "written-by-the-job");
  t.is(await fs.readFile(path.join(bucketDir, "report.txt"), "utf8"), "written-by-the-job", "it is the mapped folder");
  const info = (await containerOf("reader")) as unknown as {
    HostConfig: { Mounts?: { Type: string; Source: string; ReadOnly?: boolean }[] };
  };
  t.deepEqual(
    info.HostConfig.Mounts?.map((m) => [m.Type, m.Source]),
    [["bind", await fs.realpath(bucketDir)]],
  );
  t.regex((await skiffOk(engine, ["buckets", "list"])).stdout, new RegExp(`shared-bucket\\s+${await fs.realpath(bucketDir)}`));
});

test.serial("an unmapped bucket is a folder of its own under the engine home, and that is all a container sees of the host", async (t) => {
  await deploy(engine, "own", [
    "--image",
    image,
    "--add-volume",
    "name=b,type=cloud-storage,bucket=own-bucket,readonly=true",
    "--add-volume-mount",
    "volume=b,mount-path=/b",
  ]);
  const info = (await containerOf("own")) as unknown as { HostConfig: { Mounts?: { Source: string; ReadOnly?: boolean }[] } };
  t.deepEqual(
    info.HostConfig.Mounts?.map((m) => [m.Source, m.ReadOnly]),
    [[path.join(engine.home, "buckets", "own-bucket"), true]],
  );
  const write = JSON.parse((await engine.request(hostOf(engine, "own"), "/write?path=/b/x", { method: "POST" })).body) as {
    error?: string;
  };
  t.is(write.error, "EROFS", "readonly=true is a read-only mount");
});

test.serial("bad volume flags and folders are exit 1 naming the flag; the engine stays up and nothing changes", async (t) => {
  const before = await describeService(engine, "mem");
  const revisions = (await listRevisions(engine, "mem")).length;
  const cases: [string[], RegExp][] = [
    [["deploy", "mem", "--add-volume", "type=nfs,name=share"], /^skiff: error: --add-volume: type=nfs needs location=HOST:\/path$/],
    [
      ["deploy", "mem", "--add-volume", "name=p,type=in-memory", "--add-volume-mount", "volume=p,mount-path=/proc"],
      /^skiff: error: --add-volume-mount: mount-path "\/proc" must not be \/proc or under it/,
    ],
    [
      ["deploy", "mem", "--add-volume-mount", "volume=scratch,mount-path=/"],
      /^skiff: error: --add-volume-mount: mount-path "\/" must not be \//,
    ],
    [
      [
        "deploy",
        "mem",
        "--add-volume",
        "name=c,type=cloudsql,instances=proj:europe-west1:nowhere",
        "--add-volume-mount",
        "volume=c,mount-path=/cloudsql",
      ],
      /^skiff: error: --add-volume \(template\.volumes\[1\]\.cloudSqlInstance\.instances\[0\]\): Cloud SQL instance "proj:europe-west1:nowhere" is not mapped.*skiff cloudsql map proj:europe-west1:nowhere --to HOST:PORT/,
    ],
    [["buckets", "map", "etc-bucket", "--path", "/etc"], /^skiff: error: path: "\/etc" must not be \/etc or inside it/],
    [["buckets", "map", "home-bucket", "--path", engine.home], /^skiff: error: path: ".*" must not be the engine's home/],
    [["buckets", "map", "root-bucket", "--path", "/"], /^skiff: error: path: "\/" must not be \//],
    [["buckets", "map", "../x", "--path", bucketDir], /^skiff: error: bucket: "\.\.\/x" must be a bucket name/],
  ];
  for (const [args, expected] of cases) {
    const result = await engine.skiff(args);
    t.is(result.code, 1, transcript(args, result));
    t.regex(result.stderr.trim(), expected, transcript(args, result));
  }
  t.is((await engine.skiff(["engine", "status"])).code, 0, "the engine is up");
  const after = await describeService(engine, "mem");
  t.is(after.generation, before.generation);
  t.is((await listRevisions(engine, "mem")).length, revisions);
  t.is((await skiffOk(engine, ["buckets", "list", "--format", "json"])).stdout.includes("etc-bucket"), false);
});

test.serial("the engine refuses a mount on /proc itself, whoever asks (not only the CLI): a 400 naming the field", async (t) => {
  const api = await engine.api();
  const error = await t.throwsAsync(
    api.putService("default", "direct", {
      template: { image, volumes: [{ name: "p", emptyDir: {} }], volumeMounts: [{ name: "p", mountPath: "/proc/sys" }] },
    }),
  );
  t.regex(error?.message ?? "", /template\.volumeMounts\[0\]\.mountPath: must not be \/proc or under it/);
  t.is(
    (await api.listServices("default")).some((s) => s.name === "direct"),
    false,
  );
});
