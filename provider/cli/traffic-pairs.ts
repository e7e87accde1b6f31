import type { Service } from "../model/service";

/**
 * What `gcloud run services update-traffic` returns, and so what its `--format json|yaml|value(...)`
 * prints: not the service but one TrafficTargetPair per target (a revision, or LATEST), pairing the
 * entries of spec.traffic (what was asked) with those of status.traffic (what routes), sorted by
 * revision name with LATEST last (googlecloudsdk/api_lib/run/traffic_pair.py, GetTrafficTargetPairs).
 * Percents are text there ("90", "-" for none), tags joined by ", " and sorted; keys print sorted.
 */
export interface TrafficTag {
  inSpec: boolean;
  inStatus: boolean;
  tag: string;
  url: string;
}

export interface TrafficTargetPair {
  displayPercent: string;
  displayRevisionId: string;
  displayTags: string;
  key: string;
  latestRevision: boolean;
  /** The latest ready revision for LATEST (null when none is ready, as Python's None). */
  revisionName: string | null;
  serviceUrl: string;
  specPercent: string;
  specTags: string;
  statusPercent: string;
  statusTags: string;
  tags: TrafficTag[];
  urls: string[];
}

const LATEST = "LATEST";
const MISSING = "-";

interface Entry {
  key: string;
  percent: number;
  tag?: string;
  url?: string;
}

export function trafficTargetPairs(s: Service): TrafficTargetPair[] {
  // An empty spec means 100 % to LATEST, as the Knative object shows it.
  const spec: Entry[] =
    s.traffic.length > 0
      ? s.traffic.map((t) => ({ key: t.type === "LATEST" ? LATEST : (t.revision ?? ""), percent: t.percent, tag: t.tag }))
      : [{ key: LATEST, percent: 100 }];
  const status: Entry[] = s.trafficStatuses.map((t) => ({
    key: t.type === "LATEST" ? LATEST : t.revision,
    percent: t.percent,
    tag: t.tag,
    url: t.url,
  }));
  const keys = [...new Set([...spec, ...status].map((e) => e.key))];
  const order = (key: string): string => (key === LATEST ? `2${key}` : `1${key}`);
  keys.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return keys.map((key) =>
    pair(
      key,
      spec.filter((e) => e.key === key),
      status.filter((e) => e.key === key),
      s,
    ),
  );
}

function pair(key: string, spec: Entry[], status: Entry[], s: Service): TrafficTargetPair {
  const latest = key === LATEST;
  const revisionName = latest ? (s.latestReadyRevision ?? null) : key;
  const specPercent = percentOf(spec);
  const statusPercent = percentOf(status);
  const specTags = tagsOf(spec);
  const statusTags = tagsOf(status);
  const tags = new Map<string, TrafficTag>();
  for (const e of spec) if (e.tag) tags.set(e.tag, { inSpec: true, inStatus: false, tag: e.tag, url: "" });
  for (const e of status) {
    if (!e.tag) continue;
    const tag = tags.get(e.tag) ?? { inSpec: false, inStatus: false, tag: e.tag, url: "" };
    tag.url = e.url ?? "";
    tag.inStatus = true;
    tags.set(e.tag, tag);
  }
  return {
    displayPercent:
      statusPercent === specPercent
        ? shownPercent(statusPercent)
        : `${shownPercent(specPercent).padEnd(4)} (currently ${shownPercent(statusPercent)})`,
    displayRevisionId: latest ? `${LATEST} (currently ${revisionName ?? "None"})` : key,
    displayTags: specTags === statusTags ? (statusTags === MISSING ? "" : statusTags) : `${specTags} (currently ${statusTags})`,
    key,
    latestRevision: latest,
    revisionName,
    serviceUrl: s.url ?? "",
    specPercent,
    specTags,
    statusPercent,
    statusTags,
    tags: [...tags.values()].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0)),
    urls: status.flatMap((e) => (e.url ? [e.url] : [])).sort(),
  };
}

function percentOf(entries: Entry[]): string {
  return entries.length > 0 ? String(entries.reduce((sum, e) => sum + e.percent, 0)) : MISSING;
}

function tagsOf(entries: Entry[]): string {
  const tags = entries.flatMap((e) => (e.tag ? [e.tag] : [])).sort();
  return tags.length > 0 ? tags.join(", ") : MISSING;
}

function shownPercent(percent: string): string {
  return percent === MISSING ? MISSING : `${percent}%`;
}
