import type { EngineMetrics } from "../telemetry/metrics";
import { route, type Route } from "./server";

/**
 * `GET /metrics`: the Prometheus text exposition, behind the same bearer token as the rest of the
 * admin API. `beforeScrape` counts the requests the ingress has put aside (request-telemetry.ts), so
 * a scrape sees every request completed before it.
 */
export function metricsRoute(metrics: EngineMetrics, beforeScrape: () => void = () => undefined): Route {
  return route("GET", "/metrics", async ({ res }) => {
    beforeScrape();
    const text = await metrics.text();
    res.writeHead(200, { "content-type": metrics.contentType, "content-length": Buffer.byteLength(text) });
    res.end(text);
    return undefined;
  });
}
