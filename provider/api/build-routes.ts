import type { SourceBuilds } from "../controller/source-builds";
import { BuildFailedError, type BuildEvent } from "../model/source-build";
import { invalid } from "../model/errors";
import { writeOrWait } from "./http-util";
import { route, type Route } from "./server";

/**
 * `POST /v1/projects/:project/builds`: a bad request is a JSON error as everywhere; once the build
 * begins, the answer is one JSON object per line (progress lines as they come, then a result or a
 * failure), so a terminal shows the build while it runs.
 */
export function buildRoutes(builds: SourceBuilds): Route[] {
  return [
    route("POST", "/v1/projects/:project/builds", async ({ params, body, query, res }) => {
      if (query.get("plan") === "true") return builds.plan(params.project, body);
      const prepared = await builds.prepare(params.project, body);
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      // A client that goes away does not stop the build: its image is there for the next call.
      const send = (event: BuildEvent) => writeOrWait(res, JSON.stringify(event) + "\n").catch(() => undefined);
      let pending = Promise.resolve();
      try {
        const result = await builds.build(prepared, (line) => {
          pending = pending.then(() => send({ progress: line }));
        });
        await pending;
        await send({ result });
      } catch (error) {
        await pending;
        const failure =
          error instanceof BuildFailedError
            ? { message: error.message, step: error.step, lastLines: error.lastLines }
            : { message: (error as Error).message, lastLines: [] };
        await send({ failure });
      }
      res.end();
      return undefined;
    }),
    route("DELETE", "/v1/projects/:project/builds/:name", ({ params, query }) => {
      const kind = query.get("kind") ?? "service";
      if (kind !== "service" && kind !== "job" && kind !== "image") throw invalid("kind", `"${kind}" must be service, job or image`);
      return builds.removeImages(params.project, kind, params.name);
    }),
  ];
}
