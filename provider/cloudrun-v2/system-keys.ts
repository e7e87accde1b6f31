import type { FieldViolation } from "../model/errors";

/**
 * Labels and annotations the Admin API v2 does not take. Cloud Run's v2 Service says of both
 * (and of its RevisionTemplate's): "Cloud Run API v2 does not support labels with
 * run.googleapis.com, cloud.googleapis.com, serving.knative.dev, or autoscaling.knative.dev
 * namespaces, and they will be rejected. All system labels in v1 now have a corresponding field
 * in v2" (and so for annotations). A v1 annotation such as `run.googleapis.com/ingress` copied into
 * a v2 request is an error there, so it is one here too, naming the v2 field that replaces it.
 *
 * A label key with a "/" is no Google Cloud label at all (the v2 API takes only those); skiff
 * keeps such labels from Knative YAML (`cloud.googleapis.com/location`, as gcloud exports it).
 * They are v1 metadata: v2 reads leave them out and v2 updates keep them as they are.
 */

export const SYSTEM_NAMESPACES: readonly string[] = [
  "run.googleapis.com",
  "cloud.googleapis.com",
  "serving.knative.dev",
  "autoscaling.knative.dev",
];

/** The v2 field that replaces a v1 annotation, where there is one, by the annotation's key. */
const V2_FIELD_OF_ANNOTATION: Readonly<Record<string, string>> = {
  "run.googleapis.com/ingress": "ingress",
  "run.googleapis.com/description": "description",
  "run.googleapis.com/custom-audiences": "customAudiences",
  "run.googleapis.com/invoker-iam-disabled": "invokerIamDisabled",
  "run.googleapis.com/default-url-disabled": "defaultUriDisabled",
  "run.googleapis.com/launch-stage": "launchStage",
  "run.googleapis.com/minScale": "scaling.minInstanceCount",
  "run.googleapis.com/maxScale": "scaling.maxInstanceCount",
  "autoscaling.knative.dev/minScale": "template.scaling.minInstanceCount",
  "autoscaling.knative.dev/maxScale": "template.scaling.maxInstanceCount",
  "run.googleapis.com/execution-environment": "template.executionEnvironment",
  "run.googleapis.com/sessionAffinity": "template.sessionAffinity",
  "run.googleapis.com/vpc-access-connector": "template.vpcAccess.connector",
  "run.googleapis.com/vpc-access-egress": "template.vpcAccess.egress",
  "run.googleapis.com/cloudsql-instances": "template.volumes[].cloudSqlInstance",
  "run.googleapis.com/cpu-throttling": "template.containers[].resources.cpuIdle",
  "run.googleapis.com/startup-cpu-boost": "template.containers[].resources.startupCpuBoost",
  "run.googleapis.com/container-dependencies": "template.containers[].dependsOn",
};

/** The system namespace a key is in (`run.googleapis.com` of `run.googleapis.com/ingress`), or undefined. */
export function systemNamespaceOf(key: string): string | undefined {
  const slash = key.indexOf("/");
  if (slash < 0) return undefined;
  const prefix = key.slice(0, slash);
  return SYSTEM_NAMESPACES.find((ns) => prefix === ns || prefix.endsWith(`.${ns}`));
}

/**
 * One violation per key of `map` (labels or annotations at `at`) the v2 API refuses: a key in a
 * system namespace, and a label key with a "/" (annotations may have a prefix of their own).
 */
export function v2KeyViolations(map: unknown, at: string, kind: "labels" | "annotations"): FieldViolation[] {
  if (map === null || typeof map !== "object") return [];
  return Object.keys(map).flatMap((key) => {
    const namespace = systemNamespaceOf(key);
    if (namespace !== undefined) {
      const field = V2_FIELD_OF_ANNOTATION[key];
      const instead = field ? `; set the v2 field ${field} instead` : "; the v2 API has a field for each system setting";
      return [{ field: `${at}.${key}`, reason: `${kind} in the ${namespace} namespace are not taken by the Admin API v2${instead}` }];
    }
    if (kind === "labels" && key.includes("/"))
      return [{ field: `${at}.${key}`, reason: 'is not a Google Cloud label key: no "/" (lowercase letters, digits, "_" and "-")' }];
    return [];
  });
}

/** Labels only v1 and Knative YAML carry (keys with a "/"): what v2 reads leave out and v2 updates keep. */
export function v1OnlyLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([key]) => key.includes("/")));
}

/** The labels a v2 read shows: the Google Cloud labels, without the v1-only ones. */
export function v2Labels(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([key]) => !key.includes("/")));
}
