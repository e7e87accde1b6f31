import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import test from "ava";
import { contextHash, readBuildContext } from "../../provider/base/build-context";
import { missingDockerfileMessage, parseBuildRequest, suggestedDockerfile } from "../../provider/model/source-build";
import { sourceImageTag } from "../../provider/model/derived-names";

// What a --source build sends and the hash its tag carries: ignore files with each one's own rules,
// and a hash that follows content, not times.

const made: string[] = [];
test.after.always(async () => {
  for (const dir of made) await fs.rm(dir, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-context-"));
  made.push(dir);
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), content);
  }
  return dir;
}

const settings = { dockerfile: "Dockerfile", buildArgs: {} };

test(".dockerignore follows Docker's rules: anchored at the root, ** for any depth, ! exceptions", async (t) => {
  const dir = await tree({
    Dockerfile: "FROM x",
    ".dockerignore": "node_modules\n*.log\n**/*.tmp\ndocs\n!docs/keep.md\n",
    "node_modules/a/index.js": "",
    "app.log": "",
    "src/app.log": "",
    "src/deep/x.tmp": "",
    "src/index.js": "",
    "docs/other.md": "",
    "docs/keep.md": "",
  });
  const context = await readBuildContext(dir);
  t.is(context.ignoreFile, ".dockerignore");
  // `*.log` is anchored: src/app.log stays, as with docker build.
  t.deepEqual(context.files, [".dockerignore", "Dockerfile", "docs/keep.md", "src/app.log", "src/index.js"]);
  t.true(context.ignores("node_modules/a/index.js"));
  t.false(context.ignores("src/index.js"));
});

test(".gcloudignore (gitignore's rules) applies only when there is no .dockerignore", async (t) => {
  const dir = await tree({ Dockerfile: "FROM x", ".gcloudignore": "*.log\n", "app.log": "", "src/app.log": "", "src/index.js": "" });
  const context = await readBuildContext(dir);
  t.is(context.ignoreFile, ".gcloudignore");
  // gitignore's `*.log` matches at any depth.
  t.deepEqual(context.files, [".gcloudignore", "Dockerfile", "src/index.js"]);
  await fs.writeFile(path.join(dir, ".dockerignore"), "");
  const withDocker = await readBuildContext(dir);
  t.is(withDocker.ignoreFile, ".dockerignore");
  t.true(withDocker.files.includes("app.log"));
});

test("the content hash follows bytes, names, the exec bit and the build's settings; not times or ignored files", async (t) => {
  const dir = await tree({ Dockerfile: "FROM x", ".dockerignore": "notes.txt\n", "server.js": "v1", "notes.txt": "a" });
  const hash = async (s = settings) => contextHash(await readBuildContext(dir), s);
  const first = await hash();
  t.regex(first, /^[a-f0-9]{16}$/);
  const later = new Date(Date.now() + 60_000);
  await fs.utimes(path.join(dir, "server.js"), later, later);
  t.is(await hash(), first, "a touch changes nothing");
  await fs.writeFile(path.join(dir, "notes.txt"), "b");
  t.is(await hash(), first, "an ignored file changes nothing");
  t.not(await hash({ ...settings, buildArgs: { A: "1" } }), first);
  t.not(await hash({ ...settings, target: "prod" } as typeof settings), first);
  await fs.chmod(path.join(dir, "server.js"), 0o755);
  const executable = await hash();
  t.not(executable, first, "the exec bit is part of what is sent");
  await fs.rename(path.join(dir, "server.js"), path.join(dir, "main.js"));
  t.not(await hash(), executable, "a rename is a change");
});

test("a directory with no Dockerfile gets a suggestion for its language, or none", (t) => {
  t.regex(suggestedDockerfile(["package.json"]) ?? "", /^FROM node:22-slim\n[\s\S]*CMD \["npm", "start"\]$/);
  t.regex(suggestedDockerfile(["requirements.txt"]) ?? "", /pip install --no-cache-dir -r requirements.txt/);
  t.regex(suggestedDockerfile(["go.mod", "main.go"]) ?? "", /CGO_ENABLED=0 go build[\s\S]*FROM scratch/);
  t.is(suggestedDockerfile(["README.md"]), undefined);
  const message = missingDockerfileMessage("/src/app", "Dockerfile", ["README.md"]);
  t.is(message, "/src/app/Dockerfile does not exist; add a Dockerfile to /src/app (or name one with --dockerfile)");
});

test("a build request names its fields' problems; the tag is skiff.local/<project>/<name>:<hash>", (t) => {
  t.throws(() => parseBuildRequest({ name: "web", context: "relative/dir" }), { message: /context: must be an absolute path/ });
  t.throws(() => parseBuildRequest({ name: "web", context: "/x", dockerfile: "../Dockerfile" }), {
    message: /dockerfile: must be a path inside the context/,
  });
  t.throws(() => parseBuildRequest({ name: "Web", context: "/x" }), { message: /name: must be a lowercase name/ });
  t.like(parseBuildRequest({ name: "web", context: "/x" }), { dockerfile: "Dockerfile", kind: "service", buildArgs: {} });
  t.is(sourceImageTag("default", "web", "0123456789abcdef"), "skiff.local/default/web:0123456789abcdef");
});
