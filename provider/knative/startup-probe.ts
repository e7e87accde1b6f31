import type { ProbeFields } from "../model/containers";

/**
 * A container's startupProbe in Knative YAML, both ways: a TCP connect (`tcpSocket`), an HTTP GET
 * (`httpGet: {path, port, httpHeaders}`) or a gRPC health check. Export prints the port a probe checks, as gcloud's export
 * does; reading one back keeps a port only when it differs from `containerPort`, so a replaced
 * export gives back the template it came from and a later `deploy --port` does not leave the probe
 * behind. A gRPC health check (`grpc: {port, service}`) is read and printed the same way.
 */

type Obj = Record<string, unknown>;

/** The probe as Knative YAML prints it; `port` is the container's (undefined for a sidecar, whose probe names its own). */
export function startupProbeToKnative(p: ProbeFields, port: number | undefined): Obj {
  const timing = {
    ...(p.initialDelaySeconds > 0 ? { initialDelaySeconds: p.initialDelaySeconds } : {}),
    timeoutSeconds: p.timeoutSeconds,
    periodSeconds: p.periodSeconds,
    failureThreshold: p.failureThreshold,
  };
  if (p.grpc !== undefined)
    return { ...timing, grpc: { port: p.grpc.port ?? port, ...(p.grpc.service ? { service: p.grpc.service } : {}) } };
  if (p.httpGet === undefined) return { ...timing, tcpSocket: { port: p.tcpSocket?.port ?? port } };
  const { path, httpHeaders } = p.httpGet;
  return { ...timing, httpGet: { path, port: p.httpGet.port ?? port, ...(httpHeaders?.length ? { httpHeaders } : {}) } };
}

/** Reads a probe from YAML, marking each field it takes as used; `containerPort` undefined for a sidecar (its port is always kept). */
export function startupProbeFromKnative(p: Obj, at: string, used: (path: string) => void, containerPort: number | undefined): Obj {
  const probe: Obj = {};
  for (const key of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "failureThreshold"]) {
    if (p[key] === undefined) continue;
    used(`${at}.${key}`);
    probe[key] = p[key];
  }
  const tcp = p.tcpSocket as { port?: number } | undefined | null;
  if (tcp !== undefined && tcp !== null) {
    used(`${at}.tcpSocket`);
    if (tcp.port !== undefined) used(`${at}.tcpSocket.port`);
    if (tcp.port !== undefined && tcp.port !== containerPort) probe.tcpSocket = { port: tcp.port };
  }
  const http = p.httpGet as Obj | undefined | null;
  if (http !== undefined && http !== null) {
    used(`${at}.httpGet`);
    const httpGet: Obj = {};
    if (http.path !== undefined) httpGet.path = (used(`${at}.httpGet.path`), http.path);
    if (http.port !== undefined) used(`${at}.httpGet.port`);
    if (http.port !== undefined && http.port !== containerPort) httpGet.port = http.port;
    if (Array.isArray(http.httpHeaders)) {
      http.httpHeaders.forEach((h: unknown, i: number) => {
        for (const key of Object.keys((h ?? {}) as Obj)) used(`${at}.httpGet.httpHeaders[${i}].${key}`);
      });
      used(`${at}.httpGet.httpHeaders`);
      httpGet.httpHeaders = http.httpHeaders;
    }
    probe.httpGet = httpGet;
  }
  const grpc = p.grpc as Obj | undefined | null;
  if (grpc !== undefined && grpc !== null) {
    used(`${at}.grpc`);
    const read: Obj = {};
    if (grpc.port !== undefined) used(`${at}.grpc.port`);
    if (grpc.port !== undefined && grpc.port !== containerPort) read.port = grpc.port;
    if (grpc.service !== undefined) read.service = (used(`${at}.grpc.service`), grpc.service);
    probe.grpc = read;
  }
  return probe;
}

/** A liveness probe prints as a startup probe does (an httpGet or a grpc check: Cloud Run runs no TCP liveness check). */
export const livenessProbeToKnative = startupProbeToKnative;

/**
 * Reads a livenessProbe as a startup probe's fields; a tcpSocket check is passed on as written,
 * so the model refuses it by name rather than reading the probe as one without a check.
 */
export function livenessProbeFromKnative(p: Obj, at: string, used: (path: string) => void, containerPort: number | undefined): Obj {
  const probe = startupProbeFromKnative({ ...p, tcpSocket: undefined }, at, used, containerPort);
  if (p.tcpSocket !== undefined && p.tcpSocket !== null) {
    used(`${at}.tcpSocket`);
    probe.tcpSocket = p.tcpSocket;
  }
  return probe;
}
