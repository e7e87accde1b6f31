import type { FieldChange } from "./template-changes";
import type { ReviewReport, ServiceReport, TrafficRowReport } from "./report";

/**
 * The report as GitHub-flavoured Markdown for a pull request: per service a table of traffic
 * before → after per revision, what each new revision changes, and its risk lines; then jobs,
 * domain mappings, deletions, and what the report cannot know.
 */

/** Inline code that survives any content (backticks inside get a longer fence). */
export function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  return longest > 0 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

/** A table cell: pipes and line breaks would end it. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function percent(value: number | null): string {
  return value === null ? "? %" : `${value} %`;
}

function tags(row: TrafficRowReport): string {
  const list = (t: string[]) => (t.length === 0 ? "—" : t.map(code).join(", "));
  if (row.new || row.tagsBefore.join() === row.tagsAfter.join()) return row.tagsAfter.length === 0 ? "" : list(row.tagsAfter);
  return `${list(row.tagsBefore)} → ${list(row.tagsAfter)}`;
}

/** `Revision hello-canary` → Revision `hello-canary`. */
function resource(madeBy: string): string {
  const space = madeBy.lastIndexOf(" ");
  return `${madeBy.slice(0, space)} ${code(madeBy.slice(space + 1))}`;
}

function revisionCell(row: TrafficRowReport): string {
  let text = row.name !== undefined ? code(row.name) : "new revision";
  if (row.madeBy) text += ` (${resource(row.madeBy)})`;
  if (row.new) text += " **new**";
  if (row.deleted) text += " **deleted**";
  return text;
}

export function trafficTable(rows: TrafficRowReport[]): string[] {
  return [
    "| Revision | Tags | Before | After |",
    "| --- | --- | ---: | ---: |",
    ...rows.map((r) => `| ${cell(revisionCell(r))} | ${cell(tags(r))} | ${percent(r.before)} | ${percent(r.after)} |`),
  ];
}

export function changeLine(change: FieldChange): string {
  const field = change.field.replace(/^(env|image digest) ?(.*)$/, (_m, kind: string, name: string) =>
    name ? `${kind} ${code(name)}` : kind,
  );
  const head = change.field.startsWith("env ") || change.field === "image digest" ? field : code(change.field);
  let what: string;
  if (change.before !== undefined && change.after !== undefined) what = `${code(change.before)} → ${code(change.after)}`;
  else if (change.after !== undefined) what = `added, ${code(change.after)}`;
  else if (change.before !== undefined) what = change.note ? `${code(change.before)} → ?` : `removed (was ${code(change.before)})`;
  else what = "?";
  return `- ${head}: ${what}${change.note ? ` (${change.note})` : ""}`;
}

function serviceSection(s: ServiceReport): string[] {
  const what = { created: " (new)", updated: "", replaced: " (replaced)", deleted: " (deleted)", unchanged: "" }[s.change];
  const lines = [`### Service ${code(s.name)}${what} · project ${code(s.project)}`, ""];
  if (s.traffic.length > 0) lines.push(...trafficTable(s.traffic), "", `Traffic after: ${s.trafficSource}.`, "");
  for (const r of s.revisions) {
    const title =
      r.name !== undefined ? `New revision ${code(r.name)} from ${resource(r.madeBy)}` : `New revision from ${resource(r.madeBy)}`;
    if (r.changes.length === 0) {
      lines.push(`${title}: ${r.note ?? (r.against ? `the same template as ${code(r.against)}` : "nothing to compare")}.`, "");
      continue;
    }
    lines.push(`${title}, against ${code(r.against ?? "?")}${r.note ? ` (${r.note})` : ""}:`, ...r.changes.map(changeLine), "");
  }
  if (s.settings.length > 0)
    lines.push("Service settings (at once, for every revision; no new revision):", ...s.settings.map(changeLine), "");
  if (s.access) lines.push(`Access: ${s.access.before ?? "?"} → ${s.access.after ?? "?"}.`, "");
  for (const note of s.notes) lines.push(`Note: ${note}.`, "");
  if (s.risks.length > 0) lines.push("Risks:", ...s.risks.map((r) => `- ⚠️ **${r.text}**: ${r.reason}.`), "");
  return lines;
}

export function renderMarkdown(report: ReviewReport): string {
  const lines = [`## skiff review${report.stack ? ` of stack ${code(report.stack)}` : ""}`, ""];
  lines.push(
    report.before.source === "engine"
      ? "Before: what the engine runs now. After: what `pulumi up` of this preview sets."
      : "Before: what the Pulumi state recorded at the last `pulumi up` or `pulumi refresh` (the engine was not read). After: what `pulumi up` of this preview sets.",
    "",
  );
  const empty = report.services.length + report.jobs.length + report.domainMappings.length + report.deleted.length === 0;
  if (empty) lines.push("No service, revision, job or domain mapping changes.", "");
  for (const s of report.services) lines.push(...serviceSection(s));
  if (report.jobs.length > 0) {
    lines.push("### Jobs that execute during the update", "");
    for (const j of report.jobs) {
      const before =
        j.waitedForBy.length > 0
          ? ` before ${j.waitedForBy.map((w) => w.what).join(" and ")} (${j.waitedForBy.map((w) => resource(w.resource)).join(", ")} wait${j.waitedForBy.length === 1 ? "s" : ""} for it)`
          : "";
      const waits = j.waits ? "`pulumi up` waits for it and stops if it fails" : "`pulumi up` starts it and does not wait for it";
      lines.push(`- ${code(j.job)} executes${before}: ${j.why}; ${waits}.`, ...j.changes.map((c) => `  ${changeLine(c)}`));
    }
    lines.push("");
  }
  if (report.domainMappings.length > 0) {
    lines.push("### Domain mappings", "");
    for (const m of report.domainMappings) {
      const text =
        m.before === undefined
          ? `now maps to ${code(m.after ?? "?")}`
          : m.after === undefined
            ? `stops mapping to ${code(m.before)} (requests to it get 404)`
            : `moves from ${code(m.before)} to ${code(m.after)}`;
      lines.push(`- ${code(m.domain)} ${text}`);
    }
    lines.push("");
  }
  if (report.deleted.length > 0)
    lines.push("### Deleted", "", ...report.deleted.map((d) => `- ${d.resource}${d.id ? ` (${code(d.id)})` : ""}`), "");
  if (report.unknowns.length > 0) lines.push("### What this report cannot know", "", ...report.unknowns.map((u) => `- ${u}`), "");
  return lines.join("\n").replace(/\n+$/, "\n");
}
