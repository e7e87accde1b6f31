import test from "ava";
import { v2 } from "@google-cloud/run";
import { TestEngine, startEngine } from "../helpers/engine";
import { googleRunClientOptions } from "../helpers/google-run-client";
import { fixtureImage } from "../helpers/fixture-image";
import { hostOf } from "../helpers/cli";

// Google's Node client for Cloud Run (REST mode) at the edges a team reaches after the first
// deploy: an operation whose work failed, the "-" wildcard of list parents, a create aimed at
// "locations/-". Each case here once answered something the client could not use.

let engine: TestEngine;
let image: string;
const parent = "projects/default/locations/us-central1";

test.before(async () => {
  [image, engine] = await Promise.all([fixtureImage(), startEngine()]);
});

test.after.always(async () => {
  await engine?.dispose();
});

/** A task or a container that runs `script` with the fixture image's node. */
const node = (script: string) => ({ image, command: ["/node"], args: ["-e", script] });

interface ClientError {
  code?: number;
  message?: string;
  statusDetails?: { fieldViolations?: { field: string; description: string }[] }[];
}

const fieldsOf = (error: ClientError) => (error.statusDetails ?? []).flatMap((d) => d.fieldViolations ?? []).map((v) => v.field);

test("an operation whose work failed rejects with its own error (FAILED_PRECONDITION and the reason), and getOperation and listOperations still read it", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const jobs = new v2.JobsClient(googleRunClientOptions(engine));
  try {
    const [creatingJob] = await jobs.createJob({
      parent,
      jobId: "node-fails",
      job: { template: { template: { containers: [node("process.exit(3)")], maxRetries: 0 } } },
    });
    await creatingJob.promise();
    const [running] = await jobs.runJob({ name: `${parent}/jobs/node-fails` });
    const runError = (await t.throwsAsync(running.promise())) as ClientError;
    t.is(runError.code, 9, `FAILED_PRECONDITION, not the client failing to read the operation: ${runError.message}`);
    t.regex(runError.message ?? "", /execution node-fails-[a-z]{5} failed: task 0 failed after 1 attempt: exited with code 3/);

    const [creatingService] = await services.createService({
      parent,
      serviceId: "node-crashes",
      service: { template: { containers: [node("process.exit(1)")] } },
    });
    const deployError = (await t.throwsAsync(creatingService.promise())) as ClientError;
    t.is(deployError.code, 9, deployError.message);
    t.regex(deployError.message ?? "", /node-crashes-00001-[a-z]{3}/, "the error names the revision that failed");

    const [read] = await services.getOperation({ name: running.name } as Parameters<typeof services.getOperation>[0]);
    t.true(read.done);
    t.is(read.error?.code, 9);
    const listed: { name?: string | null; error?: { code?: number | null } | null }[] = [];
    const request = { name: parent } as Parameters<typeof services.listOperationsAsync>[0]; // the type asks for every field
    for await (const op of services.listOperationsAsync(request)) listed.push(op);
    t.true(
      [running.name, creatingService.name].every((name) => listed.some((op) => op.name === name && op.error?.code === 9)),
      "both failed operations are in the list, with their errors",
    );
  } finally {
    await services.close();
    await jobs.close();
  }
});

test('"-" in place of the service, job or execution lists across all of them: listRevisions, listExecutions, listTasks, a page at a time', async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const revisions = new v2.RevisionsClient(googleRunClientOptions(engine));
  const jobs = new v2.JobsClient(googleRunClientOptions(engine));
  const executions = new v2.ExecutionsClient(googleRunClientOptions(engine));
  const tasks = new v2.TasksClient(googleRunClientOptions(engine));
  try {
    for (const serviceId of ["node-any-a", "node-any-b"]) {
      const [creating] = await services.createService({ parent, serviceId, service: { template: { containers: [{ image }] } } });
      await creating.promise();
    }
    const [all] = await revisions.listRevisions({ parent: `${parent}/services/-`, pageSize: 1 }, { autoPaginate: true });
    const ofOurs = all.map((r) => r.name ?? "").filter((name) => /\/services\/node-any-[ab]\//.test(name));
    t.is(ofOurs.length, 2, all.map((r) => r.name).join("\n"));
    for (const name of ofOurs)
      t.regex(name, /^projects\/default\/locations\/us-central1\/services\/(node-any-[ab])\/revisions\/\1-00001-[a-z]{3}$/);

    const ran: string[] = [];
    for (const [jobId, taskCount] of [
      ["node-any-x", 2],
      ["node-any-y", 1],
    ] as const) {
      const [creating] = await jobs.createJob({ parent, jobId, job: { template: { taskCount, template: { containers: [node("")] } } } });
      await creating.promise();
      const [running] = await jobs.runJob({ name: `${parent}/jobs/${jobId}` });
      const [execution] = await running.promise();
      ran.push(execution.name ?? "");
    }
    const [listed] = await executions.listExecutions({ parent: `${parent}/jobs/-`, pageSize: 1 });
    t.deepEqual(
      listed.map((e) => e.name).filter((name) => ran.includes(name ?? "")),
      [ran[1], ran[0]],
      "newest first, each under its own job",
    );

    const [ofJob] = await tasks.listTasks({ parent: `${parent}/jobs/node-any-x/executions/-` });
    t.deepEqual(
      ofJob.map((task) => task.name),
      [`${ran[0]}/tasks/${ran[0].split("/").pop()}-task0`, `${ran[0]}/tasks/${ran[0].split("/").pop()}-task1`],
    );
    const [everywhere] = await tasks.listTasks({ parent: `${parent}/jobs/-/executions/-`, pageSize: 2 });
    t.deepEqual(
      everywhere.map((task) => task.name?.split("/").pop()).filter((name) => ran.some((e) => name?.startsWith(`${e.split("/").pop()}-`))),
      [0, 1].map((i) => `${ran[0].split("/").pop()}-task${i}`).concat(`${ran[1].split("/").pop()}-task0`),
      "every task of every job's executions, oldest execution first, across pages of 2",
    );
  } finally {
    await Promise.all([services.close(), revisions.close(), jobs.close(), executions.close(), tasks.close()]);
  }
});

test('creating in "locations/-" is INVALID_ARGUMENT naming the parent (or the name, for an update that would create), and creates nothing', async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const jobs = new v2.JobsClient(googleRunClientOptions(engine));
  const anywhere = "projects/default/locations/-";
  try {
    const service = (await t.throwsAsync(
      services.createService({ parent: anywhere, serviceId: "node-nowhere", service: { template: { containers: [{ image }] } } }),
    )) as ClientError;
    t.is(service.code, 3, service.message);
    t.deepEqual(fieldsOf(service), ["parent"]);
    t.regex(service.message ?? "", /parent: names location "-", which lists every location/);

    const upsert = (await t.throwsAsync(
      services.updateService({
        service: { name: `${anywhere}/services/node-nowhere`, template: { containers: [{ image }] } },
        allowMissing: true,
      }),
    )) as ClientError;
    t.is(upsert.code, 3, upsert.message);
    t.deepEqual(fieldsOf(upsert), ["service.name"]);

    const job = (await t.throwsAsync(
      jobs.createJob({ parent: anywhere, jobId: "node-nowhere", job: { template: { template: { containers: [{ image }] } } } }),
    )) as ClientError;
    t.is(job.code, 3, job.message);
    t.deepEqual(fieldsOf(job), ["parent"]);

    const [left] = await services.listServices({ parent: anywhere });
    t.false(
      left.some((s) => s.name?.endsWith("/node-nowhere")),
      "nothing was created",
    );
    const [leftJobs] = await jobs.listJobs({ parent: anywhere });
    t.false(leftJobs.some((j) => j.name?.endsWith("/node-nowhere")));
  } finally {
    await services.close();
    await jobs.close();
  }
});

test("listLocations and getLocation (the Locations mixin every Cloud Run client has) answer the engine's region instead of an unknown path", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  try {
    const locations = [];
    for await (const location of services.listLocationsAsync({ name: "projects/default" })) locations.push(location);
    t.deepEqual(
      locations.map((l) => [l.name, l.locationId]),
      [["projects/default/locations/us-central1", "us-central1"]],
    );
    // The library's type says one Location; like every call of the client it resolves with [response, ...].
    const [got] = (await services.getLocation({ name: "projects/default/locations/europe-west1" })) as unknown as [
      { name?: string; locationId?: string },
    ];
    t.like(got, { name: "projects/default/locations/europe-west1", locationId: "europe-west1" }, "every location holds the same resources");
    const wildcard = (await t.throwsAsync(services.getLocation({ name: "projects/default/locations/-" }))) as ClientError;
    t.is(wildcard.code, 5, wildcard.message);
  } finally {
    await services.close();
  }
});

test("setIamPolicy with a conditional binding is INVALID_ARGUMENT naming the condition, and the policy stays as it was", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const resource = `${parent}/services/node-guarded`;
  try {
    const [creating] = await services.createService({
      parent,
      serviceId: "node-guarded",
      service: { template: { containers: [{ image }] } },
    });
    await creating.promise();
    const [before] = await services.getIamPolicy({ resource });
    const refused = (await t.throwsAsync(
      services.setIamPolicy({
        resource,
        policy: {
          version: 3,
          bindings: [
            { role: "roles/run.invoker", members: ["user:ann@example.com"] },
            {
              role: "roles/run.invoker",
              members: ["allUsers"],
              condition: { title: "expired", expression: "request.time < timestamp('2020-01-01T00:00:00Z')" },
            },
          ],
        },
      }),
    )) as ClientError;
    t.is(refused.code, 3, refused.message);
    t.deepEqual(fieldsOf(refused), ["policy.bindings[1].condition"]);
    const [after] = await services.getIamPolicy({ resource });
    t.deepEqual(after.bindings, before.bindings, "nothing was granted");
    t.is((await engine.request(hostOf(engine, "node-guarded"), "/")).status, 401, "still private: allUsers was not let in");
  } finally {
    await services.close();
  }
});

test("an update naming a revision that exists with another template fails as the call itself (ALREADY_EXISTS naming the revision), not as its operation", async (t) => {
  const services = new v2.ServicesClient(googleRunClientOptions(engine));
  const name = `${parent}/services/node-named`;
  try {
    const [creating] = await services.createService({
      parent,
      serviceId: "node-named",
      service: { template: { revision: "node-named-blue", containers: [{ image }] } },
    });
    await creating.promise();
    const taken = (await t.throwsAsync(
      services.updateService({
        service: { name, template: { revision: "node-named-blue", containers: [{ image, env: [{ name: "COLOR", value: "green" }] }] } },
      }),
    )) as ClientError;
    t.is(taken.code, 6, taken.message);
    t.regex(taken.message ?? "", /revision "node-named-blue" already exists in project "default" with another template/);
    const [same] = await services.updateService({ service: { name, template: { revision: "node-named-blue", containers: [{ image }] } } });
    const [kept] = await same.promise();
    t.is(kept.latestReadyRevision, `${name}/revisions/node-named-blue`, "the same template under its own name is no change");
  } finally {
    await services.close();
  }
});
