import { timeKey } from "../cloudrun-v2/paging";
import { durationSeconds } from "../cloudrun-v2/wire-codec";
import { invalid } from "../model/errors";
import { encodeOptions, googleRoute, pageOf } from "./google-http";
import { operationToWire, type Operations } from "./operations";
import { scopeOf } from "./run-v2-services";
import type { Route } from "./server";

const O = "/v2/projects/{project}/locations/{location}/operations";
/** WaitOperation's longest wait, and its wait when the request names none. */
const MAX_WAIT_SECONDS = 600;
const DEFAULT_WAIT_SECONDS = 60;

/** google.longrunning.Operations on the v2 paths Cloud Run's clients use. */
export function runV2OperationRoutes(operations: Operations): Route[] {
  return [
    googleRoute("GET", O, ({ params, query }) => {
      const list = operations.list(scopeOf(params));
      const page = pageOf(list, (op) => timeKey(op.createTime, op.id), "desc", query);
      return { operations: page.items.map((op) => operationToWire(op, encodeOptions(query))), nextPageToken: page.nextPageToken };
    }),
    googleRoute("GET", `${O}/{operation}`, ({ params, query }) =>
      operationToWire(operations.get(scopeOf(params), params.operation), encodeOptions(query)),
    ),
    googleRoute("DELETE", `${O}/{operation}`, ({ params }) => {
      operations.delete(scopeOf(params), params.operation);
      return {};
    }),
    googleRoute("POST", `${O}/{operation}:wait`, async ({ params, query, body }) => {
      const op = operations.get(scopeOf(params), params.operation);
      await operations.wait(op, waitSeconds(body) * 1000);
      return operationToWire(op, encodeOptions(query));
    }),
  ];
}

/** WaitOperationRequest.timeout ("30s"), at most 10 minutes. */
function waitSeconds(body: unknown): number {
  const timeout = (body as { timeout?: unknown } | undefined)?.timeout;
  if (timeout === undefined || timeout === null) return DEFAULT_WAIT_SECONDS;
  const seconds = durationSeconds(timeout);
  if (seconds === undefined) throw invalid("timeout", `must be a duration in seconds such as "30s", got ${JSON.stringify(timeout)}`);
  if (seconds < 0) throw invalid("timeout", "must not be negative");
  return Math.min(seconds, MAX_WAIT_SECONDS);
}
