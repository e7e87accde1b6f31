import { createRequire } from "node:module";

/** One sample of a family as parse-prometheus-text-format reads it: a value, or a histogram's buckets, count and sum. */
export interface Sample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

export interface Family {
  name: string;
  help: string;
  type: string;
  metrics: Sample[];
}

const parse = createRequire(__filename)("parse-prometheus-text-format") as (text: string) => Family[];

/** Prometheus's text exposition, parsed by parse-prometheus-text-format (which throws on text that is not one). */
export function parsePrometheusText(text: string): Map<string, Family> {
  return new Map(parse(text).map((family) => [family.name, family]));
}

/**
 * A histogram's `_count` or `_sum` series whose labels include `where`, summed. Read from the text
 * itself: parse-prometheus-text-format folds the samples of every label set of a histogram into
 * one set of buckets (its flattenMetrics), so it cannot tell revisions or code classes apart.
 */
export function histogramSeries(text: string, name: string, series: "count" | "sum", where: Record<string, string>): number {
  let total = 0;
  for (const line of text.split("\n")) {
    const match = new RegExp(`^${name}_${series}\\{([^}]*)\\} (\\S+)$`).exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(where).every(([k, v]) => labels[k] === v)) total += Number(match[2]);
  }
  return total;
}

/** The sum of a counter's or gauge's samples whose labels include `where`. */
export function sumOf(families: Map<string, Family>, name: string, where: Record<string, string>): number {
  const family = families.get(name);
  if (!family) throw new Error(`no metric ${name} in the scrape (it has ${[...families.keys()].join(", ")})`);
  return family.metrics
    .filter((m) => Object.entries(where).every(([k, v]) => m.labels?.[k] === v))
    .reduce((total, m) => total + Number(m.value), 0);
}
