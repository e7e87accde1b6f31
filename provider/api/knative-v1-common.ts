import type http from "node:http";
import { invalid } from "../model/errors";
import type { KnativeObject } from "../knative/objects";

/** What the Knative-shaped v1 API's paths share: list objects, label selectors, delete answers. */

/** `{ apiVersion, kind: "ServiceList", items }`, the items filtered by `?labelSelector=k=v,k2=v2` as gcloud sends it. */
export function knativeList(apiVersion: string, kind: string, items: KnativeObject[], query: URLSearchParams): KnativeObject {
  const selector = parseLabelSelector(query.get("labelSelector"));
  const selected = items.filter((item) => {
    const labels = ((item.metadata as KnativeObject | undefined)?.labels ?? {}) as Record<string, string>;
    return selector.every(([key, value]) => labels[key] === value);
  });
  return { apiVersion, kind: `${kind}List`, metadata: {}, items: selected };
}

/** Equality selectors only (`a=b`, `a==b`), which is what gcloud's run commands send. */
function parseLabelSelector(text: string | null): [string, string][] {
  if (!text) return [];
  return text.split(",").map((term) => {
    const match = /^\s*([^=!\s]+)\s*==?\s*([^=\s]*)\s*$/.exec(term);
    if (!match) throw invalid("labelSelector", `"${term}" is not supported: give key=value terms separated by commas`);
    return [match[1], match[2]];
  });
}

/** What a Kubernetes-style delete answers. */
export function deletedStatus(kind: string, name: string): KnativeObject {
  return { apiVersion: "v1", kind: "Status", metadata: {}, status: "Success", details: { name, kind } };
}

/** Fields a replace had no use for, told to the client as Kubernetes API servers warn (kubectl prints these). */
export function warnIgnored(res: http.ServerResponse, ignored: readonly string[]): void {
  if (ignored.length === 0) return;
  const text = `these fields have no local meaning and were ignored: ${ignored.join(", ")}`.replace(/["\\\r\n]/g, " ");
  res.setHeader("warning", `299 - "${text}"`);
}
