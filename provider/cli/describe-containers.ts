import type { LivenessFields } from "../model/containers";
import type { Sidecar } from "../model/template";
import type { Volume } from "../model/volume";
import { mountsText } from "./mount-flags";

/** What `describe` needs of a service's or a job's template to write its containers. */
interface ContainersOf {
  containerName?: string;
  dependsOn?: string[];
  sidecars?: Sidecar[];
  volumes?: Volume[];
}

/** A liveness probe on one line: `GET /healthz on port 8080 every 10s (timeout 1s, dead after 3 failures in a row)`. */
export function livenessText(p: LivenessFields, containerPort: number | undefined): string {
  const delay = p.initialDelaySeconds > 0 ? `, first after ${p.initialDelaySeconds}s` : "";
  const failures = `dead after ${p.failureThreshold} failure${p.failureThreshold === 1 ? "" : "s"} in a row`;
  const check = p.grpc
    ? `gRPC health check${p.grpc.service ? ` of "${p.grpc.service}"` : ""} on port ${p.grpc.port ?? containerPort}`
    : `GET ${p.httpGet?.path ?? "/"} on port ${p.httpGet?.port ?? containerPort}`;
  return `${check} every ${p.periodSeconds}s (timeout ${p.timeoutSeconds}s${delay}, ${failures})`;
}

/**
 * An instance of several containers, for `services describe` and `jobs describe`: the ingress (a
 * job's main) container's name and what it waits for, then each sidecar on a line with its own
 * env, secrets (by name and version, never a value) and mounts. Nothing for a single container.
 */
export function describeSidecars(t: ContainersOf, width: number, role: string): string[] {
  if (!t.sidecars?.length) return [];
  const waits = (deps: string[] | undefined) => (deps?.length ? `, after ${deps.join(", ")}` : "");
  const label = (text: string) => `  ${text.padEnd(width)}`;
  return [
    `${label("Container:")}${t.containerName} (${role})${waits(t.dependsOn)}`,
    ...t.sidecars.map((c) => {
      const { secrets, volumes } = mountsText({ secretEnv: c.secretEnv, volumes: t.volumes, volumeMounts: c.volumeMounts });
      const env = Object.entries(c.env).map(([k, v]) => `${k}=${v}`);
      return [
        `${label("Sidecar:")}${c.name}: ${c.image}, cpu ${c.resources.cpu}, memory ${c.resources.memory}${waits(c.dependsOn)}`,
        ...(env.length ? [`${label("")}  env ${env.join(" ")}`] : []),
        ...(secrets.length ? [`${label("")}  secrets ${secrets.join(" ")}`] : []),
        ...(volumes.length ? [`${label("")}  volumes ${volumes.join(", ")}`] : []),
        ...(c.livenessProbe ? [`${label("")}  liveness ${livenessText(c.livenessProbe, undefined)}`] : []),
      ].join("\n");
    }),
  ];
}
