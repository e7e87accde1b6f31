import test from "ava";
import { deployCommand } from "../../provider/cli/deploy";
import { jobCommands } from "../../provider/cli/job-commands";
import { jobSpecFromCloudRun } from "../../provider/knative/job-from-cloud-run";
import { SkiffError } from "../../provider/model/errors";

// Cloud Run jobs have no liveness probes: gcloud's jobs create|update|deploy have no
// --liveness-probe ("unrecognized arguments"), and the Admin API refuses a job container's
// livenessProbe. skiff's jobs commands do not take the flag, and a job file with one is refused.

test("jobs create|update|deploy do not list --liveness-probe and take it as an unknown option, as gcloud does; deploy keeps it", (t) => {
  for (const name of ["create", "update", "deploy"]) {
    const command = jobCommands().commands.find((c) => c.name() === name)!;
    t.notRegex(command.helpInformation(), /--liveness-probe/, `jobs ${name} --help`);
    t.deepEqual(
      command.parseOptions(["--liveness-probe", "httpGet.path=/"]).unknown,
      ["--liveness-probe", "httpGet.path=/"],
      `jobs ${name}`,
    );
  }
  t.regex(deployCommand().helpInformation(), /--liveness-probe/);
});

const job = (containers: unknown[]) => ({
  apiVersion: "run.googleapis.com/v1",
  kind: "Job",
  metadata: { name: "j" },
  spec: { template: { spec: { template: { spec: { containers } } } } },
});

test("a job file's container with a livenessProbe is refused naming the field, not listed as ignored", (t) => {
  const main = t.throws(() => jobSpecFromCloudRun(job([{ image: "i", livenessProbe: { httpGet: { path: "/" } } }])), {
    instanceOf: SkiffError,
  });
  t.deepEqual(main?.violations, [
    {
      field: "spec.template.spec.template.spec.containers[0].livenessProbe",
      reason: "Cloud Run jobs run no liveness probes (a task runs until its main container exits); remove it",
    },
  ]);
  const sidecar = t.throws(
    () =>
      jobSpecFromCloudRun(
        job([
          { image: "i", name: "main" },
          { image: "s", name: "db", livenessProbe: { tcpSocket: { port: 1 } } },
        ]),
      ),
    { instanceOf: SkiffError },
  );
  t.is(sidecar?.violations[0]?.field, "spec.template.spec.template.spec.containers[1].livenessProbe");
  t.deepEqual(jobSpecFromCloudRun(job([{ image: "i" }])).ignored, [], "without one: read as before");
});
