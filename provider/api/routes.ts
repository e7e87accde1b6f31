import type http from "node:http";
import type { DomainController } from "../controller/domain-controller";
import type { ServiceController } from "../controller/service-controller";
import type { EngineInfo } from "../model/engine-info";
import { invalid } from "../model/errors";
import { parseTrafficUpdate } from "../model/traffic-update";
import type { ContainerLogs } from "../runtime/container-logs";
import { formatLogRecord } from "../runtime/log-store";
import { route, type Route } from "./server";

export interface ApiDeps {
  services: ServiceController;
  domains: DomainController;
  logs: ContainerLogs;
  info: () => EngineInfo;
  shutdown: () => void;
}

const P = "/v1/projects/:project";

/** Every admin API path, in one table: the shape of docs/API.md. */
export function apiRoutes(d: ApiDeps): Route[] {
  return [
    route("GET", "/v1/engine", () => d.info()),
    route("POST", "/v1/engine/shutdown", ({ res }) => {
      res.writeHead(202).end();
      setImmediate(d.shutdown);
    }),

    route("GET", `${P}/services`, ({ params }) => ({ services: d.services.listServices(params.project) })),
    route("GET", `${P}/services/:service`, ({ params }) => d.services.getService(params.project, params.service)),
    route("PUT", `${P}/services/:service`, ({ params, body, query }) =>
      d.services.apply(params.project, params.service, body, {
        noTraffic: query.get("noTraffic") === "true",
        tag: query.get("tag") ?? undefined,
        expectedGeneration: wholeNumberParam(query, "expectedGeneration", 0),
      }),
    ),
    route("DELETE", `${P}/services/:service`, async ({ params }) => {
      await d.services.deleteService(params.project, params.service);
      return { deleted: params.service };
    }),
    route("PUT", `${P}/services/:service/traffic`, ({ params, body }) => d.services.setTraffic(params.project, params.service, body)),
    route("PATCH", `${P}/services/:service/traffic`, ({ params, body }) =>
      d.services.updateTraffic(params.project, params.service, parseTrafficUpdate(body)),
    ),
    route("POST", `${P}/services/:service/revisions`, ({ params, body }) => d.services.createCandidate(params.project, params.service, body)),
    route("GET", `${P}/services/:service/logs`, async ({ params, query, req, res }) => {
      d.services.getService(params.project, params.service); // 404 for an unknown service
      const revision = query.get("revision") ?? undefined;
      const limit = wholeNumberParam(query, "limit", 1);
      const lines = (await d.logs.read(params.project, params.service, { revision, limit })).map(formatLogRecord);
      if (query.get("follow") !== "true") return { lines };
      followLogs(res, req, lines, (write) =>
        d.logs.subscribe(params.project, params.service, (record) => {
          if (!revision || record.revision === revision) write(formatLogRecord(record));
        }),
      );
      return undefined;
    }),

    route("GET", `${P}/revisions`, ({ params, query }) => ({
      revisions: d.services.listRevisions(params.project, query.get("service") ?? undefined),
    })),
    route("GET", `${P}/revisions/:revision`, ({ params }) => d.services.getRevision(params.project, params.revision)),
    route("DELETE", `${P}/revisions/:revision`, async ({ params }) => {
      await d.services.deleteRevision(params.project, params.revision);
      return { deleted: params.revision };
    }),

    route("GET", `${P}/domainmappings`, ({ params }) => ({ domainMappings: d.domains.list(params.project) })),
    route("POST", `${P}/domainmappings`, ({ params, body }) => d.domains.create(params.project, body)),
    route("GET", `${P}/domainmappings/:domain`, ({ params }) => d.domains.get(params.project, params.domain)),
    route("DELETE", `${P}/domainmappings/:domain`, ({ params }) => {
      d.domains.delete(params.project, params.domain);
      return { deleted: params.domain };
    }),
  ];
}

/** An optional whole-number query parameter, at least `min`; a 400 naming it otherwise. */
function wholeNumberParam(query: URLSearchParams, name: string, min: number): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) throw invalid(name, `must be a whole number of at least ${min}, got "${text}"`);
  return value;
}

/** Past this much unsent output a follower is too slow: lines are dropped (and counted) rather than buffered. */
const FOLLOW_BUFFER_BYTES = 1024 * 1024;

/**
 * `logs tail`: the tail, then every new line, until the client goes away. A client that cannot keep
 * up with a flooding service loses lines (it is told how many), never the engine's memory.
 */
function followLogs(res: http.ServerResponse, req: http.IncomingMessage, tail: string[], subscribe: (write: (line: string) => void) => () => void): void {
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  let dropped = 0;
  const write = (line: string) => {
    if (res.destroyed) return;
    if (res.writableLength > FOLLOW_BUFFER_BYTES) {
      dropped += 1;
      return;
    }
    if (dropped > 0) {
      res.write(`[skiff: ${dropped} lines dropped: the reader was slower than the service wrote]\n`);
      dropped = 0;
    }
    res.write(line + "\n");
  };
  for (const line of tail) write(line);
  const unsubscribe = subscribe(write);
  res.on("error", unsubscribe);
  req.on("close", unsubscribe);
}
