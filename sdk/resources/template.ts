import type * as pulumi from "@pulumi/pulumi";

/**
 * A revision template (Cloud Run v2 names); defaults are the engine's, applied by `check`. Either
 * one container's fields at the top (with sidecars in the engine's shape, if any), or `containers`:
 * a list where the container with a `port` is the ingress container and the others are sidecars.
 */
export type ServiceTemplateArgs = OneContainerTemplateArgs | ContainerListTemplateArgs;

/** What a startup and a liveness probe share: a gRPC health check or an HTTP GET, and their timing. */
export interface ProbeArgs {
  /** grpc.health.v1.Health/Check of `service` (default "", the whole server) on `port` (default: the container's). */
  grpc?: pulumi.Input<{ port?: pulumi.Input<number>; service?: pulumi.Input<string> }>;
  httpGet?: pulumi.Input<{
    /** Default "/". */
    path?: pulumi.Input<string>;
    /** Default: the container's port (a sidecar names its own). */
    port?: pulumi.Input<number>;
    httpHeaders?: pulumi.Input<pulumi.Input<{ name: pulumi.Input<string>; value?: pulumi.Input<string> }>[]>;
  }>;
  initialDelaySeconds?: pulumi.Input<number>;
  timeoutSeconds?: pulumi.Input<number>;
  periodSeconds?: pulumi.Input<number>;
  failureThreshold?: pulumi.Input<number>;
}

/** The template with its ingress container's fields at the top. */
export interface OneContainerTemplateArgs {
  image: pulumi.Input<string>;
  /** The ingress container's name: required once there are sidecars. */
  containerName?: pulumi.Input<string>;
  /** The containers the ingress container waits for (their startup probes passed) before it starts. */
  dependsOn?: pulumi.Input<pulumi.Input<string>[]>;
  /** Up to 9 containers beside it, without a port, sharing its network (localhost) and in-memory volumes. */
  sidecars?: pulumi.Input<pulumi.Input<ContainerArgs & { name: pulumi.Input<string> }>[]>;
  containers?: undefined;
  command?: pulumi.Input<pulumi.Input<string>[]>;
  args?: pulumi.Input<pulumi.Input<string>[]>;
  env?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** The port the container listens on (PORT); default 8080. */
  port?: pulumi.Input<number>;
  /** Requests one instance serves at once, 1..1000; default 80. */
  maxInstanceRequestConcurrency?: pulumi.Input<number>;
  scaling?: pulumi.Input<{ minInstanceCount?: pulumi.Input<number>; maxInstanceCount?: pulumi.Input<number> }>;
  /** Request timeout in seconds, up to 3600; default 300. */
  timeout?: pulumi.Input<number>;
  resources?: pulumi.Input<{ cpu?: pulumi.Input<string>; memory?: pulumi.Input<string> }>;
  /** A TCP connect (tcpSocket, the default), an HTTP GET (httpGet: a status 200-399 passes) or a gRPC health check (SERVING passes); one of them. */
  startupProbe?: pulumi.Input<ProbeArgs & { tcpSocket?: pulumi.Input<{ port?: pulumi.Input<number> }> }>;
  /**
   * An HTTP GET (or a gRPC health check) every periodSeconds (default 10) once the startup probe
   * passed: failureThreshold (default 3) failed checks in a row and the container is dead, its
   * instance replaced. Cloud Run's limits: initialDelaySeconds 0-3600, periodSeconds 1-3600,
   * timeoutSeconds (default 1) at most periodSeconds; no tcpSocket. A change makes a new revision.
   */
  livenessProbe?: pulumi.Input<ProbeArgs>;
  /**
   * The service account the instances run as (an email): the metadata server gives them its
   * identity tokens. Default: the project's compute account, `<number>-compute@developer.gserviceaccount.com`.
   */
  serviceAccount?: pulumi.Input<string>;
  /** HTTP/2 end to end (h2c to the instances, as gRPC needs; `gcloud run deploy --use-http2`); default HTTP/1.1. */
  http2?: pulumi.Input<boolean>;
  /**
   * Session affinity (`gcloud run deploy --session-affinity`): a client's requests go to the
   * instance that answered its first one while it has room (a cookie says which); default off.
   */
  sessionAffinity?: pulumi.Input<boolean>;
  /** Env vars read from secrets when a container starts: `{ DB_PASSWORD: { secret: "db-pass", version: "1" } }` (version default "latest"). */
  secretEnv?: pulumi.Input<Record<string, pulumi.Input<SecretRefArgs>>>;
  /** Volumes in Cloud Run v2's shape: secret, emptyDir (in memory), gcs (a bucket), nfs, cloudSqlInstance. */
  volumes?: pulumi.Input<pulumi.Input<VolumeArgs>[]>;
  /** Where the container mounts them: `[{ name: "cloudsql", mountPath: "/cloudsql" }]`. */
  volumeMounts?: pulumi.Input<pulumi.Input<{ name: pulumi.Input<string>; mountPath: pulumi.Input<string> }>[]>;
}

/** The fields of one container. */
type ContainerFieldKeys =
  "image" | "command" | "args" | "env" | "port" | "resources" | "startupProbe" | "livenessProbe" | "secretEnv" | "volumeMounts";

/** One container of `containers` (or of `sidecars`, which have no port). */
export interface ContainerArgs extends Partial<Pick<OneContainerTemplateArgs, ContainerFieldKeys>> {
  name?: pulumi.Input<string>;
  image: pulumi.Input<string>;
  /** Containers that must pass their startup probes before this one starts. */
  dependsOn?: pulumi.Input<pulumi.Input<string>[]>;
}

/** The template with `containers` (Cloud Run's own shape): `[{ name: "app", image, port: 8080, dependsOn: ["proxy"] }, { name: "proxy", image }]`. */
export interface ContainerListTemplateArgs extends Omit<
  OneContainerTemplateArgs,
  ContainerFieldKeys | "containerName" | "dependsOn" | "sidecars" | "containers"
> {
  containers: pulumi.Input<pulumi.Input<ContainerArgs>[]>;
  image?: undefined;
}

export interface SecretRefArgs {
  secret: pulumi.Input<string>;
  version?: pulumi.Input<string>;
}

/** One volume: `name` and exactly one kind. */
export interface VolumeArgs {
  name: pulumi.Input<string>;
  /** Versions of a secret as files (none listed: its latest, named after it); a file that follows `latest` changes with it. */
  secret?: pulumi.Input<{
    secret: pulumi.Input<string>;
    items?: pulumi.Input<pulumi.Input<{ path: pulumi.Input<string>; version?: pulumi.Input<string>; mode?: pulumi.Input<number> }>[]>;
    defaultMode?: pulumi.Input<number>;
  }>;
  /** An in-memory folder (tmpfs), counted toward the instance's memory; sizeLimit such as "64Mi". */
  emptyDir?: pulumi.Input<{ medium?: pulumi.Input<"MEMORY">; sizeLimit?: pulumi.Input<string> }>;
  /** A Cloud Storage bucket: its local folder (`skiff buckets map`, else one under the engine home). */
  gcs?: pulumi.Input<{ bucket: pulumi.Input<string>; readOnly?: pulumi.Input<boolean> }>;
  /** An NFS export: its local folder (`skiff nfs map`, else one under the engine home). */
  nfs?: pulumi.Input<{ server: pulumi.Input<string>; path: pulumi.Input<string>; readOnly?: pulumi.Input<boolean> }>;
  /** Cloud SQL instances' sockets (`<mount>/<connection name>/.s.PGSQL.5432`), proxied to what `skiff cloudsql map` names. */
  cloudSqlInstance?: pulumi.Input<{ instances: pulumi.Input<pulumi.Input<string>[]> }>;
}

/** A template as the engine stores it: every default filled in. */
export interface ServiceTemplateOutput {
  image: string;
  containerName?: string;
  dependsOn?: string[];
  sidecars?: {
    name: string;
    image: string;
    command?: string[];
    args?: string[];
    env: Record<string, string>;
    resources: { cpu: string; memory: string };
    startupProbe?: ServiceTemplateOutput["startupProbe"];
    livenessProbe?: ServiceTemplateOutput["livenessProbe"];
    dependsOn?: string[];
    secretEnv?: Record<string, { secret: string; version: string }>;
    volumeMounts?: { name: string; mountPath: string }[];
  }[];
  command?: string[];
  args?: string[];
  env: Record<string, string>;
  port: number;
  maxInstanceRequestConcurrency: number;
  scaling: { minInstanceCount: number; maxInstanceCount: number };
  timeout: number;
  resources: { cpu: string; memory: string };
  startupProbe: {
    tcpSocket?: { port?: number };
    grpc?: { port?: number; service?: string };
    httpGet?: { path: string; port?: number; httpHeaders?: { name: string; value: string }[] };
    initialDelaySeconds: number;
    timeoutSeconds: number;
    periodSeconds: number;
    failureThreshold: number;
  };
  livenessProbe?: {
    httpGet?: { path: string; port?: number; httpHeaders?: { name: string; value: string }[] };
    grpc?: { port?: number; service?: string };
    initialDelaySeconds: number;
    timeoutSeconds: number;
    periodSeconds: number;
    failureThreshold: number;
  };
  serviceAccount?: string;
  http2?: boolean;
  sessionAffinity?: boolean;
  secretEnv?: Record<string, { secret: string; version: string }>;
  volumes?: pulumi.Unwrap<VolumeArgs>[];
  volumeMounts?: { name: string; mountPath: string }[];
}
