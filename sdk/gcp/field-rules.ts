import type { CheckFailure } from "../preview-values/validate";
import { at } from "./paths";

/**
 * What skiff does with each field of pulumi-gcp's Cloud Run arguments, as data: honoured (it
 * changes what runs locally), ignored (accepted; it has no local meaning, e.g. a GCP project, a
 * VPC connector or an encryption key: named once in a warning), or refused (it has a meaning
 * skiff cannot give, so running without it would not be a rehearsal: a check failure).
 * sdk/README.md lists the same fields for people.
 */
export type FieldRule = "honoured" | "ignored" | "ignoredIfTrue" | { refused: string } | Fields;

export interface Fields {
  fields: Record<string, FieldRule>;
  /** The value is a list of such objects. */
  each?: boolean;
  /** The rule of keys not listed (a map such as resources.limits); unlisted keys are otherwise unknown to skiff. */
  otherKeys?: FieldRule;
}

const ignoredAll = (...names: string[]): Record<string, FieldRule> => Object.fromEntries(names.map((n) => [n, "ignored" as const]));
const honouredAll = (...names: string[]): Record<string, FieldRule> => Object.fromEntries(names.map((n) => [n, "honoured" as const]));

// Every kind of Cloud Run volume is mounted locally (model/volume.ts): a bucket or an NFS export as
// a local folder, Cloud SQL's sockets proxied to a mapped database. How Cloud Storage FUSE mounts a
// bucket has no local meaning.
const VOLUMES: Fields = {
  each: true,
  fields: {
    name: "honoured",
    secret: { fields: { ...honouredAll("secret", "defaultMode"), items: { each: true, fields: honouredAll("path", "version", "mode") } } },
    emptyDir: { fields: honouredAll("medium", "sizeLimit") },
    gcs: { fields: { ...honouredAll("bucket", "readOnly"), mountOptions: "ignored" } },
    nfs: { fields: honouredAll("server", "path", "readOnly") },
    cloudSqlInstance: { fields: honouredAll("instances") },
  },
};
const VOLUME_MOUNTS: Fields = {
  each: true,
  fields: {
    ...honouredAll("name", "mountPath"),
    subPath: { refused: "a subPath (one file of a volume) is not mounted locally: mount the whole volume" },
  },
};
const WORKING_DIR = { refused: "skiff's engine runs the image's own working directory; remove workingDir (or set it in the image)" };
const SOURCE = { refused: "builds from source are not run locally: give the container an image" };

const envs: Fields = {
  each: true,
  fields: { name: "honoured", value: "honoured", valueSource: { fields: { secretKeyRef: { fields: honouredAll("secret", "version") } } } },
};

const limits: Fields = { fields: honouredAll("cpu", "memory"), otherKeys: "ignored" };

const startupProbe: Fields = {
  fields: {
    ...honouredAll("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "failureThreshold"),
    tcpSocket: { fields: honouredAll("port") },
    // An HTTP probe GETs its path with its headers; a gRPC one calls the health service (grpc.health.v1) of its service.
    httpGet: { fields: { ...honouredAll("port", "path"), httpHeaders: { each: true, fields: honouredAll("name", "value") } } },
    grpc: { fields: honouredAll("port", "service") },
  },
};

/** A liveness probe: an HTTP GET or a gRPC health check (tcpSocket reaches the engine, which refuses it by name). */
const livenessProbe: Fields = {
  fields: {
    ...honouredAll("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "failureThreshold", "tcpSocket"),
    httpGet: startupProbe.fields!.httpGet,
    grpc: startupProbe.fields!.grpc,
  },
};

const serviceContainer: Fields = {
  each: true,
  fields: {
    // The container with ports is the ingress container; the others are sidecars (name and dependsOns order their start).
    ...honouredAll("image", "commands", "args", "name", "dependsOns"),
    envs,
    ports: { fields: honouredAll("containerPort", "name") },
    resources: { fields: { limits, ...ignoredAll("cpuIdle", "startupCpuBoost") } },
    startupProbe,
    livenessProbe,
    ...ignoredAll("readinessProbe", "baseImageUri", "buildInfos", "sandboxLauncher"),
    volumeMounts: VOLUME_MOUNTS,
    workingDir: WORKING_DIR,
    sourceCode: SOURCE,
  },
};

export const serviceRules: Fields = {
  fields: {
    ...honouredAll("name", "labels", "ingress", "customAudiences", "description", "defaultUriDisabled"),
    ...ignoredAll(
      "project",
      "location",
      "annotations",
      "client",
      "clientVersion",
      "launchStage",
      "binaryAuthorization",
      "deletionPolicy",
      "iapEnabled",
      "invokerIamDisabled",
      "multiRegionSettings",
      "tags",
    ),
    deletionProtection: "ignoredIfTrue",
    buildConfig: SOURCE,
    scaling: { fields: honouredAll("minInstanceCount", "maxInstanceCount", "manualInstanceCount", "scalingMode") },
    traffics: { each: true, fields: honouredAll("type", "revision", "percent", "tag") },
    template: {
      fields: {
        ...honouredAll("revision", "maxInstanceRequestConcurrency", "timeout", "serviceAccount", "sessionAffinity"),
        containers: serviceContainer,
        scaling: {
          fields: { ...honouredAll("minInstanceCount", "maxInstanceCount"), ...ignoredAll("concurrencyUtilization", "cpuUtilization") },
        },
        ...ignoredAll(
          "annotations",
          "labels",
          "encryptionKey",
          "executionEnvironment",
          "gpuZonalRedundancyDisabled",
          "healthCheckDisabled",
          "nodeSelector",
          "serviceMesh",
          "vpcAccess",
        ),
        volumes: VOLUMES,
        sandboxes: { refused: "sandboxes are not run locally" },
      },
    },
  },
};

const jobContainer: Fields = {
  each: true,
  fields: {
    // The first container is the task's main one, the others sidecars (their startup probes order the start).
    ...honouredAll("image", "commands", "args", "name", "dependsOns"),
    envs,
    resources: { fields: { limits } },
    startupProbe,
    // A task serves nothing: it runs until its main container exits.
    ...ignoredAll("ports"),
    volumeMounts: VOLUME_MOUNTS,
    workingDir: WORKING_DIR,
  },
};

export const jobRules: Fields = {
  fields: {
    ...honouredAll("name", "labels", "runExecutionToken", "startExecutionToken"),
    ...ignoredAll(
      "project",
      "location",
      "annotations",
      "client",
      "clientVersion",
      "launchStage",
      "binaryAuthorization",
      "deletionPolicy",
      "tags",
    ),
    deletionProtection: "ignoredIfTrue",
    template: {
      fields: {
        ...honouredAll("taskCount", "parallelism"),
        ...ignoredAll("annotations", "labels"),
        template: {
          fields: {
            containers: jobContainer,
            ...honouredAll("maxRetries", "timeout", "serviceAccount"),
            ...ignoredAll("encryptionKey", "executionEnvironment", "gpuZonalRedundancyDisabled", "nodeSelector", "vpcAccess"),
            volumes: VOLUMES,
          },
        },
      },
    },
  },
};

export const domainMappingRules: Fields = {
  fields: {
    name: "honoured",
    ...ignoredAll("project", "location", "deletionPolicy"),
    // metadata.namespace is the GCP project (required by pulumi-gcp); skiff's project comes from the stack.
    metadata: { fields: {}, otherKeys: "ignored" },
    spec: { fields: { routeName: "honoured", ...ignoredAll("certificateMode", "forceOverride") } },
  },
};

// Secret Manager. The secret is kept by the engine: where Google replicates it, who is told of
// rotations, when it expires or how long destroyed versions linger mean nothing locally.
export const secretRules: Fields = {
  fields: {
    ...honouredAll("secretId", "labels"),
    ...ignoredAll(
      "annotations",
      "expireTime",
      "project",
      "replication",
      "rotation",
      "tags",
      "topics",
      "ttl",
      "versionAliases",
      "versionDestroyTtl",
    ),
    deletionProtection: "ignoredIfTrue",
  },
};

export const secretVersionRules: Fields = {
  fields: {
    ...honouredAll("secret", "secretData", "enabled", "isSecretDataBase64", "deletionPolicy"),
    secretDataWo: { refused: "write-only values are not kept locally: give the value as secretData (it stays a Pulumi secret)" },
    secretDataWoVersion: { refused: "write-only values are not kept locally: give the value as secretData" },
  },
};

// The IAM resources. Only roles/run.invoker of a service acts locally (the ingress checks it);
// other roles and a job's policy are kept as set, for the program and `get-iam-policy` to read.
export const IAM_CONDITION = {
  refused: "IAM conditions are not evaluated locally: the grant would hold at all times; remove the condition for the local stack",
};
const iamScope = { ...honouredAll("name"), ...ignoredAll("location", "project") };

export const iamMemberRules: Fields = { fields: { ...iamScope, ...honouredAll("role", "member"), condition: IAM_CONDITION } };
export const iamBindingRules: Fields = { fields: { ...iamScope, ...honouredAll("role", "members"), condition: IAM_CONDITION } };
export const iamPolicyRules: Fields = { fields: { ...iamScope, policyData: "honoured" } };

export interface FieldReport {
  /** Present fields with no local meaning, as written (`template.vpcAccess`). */
  ignored: string[];
  /** Present fields skiff does not know (a newer pulumi-gcp, or a typo in plain JavaScript). */
  unknown: string[];
  refused: CheckFailure[];
}

/**
 * Walks the arguments along the rules. `opaque` says which values cannot be looked into (an
 * Output in the program, the unknown marker at preview): a field that holds one is present, but
 * its own fields are not visited.
 */
export function reportFields(value: unknown, rules: Fields, opaque: (v: unknown) => boolean, path = ""): FieldReport {
  const report: FieldReport = { ignored: [], unknown: [], refused: [] };
  walk(value, rules, path, opaque, report);
  return report;
}

function walk(value: unknown, rule: FieldRule, path: string, opaque: (v: unknown) => boolean, report: FieldReport): void {
  if (value === undefined || value === null) return;
  if (rule === "honoured") return;
  if (rule === "ignored") return void report.ignored.push(path);
  if (rule === "ignoredIfTrue") return void (value === true || opaque(value) ? report.ignored.push(path) : undefined);
  if ("refused" in rule) return void report.refused.push({ property: path, reason: rule.refused });
  if (opaque(value)) return;
  if (rule.each) {
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, { ...rule, each: false }, at(path, i), opaque, report));
    return;
  }
  if (typeof value !== "object" || Array.isArray(value)) return; // the translation names a wrong shape
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (field === undefined || field === null) continue;
    const child = rule.fields[key] ?? rule.otherKeys;
    if (child === undefined) report.unknown.push(at(path, key));
    else walk(field, child, at(path, key), opaque, report);
  }
}
