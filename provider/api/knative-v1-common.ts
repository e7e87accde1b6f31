import type http from "node:http";
import { invalid } from "../model/errors";
import type { KnativeObject } from "../knative/objects";

/** What the Knative-shaped v1 API's paths share: list objects, label selectors, delete answers. */

/** `{ apiVersion, kind: "ServiceList", items }`, the items filtered by `?labelSelector=k=v,k2 in (a,b)` as gcloud sends it. */
export function knativeList(apiVersion: string, kind: string, items: KnativeObject[], query: URLSearchParams): KnativeObject {
  const selector = parseLabelSelector(query.get("labelSelector"));
  const selected = items.filter((item) => {
    const labels = ((item.metadata as KnativeObject | undefined)?.labels ?? {}) as Record<string, string>;
    return selector.every(([key, values]) => key in labels && values.includes(labels[key]));
  });
  return { apiVersion, kind: `${kind}List`, metadata: {}, items: selected };
}

/**
 * Equality terms (`a=b`, `a==b`) and set terms (`a in (b,c)`), which is what gcloud's run commands
 * send (`executions tasks list --succeeded --failed` sends `run.googleapis.com/runningState in
 * (Succeeded,Failed)`); each term as its key and the values it accepts.
 */
export function parseLabelSelector(text: string | null): [string, string[]][] {
  if (!text) return [];
  // Terms are separated by commas outside a set's parentheses.
  const terms = text.split(/,(?![^(]*\))/);
  return terms.map((term) => {
    const set = /^\s*([^=!\s]+)\s+in\s+\(([^)]*)\)\s*$/.exec(term);
    if (set) return [set[1], set[2].split(",").map((v) => v.trim())];
    const match = /^\s*([^=!\s]+)\s*==?\s*([^=\s]*)\s*$/.exec(term);
    if (!match) throw invalid("labelSelector", `"${term}" is not supported: give key=value or key in (a,b) terms separated by commas`);
    return [match[1], [match[2]]];
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
