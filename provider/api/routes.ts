import type { DomainController } from "../controller/domain-controller";
import type { JobController } from "../controller/job-controller";
import type { ServiceController } from "../controller/service-controller";
import type { EngineInfo } from "../model/engine-info";
import { parseTrafficUpdate } from "../model/traffic-update";
import type { ContainerLogs } from "../logs/container-logs";
import { formatLogRecord } from "../logs/log-store";
import { followLogs, logFilterParam, sendLogLines, wholeNumberParam } from "./http-util";
import { jobRoutes } from "./job-routes";
import { route, type Route } from "./server";

export interface ApiDeps {
  services: ServiceController;
  domains: DomainController;
  jobs: JobController;
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

    route("GET", "/v1/images", ({ query }) => d.services.localImage(query.get("ref"))),

    route("GET", `${P}/services`, ({ params }) => ({ services: d.services.listServices(params.project) })),
    route("GET", `${P}/services/:service`, ({ params }) => d.services.getService(params.project, params.service)),
    route("PUT", `${P}/services/:service`, ({ params, body, query }) =>
      d.services.apply(params.project, params.service, body, {
        noTraffic: query.get("noTraffic") === "true",
        tag: query.get("tag") ?? undefined,
        expectedGeneration: wholeNumberParam(query, "expectedGeneration", 0),
        revisionSuffix: query.get("revisionSuffix") ?? undefined,
        async: query.get("async") === "true",
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
    route("POST", `${P}/services/:service/revisions`, ({ params, body }) =>
      d.services.createCandidate(params.project, params.service, body),
    ),
    route("GET", `${P}/services/:service/logs`, async ({ params, query, res }) => {
      const { project, service } = params;
      d.services.getService(project, service); // 404 for an unknown service
      const revision = query.get("revision") ?? undefined;
      const container = query.get("container") ?? undefined;
      const limit = wholeNumberParam(query, "limit", 1);
      const { filter, wanted } = logFilterParam(query, project, service);
      if (query.get("follow") !== "true") {
        const encoding = query.get("view") === "entries" ? "entries" : "json";
        await sendLogLines(res, (write) => d.logs.readInto(project, service, { revision, container, limit, filter, encoding }, write));
        return undefined;
      }
      await followLogs(
        res,
        (write) => d.logs.readInto(project, service, { revision, container, limit, filter, encoding: "text" }, write),
        (write) =>
          d.logs.subscribe(project, service, (record) => {
            if (
              (!revision || record.revision === revision) &&
              (!container || record.container === container) &&
              (!wanted || wanted(record))
            )
              write(formatLogRecord(record));
          }),
      );
      return undefined;
    }),

    route("GET", `${P}/revisions`, ({ params, query }) => ({
      revisions: d.services.listRevisions(params.project, query.get("service") ?? undefined),
    })),
    route("GET", `${P}/revisions/:revision`, ({ params, query }) => {
      const waitSeconds = wholeNumberParam(query, "wait", 0);
      if (waitSeconds === undefined) return d.services.getRevision(params.project, params.revision);
      return d.services.waitRevision(params.project, params.revision, waitSeconds * 1000);
    }),
    route("GET", `${P}/revisions/:revision/instances`, async ({ params }) => ({
      instances: await d.services.instanceAddresses(params.project, params.revision),
    })),
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

    ...jobRoutes(d.jobs),
  ];
}
