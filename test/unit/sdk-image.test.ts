import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import test from "ava";
import { checkImageInputs } from "../../sdk/check/image";
import { diffImage } from "../../sdk/diff/image";
import { UNKNOWN } from "../../sdk/preview-values/unknowns";

// skiff.Image's check hashes the directory and its diff is that hash: what makes an unchanged
// program preview no change.

let dir: string;
test.before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-image-check-"));
  await fs.writeFile(path.join(dir, "Dockerfile"), "FROM scratch\nCOPY . /\n");
  await fs.writeFile(path.join(dir, "server.js"), "v1");
});
test.after.always(() => fs.rm(dir, { recursive: true, force: true }));

const args = () => ({ name: "web-image", project: "dev", context: dir });

test("check hashes the directory and names the tag; defaults applied", async (t) => {
  const { inputs, failures } = await checkImageInputs(args());
  t.deepEqual(failures, []);
  t.regex(inputs.contentHash, /^[a-f0-9]{16}$/);
  t.is(inputs.ref, `skiff.local/dev/web-image:${inputs.contentHash}`);
  t.like(inputs, { dockerfile: "Dockerfile", buildArgs: {} });
});

test("the diff follows the content hash: same sources no change, a moved context no change, an edit an update", async (t) => {
  const first = (await checkImageInputs(args())).inputs as unknown as Record<string, unknown>;
  const again = (await checkImageInputs(args())).inputs as unknown as Record<string, unknown>;
  t.false(diffImage(first, again).changes);
  t.false(diffImage(first, { ...again, context: "/elsewhere" }).changes);
  t.true(diffImage(first, { ...again, name: "other" }).replaces.includes("name"));
  const withArg = (await checkImageInputs({ ...args(), buildArgs: { A: "1" } })).inputs as unknown as Record<string, unknown>;
  t.deepEqual(diffImage(first, withArg), { changes: true, replaces: [], stables: ["name", "project"], deleteBeforeReplace: false });
});

test("bad inputs name the property; unknown values wait for up; a missing Dockerfile says what to add", async (t) => {
  const relative = await checkImageInputs({ ...args(), context: "app" });
  t.is(relative.failures[0]?.property, "context");
  const unknown = await checkImageInputs({ ...args(), context: UNKNOWN });
  t.deepEqual(unknown.failures, []);
  t.false("contentHash" in unknown.inputs, "hashed once the context is known");
  const missing = await checkImageInputs({ ...args(), dockerfile: "Prod.dockerfile" });
  t.is(missing.failures[0]?.property, "dockerfile");
  t.regex(missing.failures[0]?.reason ?? "", /Prod\.dockerfile does not exist; add a Dockerfile/);
});
