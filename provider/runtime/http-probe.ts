import { request } from "node:http";
import type { HttpProbe } from "../model/containers";
import { ReadinessError, type ContainerRuntime } from "./container-runtime";
import { grpcHealthOnce } from "./grpc-health";

/**
 * An HTTP startup probe, as Cloud Run and Kubernetes run it: a GET of the probe's path from the
 * engine to the instance, at the address the router uses for it (its bridge address, or its port
 * published on 127.0.0.1; never anything else). The first GET goes after initialDelaySeconds, the
 * next one periodSeconds later, and so on until one passes or the startup deadline
 * (initialDelaySeconds + periodSeconds × failureThreshold) has passed; each GET gets timeoutSeconds.
 */

/** Where the probe's GET goes. */
export interface ProbeTarget {
  host: string;
  port: number;
}

/** What one check got: an HTTP status, a gRPC health service's serving status, or why there was none. */
export type ProbeOutcome = { status: number } | { grpc: string } | { error: string };

/**
 * Cloud Run's rule (Kubernetes' too): a status from 200 to 399 passes, and a gRPC health answer of
 * SERVING; any other answer, or none in time, fails.
 */
export function probePassed(outcome: ProbeOutcome): boolean {
  if ("grpc" in outcome) return outcome.grpc === "SERVING";
  return "status" in outcome && outcome.status >= 200 && outcome.status < 400;
}

/** The outcome in words, for the revision's reason. */
export function describeOutcome(outcome: ProbeOutcome | undefined, what = "GET"): string {
  if (outcome === undefined) return `no ${what} was made`;
  if ("grpc" in outcome) return `the last answer was ${outcome.grpc}`;
  return "status" in outcome ? `the last answer was status ${outcome.status}` : `the last ${what} failed: ${outcome.error}`;
}

/** What the probe asks, in words: `GET /healthz`, or `gRPC health check` (of a named service). */
export function probeLabel(probe: Pick<HttpProbe, "path" | "grpc">): string {
  if (probe.grpc === undefined) return `GET ${probe.path}`;
  return probe.grpc.service ? `gRPC health check of "${probe.grpc.service}"` : "gRPC health check";
}

/** Why a revision's HTTP or gRPC probe failed: what it asks and on which port, the deadline, and the last answer or error. */
export function httpProbeFailure(probe: HttpProbe, port: number, deadlineMs: number, last: ProbeOutcome | undefined): string {
  const expected = probe.grpc ? "SERVING" : "200-399";
  return `the startup probe ${probeLabel(probe)} on port ${port} did not answer ${expected} within the startup deadline of ${deadlineMs / 1000} s (${describeOutcome(last, probe.grpc ? "call" : "GET")})`;
}

/** One check of the probe's kind: a GET, or a gRPC Health/Check call. Never rejects. */
export function checkOnce(target: ProbeTarget, probe: HttpProbe, timeoutMs: number, userAgent: string): Promise<ProbeOutcome> {
  return probe.grpc ? grpcHealthOnce(target, probe.grpc.service, timeoutMs, userAgent) : probeOnce(target, probe, timeoutMs, userAgent);
}

/** When the n-th GET (from 0) is due, counted from the container's start. */
export function attemptDueMs(probe: HttpProbe, n: number): number {
  return probe.initialDelayMs + n * probe.periodMs;
}

/** One GET; the body is read and dropped. Never rejects. */
export function probeOnce(
  target: ProbeTarget,
  probe: Pick<HttpProbe, "path" | "headers">,
  timeoutMs: number,
  userAgent = "skiff-startup-probe",
): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { "user-agent": userAgent, host: `${target.host}:${target.port}` };
    for (const h of probe.headers) headers[h.name.toLowerCase()] = h.value;
    let settled = false;
    const done = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    // A fresh connection each time (no agent): a kept-alive socket would say nothing about the app now.
    const req = request({ host: target.host, port: target.port, path: probe.path, method: "GET", headers, agent: false }, (res) => {
      res.resume();
      res.on("error", () => undefined);
      done({ status: res.statusCode ?? 0 });
    });
    req.on("error", (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message }));
    const timer = setTimeout(() => done({ error: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    req.end();
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, ms));
    signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/**
 * Resolves once a GET passes; rejects with a ReadinessError naming the path and the last status
 * or error when the deadline passes, the container exits, or `signal` aborts.
 */
export async function waitHttpProbe(
  runtime: Pick<ContainerRuntime, "inspect">,
  containerId: string,
  target: ProbeTarget,
  probe: HttpProbe,
  probePort: number,
  deadlineMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const startedAt = Date.now();
  const deadline = startedAt + deadlineMs;
  let last: ProbeOutcome | undefined;
  for (let n = 0; ; n++) {
    const due = startedAt + attemptDueMs(probe, n);
    if (n > 0 && due >= deadline) throw new ReadinessError(httpProbeFailure(probe, probePort, deadlineMs, last));
    // Between GETs (a period may be minutes), a container that exits fails the start at once.
    do {
      await sleep(Math.min(due - Date.now(), INSPECT_EVERY_MS), signal);
      if (signal?.aborted) throw new ReadinessError("the start was cancelled");
      await checkRunning(runtime, containerId, probe);
    } while (Date.now() < due);
    last = await checkOnce(target, probe, probe.timeoutMs, "skiff-startup-probe");
    if (probePassed(last)) return;
  }
}

/** How often Docker is asked whether the container still runs while its probe waits. */
const INSPECT_EVERY_MS = 250;

async function checkRunning(runtime: Pick<ContainerRuntime, "inspect">, containerId: string, probe: HttpProbe): Promise<void> {
  const state = await runtime.inspect(containerId);
  if (!state) throw new ReadinessError("the container disappeared while starting");
  if (!state.running) {
    const why = state.oomKilled ? "was killed for running out of memory" : `exited with code ${state.exitCode}`;
    throw new ReadinessError(`the container ${why} before its startup probe ${probeLabel(probe)} passed`);
  }
}
