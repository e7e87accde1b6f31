import type * as pulumi from "@pulumi/pulumi";

/** A revision template (Cloud Run v2 names); defaults are the engine's, applied by `check`. */
export interface ServiceTemplateArgs {
  image: pulumi.Input<string>;
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
  startupProbe?: pulumi.Input<{
    tcpSocket?: pulumi.Input<{ port?: pulumi.Input<number> }>;
    initialDelaySeconds?: pulumi.Input<number>;
    timeoutSeconds?: pulumi.Input<number>;
    periodSeconds?: pulumi.Input<number>;
    failureThreshold?: pulumi.Input<number>;
  }>;
  /**
   * The service account the instances run as (an email): the metadata server gives them its
   * identity tokens. Default: the project's compute account, `<number>-compute@developer.gserviceaccount.com`.
   */
  serviceAccount?: pulumi.Input<string>;
  /** HTTP/2 end to end (h2c to the instances, as gRPC needs; `gcloud run deploy --use-http2`); default HTTP/1.1. */
  http2?: pulumi.Input<boolean>;
}

/** A template as the engine stores it: every default filled in. */
export interface ServiceTemplateOutput {
  image: string;
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
    initialDelaySeconds: number;
    timeoutSeconds: number;
    periodSeconds: number;
    failureThreshold: number;
  };
  serviceAccount?: string;
  http2?: boolean;
}
