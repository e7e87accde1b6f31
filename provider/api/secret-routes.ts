import type { MappingController } from "../controller/mapping-controller";
import type { SecretController, VersionAction } from "../controller/secret-controller";
import { route, type Route } from "./server";

const S = "/v1/projects/:project/secrets";

/**
 * The admin API's Secret Manager paths (see docs/API.md): a value comes back only from
 * `.../versions/{v}/access`; and the volume mappings, which belong to the engine, not a project.
 */
export function secretRoutes(secrets: SecretController, mappings: MappingController): Route[] {
  const change = (action: VersionAction) =>
    route("POST", `${S}/:secret/versions/:version/${action}`, ({ params }) =>
      secrets.changeVersion(params.project, params.secret, params.version, action),
    );
  return [
    route("GET", S, ({ params }) => ({ secrets: secrets.list(params.project) })),
    route("POST", S, ({ params, body }) => secrets.create(params.project, body)),
    route("GET", `${S}/:secret`, ({ params }) => secrets.get(params.project, params.secret)),
    route("PATCH", `${S}/:secret`, ({ params, body }) => secrets.update(params.project, params.secret, body)),
    route("DELETE", `${S}/:secret`, ({ params }) => {
      secrets.delete(params.project, params.secret);
      return { deleted: params.secret };
    }),
    route("GET", `${S}/:secret/versions`, ({ params }) => ({ versions: secrets.listVersions(params.project, params.secret) })),
    route("POST", `${S}/:secret/versions`, ({ params, body }) => secrets.addVersion(params.project, params.secret, body)),
    route("GET", `${S}/:secret/versions/:version`, ({ params }) => secrets.getVersion(params.project, params.secret, params.version)),
    route("GET", `${S}/:secret/versions/:version/access`, ({ params }) => secrets.access(params.project, params.secret, params.version)),
    change("enable"),
    change("disable"),
    change("destroy"),

    route("GET", "/v1/mappings", () => ({ mappings: mappings.list() })),
    route("GET", "/v1/mappings/:kind", ({ params }) => ({ mappings: mappings.list(params.kind) })),
    route("PUT", "/v1/mappings/:kind/:name", ({ params, body }) => mappings.map(params.kind, params.name, body)),
    route("DELETE", "/v1/mappings/:kind/:name", ({ params }) => {
      mappings.unmap(params.kind, params.name);
      return { deleted: params.name };
    }),
  ];
}
