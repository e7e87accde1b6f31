import type { EngineMetrics } from "../telemetry/metrics";
import { route, type Route } from "./server";

/** `GET /metrics`: the Prometheus text exposition, behind the same bearer token as the rest of the admin API. */
export function metricsRoute(metrics: EngineMetrics): Route {
  return route("GET", "/metrics", async ({ res }) => {
    const text = await metrics.text();
    res.writeHead(200, { "content-type": metrics.contentType, "content-length": Buffer.byteLength(text) });
    res.end(text);
    return undefined;
  });
}
