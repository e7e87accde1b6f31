import type http from "node:http";
import { paginate, type Page } from "../cloudrun-v2/paging";
import { httpErrorBody, rpcFailureOf } from "../cloudrun-v2/rpc-status";
import { decodeMessage, encodeMessage, type EncodeOptions } from "../cloudrun-v2/wire-codec";
import { invalid, invalidFromViolations, type FieldViolation } from "../model/errors";
import { sendJson } from "./http-util";
import type { ApiSurface, Route, RouteHandler } from "./server";

/**
 * HTTP as Google's REST clients speak it, for the Cloud Run APIs on the admin port: path templates
 * with custom verbs (`/v2/{name}:run`), query parameters in proto3 JSON names, enums as numbers
 * when asked (`$alt=json;enum-encoding=int`), and errors as google.rpc.Status.
 */

/**
 * `/v2/projects/{project}/locations/{location}/jobs/{job}:run` → a Route. A parameter is one path
 * segment; a custom verb follows a ":", which clients may also send %-encoded.
 */
export function googleRoute(method: string, template: string, handler: RouteHandler): Route {
  const source = template
    .split(/(\{[a-zA-Z]+\}|:[a-zA-Z]+$)/)
    .map((part) => {
      const param = /^\{([a-zA-Z]+)\}$/.exec(part);
      if (param) return `(?<${param[1]}>[^/:]+)`;
      if (part.startsWith(":")) return `(?::|%3[aA])${part.slice(1)}`;
      return part.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
    })
    .join("");
  return { method, pattern: new RegExp(`^${source}$`), handler };
}

/** What Google's clients ask for in every query: enums as numbers or names. */
export function encodeOptions(query: URLSearchParams): EncodeOptions {
  return { intEnums: /(?:^|;)\s*enum-encoding=int\b/.test(query.get("$alt") ?? "") };
}

/** A message of the schema, written for this request's client. */
export function answer(type: string, value: Record<string, unknown>, query: URLSearchParams): Record<string, unknown> {
  return encodeMessage(type, value, encodeOptions(query));
}

/** A request body read as a message of the schema; INVALID_ARGUMENT naming each bad field. */
export function readMessage(type: string, body: unknown, root: string): Record<string, unknown> {
  const violations: FieldViolation[] = [];
  const message = decodeMessage(type, body ?? {}, root, violations);
  if (violations.length > 0) throw invalidFromViolations(violations);
  return message;
}

/** A boolean query parameter (`validateOnly=true`); absent is false. */
export function boolParam(query: URLSearchParams, name: string): boolean {
  const text = query.get(name);
  if (text === null || text === "false" || text === "0") return false;
  if (text === "true" || text === "1") return true;
  throw invalid(name, `must be true or false, got "${text}"`);
}

/** The page of `items` (sorted by `keyOf` in `order`) the query's pageSize and pageToken ask for. */
export function pageOf<T>(items: readonly T[], keyOf: (item: T) => string, order: "asc" | "desc", query: URLSearchParams): Page<T> {
  return paginate(items, keyOf, order, intParam(query, "pageSize"), query.get("pageToken") ?? undefined);
}

export function intParam(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null || text === "") return undefined;
  if (!/^\d+$/.test(text)) throw invalid(name, `must be a whole number, got "${text}"`);
  return Number(text);
}

export function sendGoogleError(res: http.ServerResponse, error: unknown): void {
  const { status, body } = httpErrorBody(rpcFailureOf(error));
  sendJson(res, status, body);
}

/** The Cloud Run APIs' surface on the admin port: their paths, errors, and the token rule. */
export function googleSurface(prefixes: readonly (string | RegExp)[], routes: Route[], anyBearerFromLoopback: boolean): ApiSurface {
  return {
    owns: (path) => prefixes.some((prefix) => (typeof prefix === "string" ? path.startsWith(prefix) : prefix.test(path))),
    routes,
    anyBearerFromLoopback,
    sendError: sendGoogleError,
  };
}
