import test from "ava";
import { deployedTemplate, parsedDeployFlags, thrownMessage } from "../helpers/deploy-flags";
import { givenFlagsByContainer } from "../../provider/cli/container-flags";
import { describeSidecars } from "../../provider/cli/describe-containers";
import { jobTemplateFromFlags } from "../../provider/cli/job-commands";
import { describeField, useGivenFlags, useSidecarNames } from "../../provider/cli/output";
import { parseJobSpec, type Job, type JobTemplateInput } from "../../provider/model/job";
import { parseServiceTemplate, type ServiceTemplateInput } from "../../provider/model/template";

// Each container has its own secrets (issue 23): gcloud's --set-secrets, --update-secrets,
// --remove-secrets and --clear-secrets in a `--container NAME` group are that container's; before
// any group, the ingress container's as without groups. A secret file's volume is the template's,
// its mount the container's.

const pair = ["--container", "app", "--image", "a", "--port", "8080", "--container", "side", "--image", "b"];

test("--set-secrets in a sidecar's group is the sidecar's alone; before any group it is the ingress container's", (t) => {
  const sidecarOnly = parseServiceTemplate(deployedTemplate([...pair, "--set-secrets", "TOKEN=s:1"]));
  t.false("secretEnv" in sidecarOnly);
  t.deepEqual(sidecarOnly.sidecars![0].secretEnv, { TOKEN: { secret: "s", version: "1" } });
  const both = parseServiceTemplate(deployedTemplate(["--set-secrets", "A=a:2", ...pair, "--update-secrets", "B=b:latest"]));
  t.deepEqual(both.secretEnv, { A: { secret: "a", version: "2" } });
  t.deepEqual(both.sidecars![0].secretEnv, { B: { secret: "b", version: "latest" } });
  // The ingress container's own group says the same as the flags before any group.
  const grouped = parseServiceTemplate(deployedTemplate(["--container", "app", "--set-secrets", "A=a:2"], both));
  t.deepEqual(grouped.secretEnv, { A: { secret: "a", version: "2" } });
  t.deepEqual(grouped.sidecars, both.sidecars, "the sidecar keeps its secrets");
  // Without groups, exactly as before: a single container's template.
  t.deepEqual(deployedTemplate(["--image", "a", "--set-secrets", "A=a:1"]), {
    image: "a",
    env: {},
    secretEnv: { A: { secret: "a", version: "1" } },
  });
});

test("a secret file in a sidecar's group: the volume is the template's, the mount the sidecar's", (t) => {
  const template = parseServiceTemplate(deployedTemplate([...pair, "--set-secrets", "/etc/tok/token=tok:3"]));
  t.deepEqual(template.volumes, [{ name: "secret-tok", secret: { secret: "tok", items: [{ path: "token", version: "3" }] } }]);
  t.false("volumeMounts" in template, "the ingress container mounts nothing");
  t.deepEqual(template.sidecars![0].volumeMounts, [{ name: "secret-tok", mountPath: "/etc/tok" }]);
  t.regex(
    describeSidecars(template, 19, "ingress").join("\n"),
    /Sidecar: +side: b, cpu 1, memory 512Mi\n +secrets \/etc\/tok\/token=tok:3$/,
  );
});

test("each group's secret flags change its container only: update, remove, clear; the other container's volumes stay", (t) => {
  const start = deployedTemplate([
    "--set-secrets",
    "A=a:1,/ingress/key=k:1",
    ...pair,
    "--set-env-vars",
    "PLAIN=1",
    "--set-secrets",
    "B=b:1,/side/key=k:2",
  ]);
  const volumesOf = (x: ServiceTemplateInput) => (x.volumes ?? []).map((v) => v.name).sort();
  t.deepEqual(volumesOf(start), ["secret-k", "secret-k-2"]);
  // The ingress container's --set-secrets used to drop every secret volume, the sidecar's too.
  const ingressSet = parseServiceTemplate(deployedTemplate(["--set-secrets", "A=a:2"], start));
  t.deepEqual(volumesOf(ingressSet), ["secret-k-2"]);
  t.deepEqual(ingressSet.sidecars![0].volumeMounts, [{ name: "secret-k-2", mountPath: "/side" }]);
  const updated = parseServiceTemplate(
    deployedTemplate(["--container", "side", "--update-secrets", "C=c:1", "--remove-secrets", "B"], start),
  );
  t.deepEqual(updated.secretEnv, { A: { secret: "a", version: "1" } });
  t.deepEqual(updated.sidecars![0].secretEnv, { C: { secret: "c", version: "1" } });
  t.deepEqual(updated.sidecars![0].env, { PLAIN: "1" });
  t.deepEqual(volumesOf(updated), ["secret-k", "secret-k-2"], "an unchanged secret file keeps its volume");
  const cleared = parseServiceTemplate(deployedTemplate(["--container", "side", "--clear-secrets"], start));
  t.false("secretEnv" in cleared.sidecars![0]);
  t.false("volumeMounts" in cleared.sidecars![0]);
  t.deepEqual(volumesOf(cleared), ["secret-k"]);
  t.deepEqual(cleared.volumeMounts, [{ name: "secret-k", mountPath: "/ingress" }]);
  // A removed sidecar takes its secret volumes; --remove-volume takes the sidecar's mount of it.
  t.deepEqual(volumesOf(deployedTemplate(["--remove-containers", "side"], start)), ["secret-k"]);
  const noVolume = parseServiceTemplate(deployedTemplate(["--remove-volume", "secret-k-2"], start));
  t.false("volumeMounts" in noVolume.sidecars![0]);
});

test("a secret volume two containers mount stays shared while one container's flags leave it as it was", (t) => {
  const shared: ServiceTemplateInput = {
    image: "a",
    containerName: "app",
    volumes: [{ name: "keys", secret: { secret: "k", items: [{ path: "key", version: "1" }] } }],
    volumeMounts: [{ name: "keys", mountPath: "/keys" }],
    sidecars: [{ name: "side", image: "b", volumeMounts: [{ name: "keys", mountPath: "/keys" }] }],
  };
  const added = parseServiceTemplate(deployedTemplate(["--container", "side", "--update-secrets", "T=t:1"], shared));
  t.deepEqual(added.volumes, parseServiceTemplate(shared).volumes);
  t.deepEqual(added.sidecars![0].volumeMounts, [{ name: "keys", mountPath: "/keys" }]);
  // A change to the shared file in one container gives that container a volume of its own.
  const changed = parseServiceTemplate(deployedTemplate(["--container", "side", "--update-secrets", "/keys/key=k:2"], shared));
  t.deepEqual(changed.volumeMounts, [{ name: "keys", mountPath: "/keys" }]);
  t.deepEqual(changed.sidecars![0].volumeMounts, [{ name: "secret-k", mountPath: "/keys" }]);
  t.deepEqual(changed.volumes!.find((v) => v.name === "secret-k")?.secret?.items, [{ path: "key", version: "2" }]);
});

test("a variable is plain or secret within a container: the error names the container and the variable; two containers may share a name", (t) => {
  const sameName = parseServiceTemplate(
    deployedTemplate([...pair.slice(0, 6), "--set-env-vars", "TOKEN=plain", ...pair.slice(6), "--set-secrets", "TOKEN=s:1"]),
  );
  t.deepEqual(sameName.env, { TOKEN: "plain" });
  t.deepEqual(sameName.sidecars![0].secretEnv, { TOKEN: { secret: "s", version: "1" } });
  t.is(
    thrownMessage(() => deployedTemplate([...pair, "--set-env-vars", "TOKEN=x", "--set-secrets", "TOKEN=s:1"])),
    "--container side: --set-secrets: TOKEN is a plain variable too; remove it with --remove-env-vars TOKEN",
  );
  t.is(
    thrownMessage(() => deployedTemplate(["--container", "side", "--update-env-vars", "TOKEN=x"], sameName)),
    "--container side: TOKEN is a plain variable and a secret of this container: a variable is one or the other; remove one with --remove-env-vars TOKEN or --remove-secrets TOKEN",
  );
  // The model says the same of a template sent whole (Knative YAML, the API, Pulumi).
  const whole = {
    image: "a",
    containerName: "app",
    sidecars: [{ name: "side", image: "b", env: { T: "x" }, secretEnv: { T: { secret: "s" } } }],
  };
  t.regex(
    thrownMessage(() => parseServiceTemplate(whole)),
    /template\.sidecars\[0\]\.secretEnv\.T: T is set in env too/,
  );
});

test("bad secret flags in a group are exit-1 errors naming the container and the flag; nothing else is checked against them", (t) => {
  const existing = deployedTemplate(pair);
  const cases: [string[], string][] = [
    [["--container", "side", "--set-secrets", "X=a/b:1"], '--container side: --set-secrets: X: secret "a/b" must be a secret name'],
    [["--container", "side", "--update-secrets", "X=a:newest"], '--container side: --update-secrets: X: version "newest"'],
    [["--container", "side", "--set-secrets", "/proc/x=a:1"], '--container side: --set-secrets: "/proc/x": its folder /proc'],
    [
      ["--container", "side", "--set-secrets", "A=a:latest", "--update-secrets", "B=b:latest"],
      "--container side: --set-secrets: cannot be combined with",
    ],
    [
      ["--container", "side", "--set-secrets", "nope"],
      '--container side: --set-secrets: expected ENV=SECRET:VERSION or /path/file=SECRET:VERSION, got "nope"',
    ],
  ];
  for (const [argv, expected] of cases)
    t.true(
      thrownMessage(() => deployedTemplate(argv, existing)).startsWith(expected),
      `${argv.join(" ")}: ${thrownMessage(() => deployedTemplate(argv, existing))}`,
    );
  // --set-secrets in one group and --update-secrets in another is fine: each is its container's.
  const fine = deployedTemplate(
    ["--container", "app", "--set-secrets", "A=a:latest", "--container", "side", "--update-secrets", "B=b:latest"],
    existing,
  );
  t.deepEqual([Object.keys(fine.secretEnv!), Object.keys(fine.sidecars![0].secretEnv!)], [["A"], ["B"]]);
});

test("jobs take the secret flags per container group too: the main container's and a sidecar's", (t) => {
  const jobOf = (argv: string[], existing?: JobTemplateInput) => {
    const { flags, groups } = parsedDeployFlags(argv);
    const job = existing ? ({ template: parseJobSpec({ template: existing }).template } as Job) : undefined;
    return jobTemplateFromFlags(job, flags, groups);
  };
  const created = jobOf([
    "--container",
    "main",
    "--image",
    "a",
    "--set-secrets",
    "A=a:1",
    "--container",
    "side",
    "--image",
    "b",
    "--set-secrets",
    "TOKEN=s:1",
  ]);
  const template = parseJobSpec({ template: created }).template;
  t.deepEqual(template.secretEnv, { A: { secret: "a", version: "1" } });
  t.deepEqual(template.sidecars![0].secretEnv, { TOKEN: { secret: "s", version: "1" } });
  const updated = parseJobSpec({ template: jobOf(["--container", "side", "--clear-secrets"], created) }).template;
  t.deepEqual(updated.secretEnv, template.secretEnv);
  t.false("secretEnv" in updated.sidecars![0]);
  t.is(
    thrownMessage(() => jobOf(["--container", "side", "--set-env-vars", "TOKEN=1"], created)),
    "--container side: TOKEN is a plain variable and a secret of this container: a variable is one or the other; remove one with --remove-env-vars TOKEN or --remove-secrets TOKEN",
  );
});

test("an engine error about a sidecar's field names the container and the flag of that field", (t) => {
  useSidecarNames(["side"]);
  t.teardown(() => useSidecarNames([]));
  t.is(describeField("template.sidecars[0].secretEnv.PORT"), "--container side: --set-secrets (template.sidecars[0].secretEnv.PORT)");
  t.is(describeField("template.sidecars[0].resources.cpu"), "--container side: --cpu (template.sidecars[0].resources.cpu)");
  t.is(describeField("template.sidecars[0].name"), "--container side: template.sidecars[0].name");
  t.is(describeField("template.secretEnv.PORT"), "--set-secrets (template.secretEnv.PORT)", "the ingress container's as before");
  t.is(describeField("template.sidecars[1].image"), "template.sidecars[1].image", "an index the template sent did not have");
});

test("an engine error about env or secrets names the flag each container's values came in", (t) => {
  const { groups } = parsedDeployFlags([
    "--env-vars-file",
    "env.yaml",
    "--container",
    "app",
    "--update-secrets",
    "A=s:1",
    "--container",
    "side",
    "--set-env-vars",
    "PORT=1",
    "--update-env-vars",
    "B=2",
  ]);
  const given = givenFlagsByContainer(groups, "app");
  t.deepEqual(
    [...given],
    [
      [undefined, { "template.env": "--env-vars-file", "template.secretEnv": "--update-secrets" }],
      ["side", { "template.env": "--set-env-vars" }],
    ],
  );
  useSidecarNames(["side"]);
  useGivenFlags(given);
  t.teardown(() => {
    useSidecarNames([]);
    useGivenFlags(new Map());
  });
  t.is(describeField("template.env.PORT"), "--env-vars-file (template.env.PORT)");
  t.is(describeField("template.secretEnv.A"), "--update-secrets (template.secretEnv.A)");
  t.is(describeField("template.sidecars[0].env.PORT"), "--container side: --set-env-vars (template.sidecars[0].env.PORT)");
  t.is(
    describeField("template.sidecars[0].secretEnv.X"),
    "--container side: --set-secrets (template.sidecars[0].secretEnv.X)",
    "none given there: the usual flag",
  );
});
