import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import test from "ava";
import type * as pulumi from "@pulumi/pulumi";
import * as ts from "typescript";
import type * as skiff from "../../sdk";
import type * as gcp from "./types/pulumi-gcp-cloudrun";

// A pulumi-gcp Cloud Run program compiles against skiff with its import switched, and back
// (examples/cloudrunv2-port and private-backend): the argument objects of cloudrunv2-port, typed
// as skiff's args, are pulumi-gcp's args too; any pulumi-gcp args are skiff's; and the outputs
// have pulumi-gcp's names and types.
// pulumi-gcp's shapes are copied from @pulumi/gcp 9.37.0 (types/pulumi-gcp-cloudrun.ts).

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const location = "us-central1";
const image = "skiff-demo/hello:latest";
const release: string = "v2";
const previousRelease: string | undefined = "v1";

// The example's argument objects, as written there.
const jobArgs: skiff.cloudrunv2.JobArgs = {
  name: "migrate",
  location,
  deletionProtection: false,
  runExecutionToken: release,
  template: {
    taskCount: 1,
    template: {
      containers: [{ image, envs: [{ name: "SCHEMA_VERSION", value: release }], resources: { limits: { cpu: "1", memory: "512Mi" } } }],
      maxRetries: 1,
      timeout: "120s",
    },
  },
};

const serviceArgs: skiff.cloudrunv2.ServiceArgs = {
  name: "hello",
  location,
  deletionProtection: false,
  ingress: "INGRESS_TRAFFIC_ALL",
  template: {
    revision: `hello-${release}`,
    containers: [
      {
        image,
        envs: [{ name: "GREETING", value: `Hello from release ${release}` }],
        ports: { containerPort: 8080 },
        resources: { limits: { cpu: "1", memory: "512Mi" } },
      },
    ],
    scaling: { minInstanceCount: 0, maxInstanceCount: 3 },
    maxInstanceRequestConcurrency: 80,
    timeout: "300s",
  },
  traffics:
    previousRelease === undefined
      ? [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }]
      : [
          { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: `hello-${previousRelease}`, percent: 90 },
          { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 10, tag: "canary" },
        ],
};

const mappingArgs: skiff.cloudrun.DomainMappingArgs = {
  location,
  name: "hello.example.test",
  metadata: { namespace: "my-project-name" },
  spec: { routeName: "hello" },
};

const publicArgs: skiff.cloudrunv2.ServiceIamMemberArgs = { name: "hello", location, role: "roles/run.invoker", member: "allUsers" };

// Typed as skiff's args, they type-check where pulumi-gcp's are expected (checked by `tsc`).
const asGcp: [gcp.ServiceArgs, gcp.JobArgs, gcp.DomainMappingArgs, gcp.ServiceIamMemberArgs] = [
  serviceArgs,
  jobArgs,
  mappingArgs,
  publicArgs,
];

// And skiff's types are not looser than pulumi-gcp's where the shape matters.
export const portsAreOneObject: skiff.cloudrunv2.ServiceTemplateContainer = {
  image,
  // @ts-expect-error a Service container's ports is one object {containerPort, name}, not a list
  ports: [{ containerPort: 8080 }],
};
export const timeoutIsAString: skiff.cloudrunv2.ServiceTemplate = {
  // @ts-expect-error a timeout is a duration string such as "300s"
  timeout: 300,
};

/** Any pulumi-gcp arguments are skiff's: a ported program compiles with its import switched. */
export function gcpArgsAreSkiffArgs(s: gcp.ServiceArgs, j: gcp.JobArgs, d: gcp.DomainMappingArgs): unknown[] {
  const service: skiff.cloudrunv2.ServiceArgs = s;
  const job: skiff.cloudrunv2.JobArgs = j;
  const mapping: skiff.cloudrun.DomainMappingArgs = d;
  return [service, job, mapping];
}

/** Secret Manager's arguments too, both ways. */
export function gcpSecretArgsAreSkiffArgs(s: gcp.SecretArgs, v: gcp.SecretVersionArgs): unknown[] {
  const secret: skiff.secretmanager.SecretArgs = s;
  const version: skiff.secretmanager.SecretVersionArgs = v;
  const back: [gcp.SecretArgs, gcp.SecretVersionArgs] = [secret, version];
  return back;
}

/** The IAM resources' arguments too, both ways. */
export function gcpIamArgsAreSkiffArgs(
  m: gcp.ServiceIamMemberArgs,
  b: gcp.ServiceIamBindingArgs,
  p: gcp.ServiceIamPolicyArgs,
  j: gcp.JobIamMemberArgs,
): unknown[] {
  const member: skiff.cloudrunv2.ServiceIamMemberArgs = m;
  const binding: skiff.cloudrunv2.ServiceIamBindingArgs = b;
  const policy: skiff.cloudrunv2.ServiceIamPolicyArgs = p;
  const jobMember: skiff.cloudrunv2.JobIamMemberArgs = j;
  const back: [gcp.ServiceIamMemberArgs, gcp.ServiceIamBindingArgs, gcp.ServiceIamPolicyArgs, gcp.JobIamMemberArgs] = [
    member,
    binding,
    policy,
    jobMember,
  ];
  return back;
}

/** What a program reads from them: the etag, and the inputs under their own names. */
export function iamOutputsHaveGcpNames(
  m: skiff.cloudrunv2.ServiceIamMember,
  b: skiff.cloudrunv2.ServiceIamBinding,
  p: skiff.cloudrunv2.ServiceIamPolicy,
): pulumi.Output<string>[] {
  return [m.etag, m.member, m.role, m.name, b.etag, b.members.apply((members) => members.join()), p.etag, p.policyData];
}

/** The outputs a program reads, under pulumi-gcp's names and types. */
export function outputsHaveGcpNames(s: skiff.cloudrunv2.Service, j: skiff.cloudrunv2.Job, d: skiff.cloudrun.DomainMapping): unknown[] {
  const service: [
    pulumi.Output<string>,
    pulumi.Output<string[]>,
    pulumi.Output<string>,
    pulumi.Output<string>,
    pulumi.Output<string>,
    pulumi.Output<string>,
  ] = [s.uri, s.urls, s.latestCreatedRevision, s.latestReadyRevision, s.createTime, s.updateTime];
  const traffic: pulumi.Output<{ type: string; revision: string; percent: number; tag?: string; uri?: string }[]> = s.trafficStatuses;
  const conditions: pulumi.Output<{ type: string; state: string }[]>[] = [s.terminalConditions, s.conditions, j.terminalConditions];
  const job: [pulumi.Output<{ name: string; createTime: string; completionTime?: string }[]>, pulumi.Output<number>] = [
    j.latestCreatedExecutions,
    j.executionCount,
  ];
  const mapping: pulumi.Output<{ mappedRouteName: string; conditions: { type: string; status: string }[] }[]> = d.statuses;
  return [service, traffic, conditions, job, mapping];
}

test("the example's argument objects, typed as skiff's args, are pulumi-gcp's args (compiled by tsc)", (t) => {
  t.is(asGcp.length, 4);
  t.is(asGcp[0].location, "us-central1");
});

const EXAMPLES = ["cloudrunv2-port", "private-backend"];

/** pulumi-gcp's module as far as the examples use it: its classes over the copied argument types. */
const GCP_MODULE = `
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceArgs, JobArgs, DomainMappingArgs, ServiceIamMemberArgs, SecretArgs, SecretVersionArgs } from ${JSON.stringify(path.join(REPO_ROOT, "test", "unit", "types", "pulumi-gcp-cloudrun"))};
export declare namespace cloudrunv2 {
  class Service extends pulumi.CustomResource {
    constructor(name: string, args: ServiceArgs, opts?: pulumi.CustomResourceOptions);
    readonly name: pulumi.Output<string>;
    readonly location: pulumi.Output<string>;
    readonly uri: pulumi.Output<string>;
    readonly latestReadyRevision: pulumi.Output<string>;
    readonly trafficStatuses: pulumi.Output<{ percent: number; revision: string; tag: string; type: string; uri: string }[]>;
  }
  class Job extends pulumi.CustomResource {
    constructor(name: string, args: JobArgs, opts?: pulumi.CustomResourceOptions);
    readonly latestCreatedExecutions: pulumi.Output<{ completionTime: string; createTime: string; name: string }[]>;
  }
  class ServiceIamMember extends pulumi.CustomResource {
    constructor(name: string, args: ServiceIamMemberArgs, opts?: pulumi.CustomResourceOptions);
    readonly etag: pulumi.Output<string>;
  }
}
export declare namespace secretmanager {
  class Secret extends pulumi.CustomResource {
    constructor(name: string, args: SecretArgs, opts?: pulumi.CustomResourceOptions);
    readonly name: pulumi.Output<string>;
    readonly secretId: pulumi.Output<string>;
  }
  class SecretVersion extends pulumi.CustomResource {
    constructor(name: string, args: SecretVersionArgs, opts?: pulumi.CustomResourceOptions);
    readonly name: pulumi.Output<string>;
    readonly version: pulumi.Output<string>;
  }
}
export declare namespace cloudrun {
  class DomainMapping extends pulumi.CustomResource {
    constructor(name: string, args: DomainMappingArgs, opts?: pulumi.CustomResourceOptions);
    readonly name: pulumi.Output<string>;
    readonly statuses: pulumi.Output<{ mappedRouteName: string; observedGeneration: number }[]>;
  }
}
`;

/** Type-checks an example with its import line pointing at `moduleName`; returns the diagnostics. */
async function typeCheckExample(dir: string, example: string, moduleName: string): Promise<string[]> {
  const source = await fs.readFile(path.join(REPO_ROOT, "examples", example, "index.ts"), "utf8");
  const switched = source.replace('import * as gcp from "skiff-run";', `import * as gcp from "${moduleName}";`);
  const file = path.join(dir, `${example}-${moduleName.replace(/\W/g, "_")}.ts`);
  await fs.writeFile(file, switched);
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    skipLibCheck: true,
    types: ["node"],
    typeRoots: [path.join(REPO_ROOT, "node_modules", "@types")],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

test("the pulumi-gcp examples type-check with their import on skiff-run and, switched, on pulumi-gcp's types", async (t) => {
  for (const example of EXAMPLES) {
    const source = await fs.readFile(path.join(REPO_ROOT, "examples", example, "index.ts"), "utf8");
    t.deepEqual(
      source.split("\n").filter((line) => line.includes("skiff-run")),
      ['import * as gcp from "skiff-run";'],
      `the import is the only line of ${example} that names skiff-run`,
    );
  }

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "skiff-gcp-types-"));
  try {
    await fs.mkdir(path.join(dir, "node_modules", "@pulumi", "gcp"), { recursive: true });
    await fs.symlink(path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi"), path.join(dir, "node_modules", "@pulumi", "pulumi"), "dir");
    await fs.symlink(REPO_ROOT, path.join(dir, "node_modules", "skiff-run"), "dir");
    await fs.writeFile(path.join(dir, "node_modules", "@pulumi", "gcp", "index.d.ts"), GCP_MODULE);
    for (const example of EXAMPLES) {
      t.deepEqual(await typeCheckExample(dir, example, "skiff-run"), [], example);
      t.deepEqual(await typeCheckExample(dir, example, "@pulumi/gcp"), [], example);
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
