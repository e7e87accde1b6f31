/** The engine's default ports on 127.0.0.1 (the ingress where Cloud Run users expect it). */
export const DEFAULT_INGRESS_PORT = 8080;
export const DEFAULT_API_PORT = 8799;

/** Each service's and job's kept log, current file and one rotated (engine setting --max-log-size). */
export const DEFAULT_LOG_CAP_BYTES = 64 * 1024 ** 2;

/** The region the engine is in (the metadata server's instance/region, the logs' resource.labels.location). */
export const DEFAULT_REGION = "us-central1";
