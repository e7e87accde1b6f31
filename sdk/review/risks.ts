import { parseMemoryBytes } from "../../provider/model/quantity";
import type { FieldChange } from "./template-changes";
import type { TrafficRow } from "./traffic-effect";

/**
 * The changes a reviewer should stop at, as data: each rule names what it looks for and says why
 * it matters. A rule reads the facts of one service; none of them blocks anything, they are lines
 * in the report.
 */
export interface Risk {
  rule: string;
  /** What happens, naming the service and revision. */
  text: string;
  /** Why it matters. */
  reason: string;
}

/** What the rules read about one service. */
export interface ServiceFacts {
  service: string;
  rows: TrafficRow[];
  /** Per new revision with traffic after the update, its label and its changes against the one it replaces. */
  revisions: { label: string; changes: FieldChange[]; servesAfter: boolean }[];
  publicBefore?: boolean;
  publicAfter?: boolean;
  /** The revisions this update deletes. */
  deleted: string[];
  /** The service's own settings that change (service-settings.ts): ingress, default URL, service scaling. */
  settings: FieldChange[];
}

export interface RiskRule {
  rule: string;
  find(facts: ServiceFacts, label: (row: TrafficRow) => string): Risk[];
}

/** More than this share, at once, on a revision that never served is a big-bang rollout. */
export const SUDDEN_SHIFT_PERCENT = 50;

const number = (display: string) => (Number.isFinite(Number(display)) ? Number(display) : undefined);
const memory = (display: string) => {
  try {
    return parseMemoryBytes(JSON.parse(display) as string);
  } catch {
    return undefined;
  }
};

/** A limit that goes down on a revision that will serve. */
function lowered(rule: string, field: string, parse: (display: string) => number | undefined, what: string, reason: string): RiskRule {
  return {
    rule,
    find(facts) {
      return facts.revisions.flatMap(({ label, changes, servesAfter }) => {
        const change = changes.find((c) => c.field === field);
        if (!servesAfter || !change?.before || !change.after) return [];
        const [before, after] = [parse(change.before), parse(change.after)];
        if (before === undefined || after === undefined || after >= before) return [];
        return [{ rule, text: `${label} lowers ${what} from ${change.before} to ${change.after}`, reason }];
      });
    },
  };
}

/** A service setting's change, when it has both sides. */
function setting(facts: ServiceFacts, field: string): { before: string; after: string } | undefined {
  const change = facts.settings.find((c) => c.field === field);
  return change?.before !== undefined && change.after !== undefined ? { before: change.before, after: change.after } : undefined;
}

/** `automatic, min 1, max 10` → its max; `manual, 3 instances` → 3; undefined: no bound. */
function instanceBound(text: string): number | undefined {
  const manual = /^manual, (\d+) instances?$/.exec(text);
  if (manual) return Number(manual[1]);
  const max = /max (\d+)/.exec(text);
  return max ? Number(max[1]) : undefined;
}

export const riskRules: RiskRule[] = [
  {
    rule: "sudden-shift",
    find(facts, label) {
      return facts.rows
        .filter((r) => r.newRevision && r.before === 0 && r.after !== undefined && r.after > SUDDEN_SHIFT_PERCENT)
        .map((r) => ({
          rule: "sudden-shift",
          text: `${label(r)} goes from 0 % to ${r.after} % of ${facts.service}'s traffic at once`,
          reason: `it has never served: a problem in it reaches more than ${SUDDEN_SHIFT_PERCENT} % of users before anyone sees it; a canary (a few percent, with a tag) would show it first`,
        }));
    },
  },
  {
    rule: "tag-removed",
    find(facts, label) {
      const after = new Set(facts.rows.flatMap((r) => r.tagsAfter));
      return facts.rows.flatMap((r) =>
        r.tagsBefore
          .filter((tag) => !after.has(tag))
          .map((tag) => ({
            rule: "tag-removed",
            text: `tag ${tag} (on ${label(r)}) is removed`,
            reason: `its URL (${tag}---${facts.service}...) stops answering; whoever uses it to test or pin a revision gets 404`,
          })),
      );
    },
  },
  {
    rule: "serving-revision-deleted",
    find(facts, label) {
      return facts.rows
        .filter((r) => r.deleted && ((r.before ?? 0) > 0 || (r.after ?? 0) > 0))
        .map((r) =>
          (r.after ?? 0) > 0
            ? {
                rule: "serving-revision-deleted",
                text: `${label(r)} is deleted while the traffic still sends it ${r.after} %`,
                reason: "the engine refuses to delete a revision that has traffic (409), so `pulumi up` fails at the delete",
              }
            : {
                rule: "serving-revision-deleted",
                text: `${label(r)}, which serves ${r.before} % now, is deleted`,
                reason: "its traffic moves first; rolling back to it later means making it again, as a new revision",
              },
        );
    },
  },
  lowered(
    "concurrency-lowered",
    "maxInstanceRequestConcurrency",
    number,
    "the requests one instance serves at once",
    "each instance takes fewer requests at once: more instances start, and requests queue sooner under load",
  ),
  lowered(
    "memory-lowered",
    "resources.memory",
    memory,
    "its memory",
    'less memory per instance: what fitted before may now be killed for memory (the revision then shows "memory limit exceeded")',
  ),
  lowered(
    "max-instances-lowered",
    "scaling.maxInstanceCount",
    number,
    "the most instances it may run",
    "fewer instances at most: under load, requests get 429 sooner",
  ),
  {
    rule: "ingress-narrowed",
    find(facts) {
      const ingress = setting(facts, "ingress");
      if (!ingress || ingress.before !== "all" || ingress.after === "all") return [];
      return [
        {
          rule: "ingress-narrowed",
          text: `${facts.service}'s ingress goes from all to ${ingress.after}`,
          reason:
            "from then on only the services and jobs of its own project reach it; a browser, curl on the host or another project's service gets 404",
        },
      ];
    },
  },
  {
    rule: "default-url-disabled",
    find(facts) {
      const url = setting(facts, "default URL");
      if (!url || url.before !== "enabled" || url.after !== "disabled") return [];
      return [
        {
          rule: "default-url-disabled",
          text: `${facts.service}'s default URL is disabled`,
          reason: "its URL and every tag URL answer 404 from then on, whoever calls them; only its domain mappings reach it",
        },
      ];
    },
  },
  {
    rule: "service-instances-capped",
    find(facts) {
      const scaling = setting(facts, "service scaling");
      if (!scaling) return [];
      const [before, after] = [instanceBound(scaling.before), instanceBound(scaling.after)];
      const manual = scaling.after.startsWith("manual");
      // A new or lower bound; and any switch to manual, which stops scaling on load.
      const capped = after !== undefined && (before === undefined || after < before || (manual && !scaling.before.startsWith("manual")));
      if (!capped) return [];
      return [
        {
          rule: "service-instances-capped",
          text: `${facts.service}'s scaling goes from ${scaling.before} to ${scaling.after}`,
          reason: manual
            ? `exactly ${after} instance${after === 1 ? "" : "s"} for the whole service, divided among its revisions by traffic, whatever the load: requests beyond their concurrency wait 10 s, then get 429`
            : `at most ${after} instance${after === 1 ? "" : "s"} for the whole service, divided among its revisions by traffic: under load, requests get 429 sooner`,
        },
      ];
    },
  },
  {
    rule: "access-changed",
    find(facts) {
      if (facts.publicBefore === undefined || facts.publicAfter === undefined || facts.publicBefore === facts.publicAfter) return [];
      return facts.publicAfter
        ? [
            {
              rule: "becomes-public",
              text: `${facts.service} becomes public (allUsers may invoke it)`,
              reason: "anyone who can reach it may call it without an identity token",
            },
          ]
        : [
            {
              rule: "becomes-private",
              text: `${facts.service} becomes private (allUsers may no longer invoke it)`,
              reason: "callers without an identity token of an invoker get 401 or 403, browsers included",
            },
          ];
    },
  },
];

export function risksOf(facts: ServiceFacts, label: (row: TrafficRow) => string): Risk[] {
  return riskRules.flatMap((r) => r.find(facts, label));
}
